import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

const INVITATION_KEYS = [
  'createdAt',
  'email',
  'expired',
  'expiresAt',
  'id',
  'invitedBy',
  'organizationId',
  'role',
  'status',
  'teamIds',
]
const API_KEY_KEYS = [
  'createdAt',
  'expiresAt',
  'id',
  'lastUsedAt',
  'name',
  'organizationId',
  'permissions',
  'prefix',
  'revokedAt',
  'role',
]

describe.each(adapterMatrix())('invitation and API key routes on %s over %s', (adapter, dialect) => {
  let app: TestApp
  let now = new Date('2026-03-01T00:00:00.000Z')

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, { clock: () => now })
    for (const id of ['ann', 'bob', 'cat', 'dan']) {
      await app.addUser({ id, email: `${id}@example.com`, username: id, emailVerified: true })
    }
    await app.addUser({ id: 'uma', email: 'uma@example.com', username: 'uma', emailVerified: false })
    await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Acme' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'bob', role: 'admin' } })
    await app.request('POST', '/organizations', { as: 'dan', body: { name: 'Dan Co', slug: 'dan-co' } })
  })
  afterAll(() => app?.close())

  it('invites, lists without tokens, previews and accepts', async () => {
    const created = await app.request('POST', '/organizations/acme/invitations', {
      as: 'bob',
      body: { email: 'Cat@Example.com', role: 'member' },
    })
    expect(created.status).toBe(201)
    expect(Object.keys(created.body).sort()).toEqual([...INVITATION_KEYS, 'acceptUrl', 'token'].sort())
    expect(created.body).toMatchObject({
      email: 'cat@example.com',
      role: 'member',
      status: 'pending',
      expired: false,
      teamIds: [],
      invitedBy: { userId: 'bob', username: 'bob' },
    })
    expect(created.body.acceptUrl).toContain(encodeURIComponent(created.body.token))

    const listed = await app.request('GET', '/organizations/acme/invitations?status=pending', { as: 'ann' })
    expect(listed.status).toBe(200)
    expect(Object.keys(listed.body.data[0]).sort()).toEqual(INVITATION_KEYS)
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token)
    expect((await app.request('GET', '/organizations/acme/invitations?status=bogus', { as: 'ann' })).status).toBe(400)

    const mine = await app.request('GET', '/invitations', { as: 'cat' })
    expect(mine.body.data.map((i: { id: string }) => i.id)).toEqual([created.body.id])
    expect(JSON.stringify(mine.body)).not.toContain(created.body.token)
    const preview = await app.request('POST', '/invitations/preview', {
      as: 'cat',
      body: { token: created.body.token },
    })
    expect(preview.status).toBe(200)
    expect(preview.body).toMatchObject({
      organization: { slug: 'acme', name: 'Acme' },
      role: 'member',
      invitedBy: { userId: 'bob' },
    })

    const wrong = await app.request('POST', '/invitations/accept', { as: 'dan', body: { token: created.body.token } })
    expect(wrong.status).toBe(403)
    expect(wrong.body.error.code).toBe('email_mismatch')
    expect(
      (await app.request('POST', '/invitations/accept', { as: 'dan', body: { id: created.body.id } })).status,
    ).toBe(404)
    expect(
      (
        await app.request('POST', '/invitations/accept', {
          as: 'cat',
          body: { token: created.body.token, id: created.body.id },
        })
      ).status,
    ).toBe(400)
    expect((await app.request('POST', '/invitations/accept', { body: { token: created.body.token } })).status).toBe(401)
    const stillPending = await app.request('GET', '/organizations/acme/invitations?status=pending', { as: 'ann' })
    expect(stillPending.body.data.map((i: { id: string }) => i.id)).toContain(created.body.id)

    const accepted = await app.request('POST', '/invitations/accept', {
      as: 'cat',
      body: { token: created.body.token },
    })
    expect(accepted.status).toBe(200)
    expect(accepted.body).toMatchObject({ userId: 'cat', role: 'member', user: { email: 'cat@example.com' } })
    const again = await app.request('POST', '/invitations/accept', { as: 'cat', body: { token: created.body.token } })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('invitation_used')
  })

  it('refuses duplicates, members, escalation and unknown fields', async () => {
    const first = await app.request('POST', '/organizations/acme/invitations', {
      as: 'ann',
      body: { email: 'uma@example.com' },
    })
    expect(first.status).toBe(201)
    expect(
      (await app.request('POST', '/organizations/acme/invitations', { as: 'ann', body: { email: 'uma@example.com' } }))
        .status,
    ).toBe(409)
    expect(
      (await app.request('POST', '/organizations/acme/invitations', { as: 'ann', body: { email: 'cat@example.com' } }))
        .status,
    ).toBe(409)
    const owner = await app.request('POST', '/organizations/acme/invitations', {
      as: 'bob',
      body: { email: 'x@example.com', role: 'owner' },
    })
    expect(owner.status).toBe(403)
    expect(
      (await app.request('POST', '/organizations/acme/invitations', { as: 'cat', body: { email: 'x@example.com' } }))
        .status,
    ).toBe(403)
    expect(
      (
        await app.request('POST', '/organizations/acme/invitations', {
          as: 'ann',
          body: { email: 'x@example.com', status: 'accepted' },
        })
      ).status,
    ).toBe(400)
    expect((await app.request('GET', '/organizations/acme/invitations', { as: 'dan' })).status).toBe(404)
    const listed = await app.request('GET', '/organizations/acme/invitations?status=pending', { as: 'ann' })
    expect(listed.body.data.map((i: { email: string }) => i.email)).toEqual(['uma@example.com'])

    const unverified = await app.request('POST', '/invitations/accept', {
      as: 'uma',
      body: { token: first.body.token },
    })
    expect(unverified.status).toBe(403)
    expect(unverified.body.error.code).toBe('email_unverified')
  })

  it('resends with a new token, revokes with 204 and 410, declines with 204', async () => {
    const created = await app.request('POST', '/organizations/acme/invitations', {
      as: 'ann',
      body: { email: 'dan@example.com' },
    })
    const resent = await app.request('POST', `/organizations/acme/invitations/${created.body.id}/resend`, { as: 'bob' })
    expect(resent.status).toBe(200)
    expect(resent.body.token).not.toBe(created.body.token)
    expect(
      (await app.request('POST', '/invitations/preview', { as: 'dan', body: { token: created.body.token } })).status,
    ).toBe(404)
    expect(
      (await app.request('POST', '/invitations/decline', { as: 'dan', body: { token: resent.body.token } })).status,
    ).toBe(204)
    expect(
      (await app.request('POST', `/organizations/acme/invitations/${created.body.id}/resend`, { as: 'ann' })).status,
    ).toBe(409)

    const doomed = await app.request('POST', '/organizations/acme/invitations', {
      as: 'ann',
      body: { email: 'dan@example.com' },
    })
    // Another organization cannot touch it: as nonexistent.
    expect(
      (await app.request('DELETE', `/organizations/dan-co/invitations/${doomed.body.id}`, { as: 'dan' })).status,
    ).toBe(404)
    expect(
      (await app.request('DELETE', `/organizations/acme/invitations/${doomed.body.id}`, { as: 'ann' })).status,
    ).toBe(204)
    const revoked = await app.request('POST', '/invitations/accept', { as: 'dan', body: { token: doomed.body.token } })
    expect(revoked.status).toBe(410)
    expect(revoked.body.error.code).toBe('invitation_revoked')
  })

  it('answers 410 invitation_expired after the expiry and creates no membership', async () => {
    const created = await app.request('POST', '/organizations/dan-co/invitations', {
      as: 'dan',
      body: { email: 'ann@example.com' },
    })
    now = new Date(now.getTime() + 8 * 86_400_000)
    const expired = await app.request('POST', '/invitations/accept', { as: 'ann', body: { token: created.body.token } })
    expect(expired.status).toBe(410)
    expect(expired.body.error.code).toBe('invitation_expired')
    expect((await app.request('GET', '/organizations/dan-co', { as: 'ann' })).status).toBe(404)
    // The refusal changed nothing: still pending, past its date, and a resend revives it.
    const listed = await app.request('GET', '/organizations/dan-co/invitations?status=expired', { as: 'dan' })
    expect(listed.body.data[0]).toMatchObject({ id: created.body.id, expired: true, status: 'pending' })
    const resent = await app.request('POST', `/organizations/dan-co/invitations/${created.body.id}/resend`, {
      as: 'dan',
    })
    expect(resent.status).toBe(200)
    expect(resent.body).toMatchObject({ id: created.body.id, status: 'pending', expired: false })
    const accepted = await app.request('POST', '/invitations/accept', { as: 'ann', body: { token: resent.body.token } })
    expect(accepted.status).toBe(200)
  })

  it('creates API keys whose secret works once shown, lists them without it, and revokes them', async () => {
    const created = await app.request('POST', '/organizations/acme/api-keys', {
      as: 'bob',
      body: { name: 'CI', role: 'member' },
    })
    expect(created.status).toBe(201)
    expect(Object.keys(created.body).sort()).toEqual([...API_KEY_KEYS, 'secret'].sort())
    expect(created.body.secret).toMatch(/^ok_[a-z0-9]{12}_/)
    const secret = created.body.secret as string

    const me = await app.request('GET', '/organizations/me', { apiKey: secret })
    expect(me.status).toBe(200)
    expect(me.body.slug).toBe('acme')
    expect((await app.request('GET', '/organizations/acme/members', { apiKey: secret })).status).toBe(200)
    expect(
      (await app.request('GET', '/organizations', { apiKey: secret })).body.data.map((o: { slug: string }) => o.slug),
    ).toEqual(['acme'])
    // The key's organization is fixed.
    expect((await app.request('GET', '/organizations/dan-co', { apiKey: secret })).status).toBe(404)
    expect(
      (await app.request('POST', '/organizations/acme/members', { apiKey: secret, body: { userId: 'dan' } })).status,
    ).toBe(403)
    // A key is presented instead of the user: the host's login header does not widen it.
    expect((await app.request('DELETE', '/organizations/acme', { apiKey: secret, as: 'ann' })).status).toBe(403)

    const listed = await app.request('GET', '/organizations/acme/api-keys', { as: 'ann' })
    expect(listed.status).toBe(200)
    expect(Object.keys(listed.body.data[0]).sort()).toEqual(API_KEY_KEYS)
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(16))
    expect(listed.body.data[0].lastUsedAt).not.toBeNull()

    expect(
      (await app.request('POST', '/organizations/acme/api-keys', { as: 'bob', body: { name: 'x', role: 'owner' } }))
        .status,
    ).toBe(403)
    expect(
      (
        await app.request('POST', '/organizations/acme/api-keys', {
          as: 'bob',
          body: { name: 'x', permissions: ['organization.delete'] },
        })
      ).status,
    ).toBe(403)
    expect(
      (await app.request('POST', '/organizations/acme/api-keys', { as: 'bob', body: { name: 'x', secret: 'mine' } }))
        .status,
    ).toBe(400)
    expect((await app.request('POST', '/organizations/acme/api-keys', { as: 'cat', body: { name: 'x' } })).status).toBe(
      403,
    )
    expect(
      (await app.request('DELETE', `/organizations/dan-co/api-keys/${created.body.id}`, { as: 'dan' })).status,
    ).toBe(404)

    expect((await app.request('DELETE', `/organizations/acme/api-keys/${created.body.id}`, { as: 'ann' })).status).toBe(
      204,
    )
    const refused = await app.request('GET', '/organizations/me', { apiKey: secret })
    expect(refused.status).toBe(401)
    expect(refused.body.error.code).toBe('unauthenticated')
    expect((await app.request('GET', '/organizations/me', { apiKey: 'ok_nonsense' })).status).toBe(401)
  })

  it('refuses an expired key with 401', async () => {
    const created = await app.request('POST', '/organizations/acme/api-keys', {
      as: 'ann',
      body: { name: 'short', expiresAt: new Date(now.getTime() + 60_000).toISOString() },
    })
    expect(created.status).toBe(201)
    expect((await app.request('GET', '/organizations/me', { apiKey: created.body.secret })).status).toBe(200)
    now = new Date(now.getTime() + 120_000)
    expect((await app.request('GET', '/organizations/me', { apiKey: created.body.secret })).status).toBe(401)
  })
})
