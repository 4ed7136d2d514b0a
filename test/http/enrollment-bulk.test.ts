import type { InvitationRecord } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

describe.each(adapterMatrix())('bulk invitations on %s over %s', (adapter, dialect) => {
  let app: TestApp
  const sent: { invitation: InvitationRecord; token: string }[] = []

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, {
      limits: { pendingInvitationsPerOrganization: 6 },
      invitations: {
        send: (invitation, { token }) => {
          sent.push({ invitation, token })
          if (invitation.email === 'mailfail@example.com') throw new Error('mail server down')
        },
      },
      onListenerError: () => {},
    })
    for (const id of ['ann', 'bob', 'mem', 'dan']) {
      await app.addUser({ id, email: `${id}@example.com`, username: id, emailVerified: true })
    }
    await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Acme', slug: 'acme' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'bob', role: 'admin' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'mem', role: 'member' } })
    await app.request('POST', '/organizations', { as: 'dan', body: { name: 'Dan Co', slug: 'dan-co' } })
  })
  afterAll(() => app?.close())

  const bulk = (invitations: unknown, as = 'bob', org = 'acme') =>
    app.request('POST', `/organizations/${org}/invitations/bulk`, { as, body: { invitations } })

  it('answers each item on its own, creates the good ones and sends each once after the commit', async () => {
    const team = await app.request('POST', '/organizations/acme/teams', { as: 'ann', body: { name: 'Red' } })
    const foreignTeam = await app.request('POST', '/organizations/dan-co/teams', { as: 'dan', body: { name: 'Blue' } })
    await app.request('POST', '/organizations/acme/invitations', { as: 'ann', body: { email: 'pending@example.com' } })
    const answer = await bulk([
      { email: 'One@Example.com', role: 'member' },
      { email: 'not-an-email' },
      { email: 'mem@example.com' },
      { email: 'pending@example.com' },
      { email: 'one@example.com' },
      { email: 'two@example.com', role: 'owner' },
      { email: 'three@example.com', role: 'member', teamIds: [team.body.id] },
      { email: 'four@example.com', teamIds: [foreignTeam.body.id] },
      { email: 'five@example.com', extra: true },
      { email: 'mailfail@example.com' },
    ])
    expect(answer.status).toBe(200)
    const items = answer.body.data
    expect(items).toHaveLength(10)
    expect(items.map((item: { email: string }) => item.email)).toEqual([
      'one@example.com',
      'not-an-email',
      'mem@example.com',
      'pending@example.com',
      'one@example.com',
      'two@example.com',
      'three@example.com',
      'four@example.com',
      'five@example.com',
      'mailfail@example.com',
    ])
    expect(items.map((item: { error?: { code: string } }) => item.error?.code ?? 'created')).toEqual([
      'created',
      'validation_failed',
      'conflict',
      'conflict',
      'conflict',
      'forbidden',
      'created',
      'not_found',
      'validation_failed',
      'created',
    ])
    expect(items[1].error).toMatchObject({ details: [{ path: 'invitations.1.email' }] })
    // Another organization's team answers exactly as a nonexistent one.
    const missingTeam = await bulk([{ email: 'six@example.com', teamIds: ['team_zzzzzzzzzzzzzzzzzzzz'] }])
    expect(missingTeam.body.data[0].error).toEqual(items[7].error)
    expect(items[0].invitation).toMatchObject({ email: 'one@example.com', role: 'member', status: 'pending' })
    expect(items[0].invitation.token).toEqual(expect.any(String))
    expect(items[6].invitation.teamIds).toEqual([team.body.id])
    for (const item of items) expect(Object.keys(item).length).toBe(2)

    // One delivery per created invitation, with the token the answer carries; a failing one undoes nothing.
    expect(sent.map((s) => s.invitation.email).filter((email) => email !== 'pending@example.com')).toEqual([
      'one@example.com',
      'three@example.com',
      'mailfail@example.com',
    ])
    expect(sent.find((s) => s.invitation.email === 'one@example.com')?.token).toBe(items[0].invitation.token)
    const pending = await app.request('GET', '/organizations/acme/invitations?status=pending&limit=100', { as: 'ann' })
    expect(pending.body.data.map((i: { email: string }) => i.email).sort()).toEqual([
      'mailfail@example.com',
      'one@example.com',
      'pending@example.com',
      'three@example.com',
    ])
    const trail = await app.request('GET', '/organizations/acme/audit-events?action=invitation.created', { as: 'ann' })
    expect(trail.body.data).toHaveLength(4)
  })

  it('checks the pending-invitation limit for the batch: all fit, or none is created', async () => {
    // 4 pending, limit 6: three more do not fit.
    const over = await bulk([{ email: 'a@example.com' }, { email: 'b@example.com' }, { email: 'c@example.com' }])
    expect(over.status).toBe(409)
    expect(over.body.error.code).toBe('limit_exceeded')
    const pending = await app.request('GET', '/organizations/acme/invitations?status=pending&limit=100', { as: 'ann' })
    expect(pending.body.data).toHaveLength(4)
    const fits = await bulk([{ email: 'a@example.com' }, { email: 'b@example.com' }, { email: 'bad' }])
    expect(fits.status).toBe(200)
    expect(fits.body.data.filter((item: { invitation?: unknown }) => item.invitation)).toHaveLength(2)
  })

  it('refuses a malformed batch whole, and answers another organization as nonexistent', async () => {
    expect((await bulk([])).status).toBe(400)
    expect((await bulk(Array.from({ length: 101 }, (_, i) => ({ email: `x${i}@example.com` })))).status).toBe(400)
    expect((await bulk('nope')).status).toBe(400)
    expect((await bulk([{ email: 'x@example.com' }], 'mem')).status).toBe(403)
    expect((await bulk([{ email: 'x@example.com' }], 'dan')).status).toBe(404)
    expect(
      (
        await app.request('POST', '/organizations/acme/invitations/bulk', {
          as: 'bob',
          body: { invitations: [{ email: 'x@example.com' }], more: 1 },
        })
      ).status,
    ).toBe(400)
  })

  it('answers a repeated email as that item alone would be answered: a refused item invites nobody', async () => {
    const answer = await bulk(
      [
        { email: 'seven@example.com', role: 'ghost' },
        { email: 'seven@example.com', role: 'member' },
        { email: 'Seven@example.com', role: 'ghost' },
        { email: 'seven@example.com', role: 'admin' },
      ],
      'dan',
      'dan-co',
    )
    expect(answer.status).toBe(200)
    // The first item invites nobody, so the second is the first invitation for the address;
    // the third has an error of its own; only the fourth repeats one that was created.
    expect(answer.body.data.map((item: { error?: { code: string } }) => item.error?.code ?? 'created')).toEqual([
      'validation_failed',
      'created',
      'validation_failed',
      'conflict',
    ])
    const pending = await app.request('GET', '/organizations/dan-co/invitations?status=pending', { as: 'dan' })
    expect(pending.body.data.map((i: { email: string; role: string }) => `${i.email}:${i.role}`)).toEqual([
      'seven@example.com:member',
    ])
  })
})
