/**
 * User ids over HTTP when the host's `users.id` is an integer or a uuid column: ids cross the
 * API as strings, a JSON whole number in a body is taken as its decimal digits, anything else
 * is a 400 that says ids are strings, and an id the host's type cannot hold is an unknown
 * user (404), never a 500 — on each adapter and database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestUser } from '../support/databases'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

const matrix = adapterMatrix()
  .filter(([adapter]) => adapter !== 'express4')
  .flatMap(([adapter, dialect]) => (['integer', 'uuid'] as const).map((shape) => [adapter, dialect, shape] as const))

describe.each(matrix)('user ids over %s on %s, users.id as %s', (adapter, dialect, shape) => {
  let app: TestApp
  let ann: TestUser
  let bob: TestUser
  let cat: TestUser

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, {}, { userIds: shape })
    ann = await app.addUser({ name: 'Ann' })
    bob = await app.addUser({ name: 'Bob' })
    cat = await app.addUser({ name: 'Cat' })
    const created = await app.request('POST', '/organizations', { as: ann.id, body: { name: 'Acme', slug: 'acme' } })
    expect(created.status).toBe(201)
  })
  afterAll(() => app?.close())

  it('adds a member named by the string id and lists members with their users', async () => {
    const added = await app.request('POST', '/organizations/acme/members', { as: ann.id, body: { userId: bob.id } })
    expect(added.status).toBe(201)
    expect(added.body).toMatchObject({ userId: bob.id, user: { id: bob.id, name: 'Bob' } })
    const listed = await app.request('GET', '/organizations/acme/members', { as: ann.id })
    expect(listed.status).toBe(200)
    expect(
      listed.body.data.map((member: { userId: unknown; user: { name: string } }) => [member.userId, member.user.name]),
    ).toEqual([
      [ann.id, 'Ann'],
      [bob.id, 'Bob'],
    ])
    const read = await app.request('GET', `/organizations/acme/members/${bob.id}`, { as: ann.id })
    expect(read.body.user.name).toBe('Bob')
  })

  it('takes a JSON whole number as its decimal digits, and refuses other non-strings with 400', async () => {
    if (shape === 'integer') {
      const added = await app.request('POST', '/organizations/acme/members', {
        as: ann.id,
        body: { userId: Number(cat.id) },
      })
      expect(added.status).toBe(201)
      expect(added.body.userId).toBe(cat.id)
    }
    for (const userId of [2.5, true, null, { id: 1 }, 2 ** 60]) {
      const refused = await app.request('POST', '/organizations/acme/members', { as: ann.id, body: { userId } })
      expect(refused.status).toBe(400)
      expect(JSON.stringify(refused.body.error)).toContain('A user id is a string')
    }
  })

  it('answers an id the host type cannot hold as an unknown user', async () => {
    const impossible = shape === 'integer' ? ['abc', '99999999999999999999', '007'] : ['abc', '8c7f0a3e-1d2b-4c5d']
    for (const id of impossible) {
      const add = await app.request('POST', '/organizations/acme/members', { as: ann.id, body: { userId: id } })
      expect([add.status, add.body.error.code]).toEqual([404, 'not_found'])
      const read = await app.request('GET', `/organizations/acme/members/${id}`, { as: ann.id })
      expect(read.status).toBe(404)
      const transfer = await app.request('POST', '/organizations/acme/transfer-ownership', {
        as: ann.id,
        body: { userId: id },
      })
      expect(transfer.status).toBe(404)
    }
  })

  it('creates an invitation and accepts it', async () => {
    const dan = await app.addUser({ email: `Dan.${shape}@Example.test`, emailVerified: true })
    const issued = await app.request('POST', '/organizations/acme/invitations', {
      as: ann.id,
      body: { email: dan.email.toLowerCase(), role: 'member' },
    })
    expect(issued.status).toBe(201)
    expect(issued.body.invitedBy.userId).toBe(ann.id)
    const accepted = await app.request('POST', '/invitations/accept', {
      as: dan.id,
      body: { token: issued.body.token },
    })
    expect(accepted.status).toBe(200)
    expect(accepted.body.userId).toBe(dan.id)
  })
})
