import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

const LINK_KEYS = [
  'createdAt',
  'createdBy',
  'domain',
  'expiresAt',
  'id',
  'maxUses',
  'organizationId',
  'revokedAt',
  'role',
  'uses',
]

describe.each(adapterMatrix())('invitation links on %s over %s', (adapter, dialect) => {
  let app: TestApp
  let now = new Date('2026-03-01T00:00:00.000Z')
  const records = new Map<string, string>()

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, {
      clock: () => now,
      enrollment: {
        resolveTxt: async (name) => (records.has(name) ? [[records.get(name) as string]] : []),
        linkUrl: (token) => `https://app.example/join/${token}`,
      },
    })
    for (const id of ['ann', 'bob', 'mem', 'cat', 'dan', 'eve', 'fay', 'gus']) {
      await app.addUser({ id, email: `${id}@example.com`, username: id, emailVerified: true })
    }
    await app.addUser({ id: 'ida', email: 'ida@acme-corp.com', username: 'ida', emailVerified: true })
    await app.addUser({ id: 'ian', email: 'ian@acme-corp.com', username: 'ian', emailVerified: false })
    await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Acme', slug: 'acme' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'bob', role: 'admin' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'mem', role: 'member' } })
    await app.request('POST', '/organizations/acme/roles', {
      as: 'ann',
      body: { key: 'deleter', name: 'Deleter', permissions: ['organization.delete'] },
    })
    await app.request('POST', '/organizations', { as: 'gus', body: { name: 'Gus Co', slug: 'gus-co' } })
  })
  afterAll(() => app?.close())

  const create = (body: unknown, as = 'bob') =>
    app.request('POST', '/organizations/acme/invitation-links', { as, body })
  const accept = (token: string, as: string) => app.request('POST', '/invitations/accept', { as, body: { token } })

  it('creates a link whose token is shown once, and counts its uses up to maxUses', async () => {
    const created = await create({ role: 'member', maxUses: 2 })
    expect(created.status).toBe(201)
    expect(Object.keys(created.body).sort()).toEqual([...LINK_KEYS, 'token', 'url'].sort())
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^lnk_/),
      role: 'member',
      maxUses: 2,
      uses: 0,
      domain: null,
      expiresAt: null,
      createdBy: 'bob',
      revokedAt: null,
    })
    expect(created.body.url).toBe(`https://app.example/join/${created.body.token}`)
    const listed = await app.request('GET', '/organizations/acme/invitation-links', { as: 'ann' })
    expect(listed.status).toBe(200)
    expect(Object.keys(listed.body.data[0]).sort()).toEqual(LINK_KEYS)
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token)
    expect((await app.request('GET', '/organizations/acme/invitation-links', { as: 'mem' })).status).toBe(403)
    expect((await app.request('GET', '/organizations/acme/invitation-links', { as: 'gus' })).status).toBe(404)

    const preview = await app.request('POST', '/invitations/preview', {
      as: 'cat',
      body: { token: created.body.token },
    })
    expect(preview.status).toBe(200)
    expect(preview.body).toMatchObject({
      organization: { slug: 'acme' },
      role: 'member',
      status: 'pending',
      expired: false,
      expiresAt: null,
      invitedBy: { userId: 'bob', username: 'bob' },
      link: { id: created.body.id, domain: null, usesLeft: 2 },
    })

    const joined = await accept(created.body.token, 'cat')
    expect(joined.status).toBe(200)
    expect(joined.body).toMatchObject({ userId: 'cat', role: 'member', user: { username: 'cat' } })
    const again = await accept(created.body.token, 'cat')
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('conflict')
    expect((await accept(created.body.token, 'dan')).status).toBe(200)
    const exhausted = await accept(created.body.token, 'eve')
    expect(exhausted.status).toBe(409)
    expect(exhausted.body.error.code).toBe('link_exhausted')
    expect((await app.request('GET', '/organizations/acme/members/eve', { as: 'ann' })).status).toBe(404)
    expect((await app.request('GET', '/organizations/acme/invitation-links', { as: 'ann' })).body.data[0].uses).toBe(2)

    const trail = await app.request('GET', '/organizations/acme/audit-events?action=member.added', { as: 'ann' })
    expect(trail.body.data[0]).toMatchObject({
      target: { id: 'dan' },
      changes: { role: 'member', via: 'link', linkId: created.body.id },
    })
  })

  it('expires and revokes: 410 link_expired and link_revoked, changing nothing', async () => {
    const expiring = await create({ role: 'member', expiresAt: '2026-03-02T00:00:00.000Z' })
    expect(expiring.status).toBe(201)
    const revoked = await create({ role: 'member' })
    expect(
      (await app.request('DELETE', `/organizations/acme/invitation-links/${revoked.body.id}`, { as: 'bob' })).status,
    ).toBe(204)
    expect(
      (await app.request('DELETE', `/organizations/acme/invitation-links/${revoked.body.id}`, { as: 'bob' })).status,
    ).toBe(204)
    expect(
      (await app.request('DELETE', `/organizations/gus-co/invitation-links/${revoked.body.id}`, { as: 'gus' })).status,
    ).toBe(404)
    expect(
      (await app.request('DELETE', `/organizations/acme/invitation-links/${revoked.body.id}`, { as: 'mem' })).status,
    ).toBe(403)
    const refused = await accept(revoked.body.token, 'fay')
    expect(refused.status).toBe(410)
    expect(refused.body.error.code).toBe('link_revoked')
    const shown = await app.request('POST', '/invitations/preview', { as: 'fay', body: { token: revoked.body.token } })
    expect(shown.body.status).toBe('revoked')

    now = new Date('2026-03-03T00:00:00.000Z')
    const late = await accept(expiring.body.token, 'fay')
    expect(late.status).toBe(410)
    expect(late.body.error.code).toBe('link_expired')
    expect((await app.request('GET', '/organizations/acme/members/fay', { as: 'ann' })).status).toBe(404)
    const past = await create({ role: 'member', expiresAt: '2026-03-01T00:00:00.000Z' })
    expect(past.status).toBe(400)
    expect((await accept('not-a-token-of-anything', 'fay')).status).toBe(404)
  })

  it('grants only a role the creator may grant, never owner, and only while the creator still may', async () => {
    expect((await create({ role: 'deleter' })).status).toBe(403)
    expect((await create({ role: 'owner' }, 'ann')).status).toBe(403)
    expect((await create({ role: 'nobody' })).status).toBe(400)
    expect((await create({ role: 'member', maxUses: 0 })).status).toBe(400)
    expect((await create({ role: 'member', organizationId: 'org_x' })).status).toBe(400)
    expect((await create({ role: 'member' }, 'mem')).status).toBe(403)

    const adminLink = await create({ role: 'admin' })
    expect(adminLink.status).toBe(201)
    await app.request('PATCH', '/organizations/acme/members/bob', { as: 'ann', body: { role: 'member' } })
    const stale = await accept(adminLink.body.token, 'fay')
    expect(stale.status).toBe(403)
    expect((await app.request('GET', '/organizations/acme/members/fay', { as: 'ann' })).status).toBe(404)
    await app.request('PATCH', '/organizations/acme/members/bob', { as: 'ann', body: { role: 'admin' } })
    expect((await accept(adminLink.body.token, 'fay')).body.role).toBe('admin')
  })

  it('a link restricted to a verified domain takes only verified addresses on it', async () => {
    const unverified = await create({ role: 'member', domain: 'acme-corp.com' })
    expect(unverified.status).toBe(409)
    expect(unverified.body.error.code).toBe('domain_unverified')
    const domain = await app.request('POST', '/organizations/acme/domains', {
      as: 'ann',
      body: { domain: 'acme-corp.com' },
    })
    records.set(domain.body.verification.name, domain.body.verification.value)
    await app.request('POST', '/organizations/acme/domains/acme-corp.com/verify', { as: 'ann' })

    const restricted = await create({ role: 'member', domain: 'ACME-corp.com' })
    expect(restricted.status).toBe(201)
    expect(restricted.body.domain).toBe('acme-corp.com')
    const elsewhere = await accept(restricted.body.token, 'gus')
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.body.error.code).toBe('email_mismatch')
    const notVerified = await accept(restricted.body.token, 'ian')
    expect(notVerified.status).toBe(403)
    expect(notVerified.body.error.code).toBe('email_unverified')
    expect((await accept(restricted.body.token, 'ida')).status).toBe(200)

    const events = await app.request('GET', '/organizations/acme/audit-events?limit=100', { as: 'ann' })
    const actions = events.body.data.map((event: { action: string }) => event.action)
    expect(actions).toContain('invitation_link.created')
    expect(actions).toContain('invitation_link.revoked')
  })
})
