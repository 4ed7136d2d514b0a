import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

/**
 * A deleted custom role never comes back to life through what named it: a link granting it
 * is revoked with it and a domain granting it is closed, so a role created later under the
 * same key, holding more, reaches nobody through them.
 */
describe.each(adapterMatrix())('links and domains of a deleted role on %s over %s', (adapter, dialect) => {
  let app: TestApp
  const records = new Map<string, string>()

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, {
      enrollment: { resolveTxt: async (name) => (records.has(name) ? [[records.get(name) as string]] : []) },
    })
    for (const id of ['ann', 'cat', 'dan']) {
      await app.addUser({ id, email: `${id}@stale-corp.com`, username: id, emailVerified: true })
    }
    await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Stale', slug: 'stale' } })
    const added = await app.request('POST', '/organizations/stale/domains', {
      as: 'ann',
      body: { domain: 'stale-corp.com' },
    })
    records.set(added.body.verification.name, added.body.verification.value)
    expect(
      (await app.request('POST', '/organizations/stale/domains/stale-corp.com/verify', { as: 'ann' })).status,
    ).toBe(200)
  })
  afterAll(() => app?.close())

  it('revokes the links and closes the domains granting it: the same key created again grants nothing through them', async () => {
    const as = 'ann'
    const role = (permissions: string[]) =>
      app.request('POST', '/organizations/stale/roles', {
        as,
        body: { key: 'deployer', name: 'Deployer', permissions },
      })
    expect((await role(['members.read'])).status).toBe(201)
    const link = await app.request('POST', '/organizations/stale/invitation-links', { as, body: { role: 'deployer' } })
    const kept = await app.request('POST', '/organizations/stale/invitation-links', { as, body: { role: 'member' } })
    const opened = await app.request('PATCH', '/organizations/stale/domains/stale-corp.com', {
      as,
      body: { enrollment: 'auto', role: 'deployer' },
    })
    expect(opened.body).toMatchObject({ enrollment: 'auto', role: 'deployer' })

    expect((await app.request('DELETE', '/organizations/stale/roles/deployer', { as })).status).toBe(204)
    const events = await app.request('GET', '/organizations/stale/audit-events?action=role.deleted', { as })
    expect(events.body.data[0].changes).toEqual({ key: 'deployer', revokedInvitationLinks: 1, closedDomains: 1 })
    const domains = await app.request('GET', '/organizations/stale/domains', { as })
    expect(domains.body.data).toMatchObject([{ domain: 'stale-corp.com', enrollment: 'none', role: 'member' }])
    const links = await app.request('GET', '/organizations/stale/invitation-links', { as })
    const revokedAt = (id: string) => links.body.data.find((l: { id: string }) => l.id === id).revokedAt
    expect(revokedAt(link.body.id)).toEqual(expect.any(String))
    expect(revokedAt(kept.body.id)).toBeNull()

    // The key again, holding more: the old link and the domain let nobody in with it.
    expect((await role(['members.read', 'members.remove', 'roles.create'])).status).toBe(201)
    const accepted = await app.request('POST', '/invitations/accept', { as: 'cat', body: { token: link.body.token } })
    expect(accepted.status).toBe(410)
    expect(accepted.body.error.code).toBe('link_revoked')
    const joined = await app.request('POST', '/organizations/stale/join', { as: 'dan' })
    expect(joined.status).toBe(404)
    const members = await app.request('GET', '/organizations/stale/members', { as })
    expect(members.body.data.map((m: { userId: string }) => m.userId)).toEqual(['ann'])
    // A manager opens the domain again with a role of their choosing.
    const reopened = await app.request('PATCH', '/organizations/stale/domains/stale-corp.com', {
      as,
      body: { enrollment: 'auto', role: 'deployer' },
    })
    expect(reopened.status).toBe(200)
    expect((await app.request('POST', '/organizations/stale/join', { as: 'dan' })).body).toMatchObject({
      role: 'deployer',
    })
  })
})
