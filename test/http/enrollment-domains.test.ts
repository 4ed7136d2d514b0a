import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

const DOMAIN_KEYS = [
  'createdAt',
  'domain',
  'enrollment',
  'organizationId',
  'role',
  'status',
  'updatedAt',
  'verification',
  'verifiedAt',
]

/** DNS as the tests publish it: TXT values by name. */
function fakeDns() {
  const records = new Map<string, string[]>()
  return {
    publish: (name: string, value: string) => records.set(name, [...(records.get(name) ?? []), value]),
    resolveTxt: async (name: string) => {
      if (name.includes('broken')) throw Object.assign(new Error('SERVFAIL'), { code: 'ESERVFAIL' })
      // Long values arrive split in 255-character strings, as DNS stores them.
      return (records.get(name) ?? []).map((value) => [value.slice(0, 10), value.slice(10)])
    },
  }
}

describe.each(adapterMatrix())('domain routes on %s over %s', (adapter, dialect) => {
  let app: TestApp
  const dns = fakeDns()
  const reported: string[] = []

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, {
      enrollment: { resolveTxt: dns.resolveTxt },
      onListenerError: (error, event) => reported.push(`${event.action}: ${(error as Error).message}`),
    })
    for (const id of ['ann', 'bob', 'cat', 'dan']) {
      await app.addUser({ id, email: `${id}@example.com`, username: id, emailVerified: true })
    }
    await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Acme', slug: 'acme' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'bob', role: 'admin' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'cat', role: 'member' } })
    await app.request('POST', '/organizations', { as: 'dan', body: { name: 'Dan Co', slug: 'dan-co' } })
  })
  afterAll(() => app?.close())

  const domains = async (org: string, as: string) =>
    (await app.request('GET', `/organizations/${org}/domains`, { as })).body.data.map(
      (domain: { domain: string }) => domain.domain,
    )

  it('claims a normalized domain and answers the TXT record to publish', async () => {
    const added = await app.request('POST', '/organizations/acme/domains', {
      as: 'bob',
      body: { domain: ' Acme-Corp.COM. ' },
    })
    expect(added.status).toBe(201)
    expect(Object.keys(added.body).sort()).toEqual(DOMAIN_KEYS)
    expect(added.body).toMatchObject({
      domain: 'acme-corp.com',
      status: 'pending',
      enrollment: 'none',
      role: 'member',
      verifiedAt: null,
      verification: { type: 'dns_txt', name: '_orgkit-verification.acme-corp.com' },
    })
    expect(added.body.verification.value).toMatch(/^orgkit-verification=[A-Za-z0-9_-]{20,}$/)
    const idn = await app.request('POST', '/organizations/acme/domains', { as: 'ann', body: { domain: 'Bücher.de' } })
    expect(idn.status).toBe(201)
    expect(idn.body.domain).toBe('xn--bcher-kva.de')

    const listed = await app.request('GET', '/organizations/acme/domains', { as: 'ann' })
    expect(listed.status).toBe(200)
    expect(listed.body).toMatchObject({ hasMore: false, nextCursor: null })
    expect(listed.body.data.map((d: { domain: string }) => d.domain)).toEqual(['acme-corp.com', 'xn--bcher-kva.de'])
    const paged = await app.request('GET', '/organizations/acme/domains?limit=1', { as: 'ann' })
    expect(paged.body.data).toHaveLength(1)
    const next = await app.request('GET', `/organizations/acme/domains?limit=1&cursor=${paged.body.nextCursor}`, {
      as: 'ann',
    })
    expect(next.body.data.map((d: { domain: string }) => d.domain)).toEqual(['xn--bcher-kva.de'])

    expect(
      (await app.request('POST', '/organizations/acme/domains', { as: 'ann', body: { domain: 'acme-corp.com' } }))
        .status,
    ).toBe(409)
  })

  it('refuses public suffixes, IP addresses, single labels and consumer mail domains, changing nothing', async () => {
    const before = await domains('acme', 'ann')
    for (const domain of [
      'co.uk',
      'com',
      'github.io',
      '127.0.0.1',
      '[::1]',
      'localhost',
      'acme.internal',
      'gmail.com',
      'Mail.GMAIL.com',
      'outlook.com',
      'not a domain',
      'ann@acme.com',
      'acme.com/path',
      '',
    ]) {
      const refused = await app.request('POST', '/organizations/acme/domains', { as: 'ann', body: { domain } })
      expect(refused.status, domain).toBe(400)
      expect(refused.body.error.code).toBe('validation_failed')
    }
    const extra = await app.request('POST', '/organizations/acme/domains', {
      as: 'ann',
      body: { domain: 'acme.org', organizationId: 'org_x' },
    })
    expect(extra.status).toBe(400)
    expect(await domains('acme', 'ann')).toEqual(before)
  })

  it('needs domains.read to list and domains.manage to change; another organization answers 404', async () => {
    expect((await app.request('GET', '/organizations/acme/domains', { as: 'cat' })).status).toBe(403)
    expect(
      (await app.request('POST', '/organizations/acme/domains', { as: 'cat', body: { domain: 'c.com' } })).status,
    ).toBe(403)
    expect((await app.request('GET', '/organizations/acme/domains', { as: 'dan' })).status).toBe(404)
    expect((await app.request('GET', '/organizations/acme/domains')).status).toBe(401)
    // Dan's organization does not reach Acme's domain through its own path.
    expect(
      (await app.request('POST', '/organizations/dan-co/domains/acme-corp.com/verify', { as: 'dan' })).status,
    ).toBe(404)
    expect((await app.request('DELETE', '/organizations/dan-co/domains/acme-corp.com', { as: 'dan' })).status).toBe(404)
    expect(
      (
        await app.request('PATCH', '/organizations/dan-co/domains/acme-corp.com', {
          as: 'dan',
          body: { enrollment: 'none' },
        })
      ).status,
    ).toBe(404)
  })

  it('verifies by the TXT record only when the expected value is published', async () => {
    const [current] = (await app.request('GET', '/organizations/acme/domains', { as: 'ann' })).body.data
    const { name, value } = current.verification

    const missing = await app.request('POST', '/organizations/acme/domains/acme-corp.com/verify', { as: 'bob' })
    expect(missing.status).toBe(409)
    expect(missing.body.error.code).toBe('domain_unverified')

    dns.publish(name, 'orgkit-verification=somebody-else')
    const wrong = await app.request('POST', '/organizations/acme/domains/acme-corp.com/verify', { as: 'bob' })
    expect(wrong.status).toBe(409)
    expect(wrong.body.error.code).toBe('domain_unverified')
    expect(wrong.body.error.details).toEqual([{ path: 'found.0', message: 'orgkit-verification=somebody-else' }])
    expect((await app.request('GET', '/organizations/acme/domains', { as: 'ann' })).body.data[0].status).toBe('pending')

    dns.publish(name, value)
    const verified = await app.request('POST', '/organizations/acme/domains/ACME-CORP.com./verify', { as: 'bob' })
    expect(verified.status).toBe(200)
    expect(verified.body).toMatchObject({ domain: 'acme-corp.com', status: 'verified' })
    expect(verified.body.verifiedAt).not.toBeNull()
    const again = await app.request('POST', '/organizations/acme/domains/acme-corp.com/verify', { as: 'bob' })
    expect(again.status).toBe(200)
    expect(again.body.verifiedAt).toBe(verified.body.verifiedAt)

    expect((await app.request('POST', '/organizations/acme/domains/nope.com/verify', { as: 'bob' })).status).toBe(404)
  })

  it('a failing DNS lookup is a domain_unverified answer, not a 500', async () => {
    expect(
      (await app.request('POST', '/organizations/acme/domains', { as: 'ann', body: { domain: 'broken.com' } })).status,
    ).toBe(201)
    const failed = await app.request('POST', '/organizations/acme/domains/broken.com/verify', { as: 'ann' })
    expect(failed.status).toBe(409)
    expect(failed.body.error.code).toBe('domain_unverified')
    expect(failed.body.error.message).not.toContain('SERVFAIL')
    expect(reported).toEqual(['domain.verify: SERVFAIL'])
    expect((await app.request('DELETE', '/organizations/acme/domains/broken.com', { as: 'ann' })).status).toBe(204)
  })

  it('opens only a verified domain, with a role the manager may grant', async () => {
    const pending = await app.request('PATCH', '/organizations/acme/domains/xn--bcher-kva.de', {
      as: 'ann',
      body: { enrollment: 'auto' },
    })
    expect(pending.status).toBe(409)
    expect(pending.body.error.code).toBe('domain_unverified')

    await app.request('POST', '/organizations/acme/roles', {
      as: 'ann',
      body: { key: 'deleter', name: 'Deleter', permissions: ['organization.delete'] },
    })
    const escalation = await app.request('PATCH', '/organizations/acme/domains/acme-corp.com', {
      as: 'bob',
      body: { enrollment: 'auto', role: 'deleter' },
    })
    expect(escalation.status).toBe(403)
    const owner = await app.request('PATCH', '/organizations/acme/domains/acme-corp.com', {
      as: 'ann',
      body: { enrollment: 'auto', role: 'owner' },
    })
    expect(owner.status).toBe(403)
    const unknown = await app.request('PATCH', '/organizations/acme/domains/acme-corp.com', {
      as: 'ann',
      body: { role: 'nobody' },
    })
    expect(unknown.status).toBe(400)
    expect(
      (await app.request('PATCH', '/organizations/acme/domains/acme-corp.com', { as: 'ann', body: {} })).status,
    ).toBe(400)
    expect(
      (
        await app.request('PATCH', '/organizations/acme/domains/acme-corp.com', {
          as: 'ann',
          body: { enrollment: 'open' },
        })
      ).status,
    ).toBe(400)
    expect((await app.request('GET', '/organizations/acme/domains', { as: 'ann' })).body.data[0]).toMatchObject({
      enrollment: 'none',
      role: 'member',
    })

    const opened = await app.request('PATCH', '/organizations/acme/domains/acme-corp.com', {
      as: 'bob',
      body: { enrollment: 'suggest', role: 'admin' },
    })
    expect(opened.status).toBe(200)
    expect(opened.body).toMatchObject({ enrollment: 'suggest', role: 'admin', status: 'verified' })
  })

  it('one organization holds a domain verified; releasing it lets another verify it', async () => {
    const taken = await app.request('POST', '/organizations/dan-co/domains', {
      as: 'dan',
      body: { domain: 'acme-corp.com' },
    })
    expect(taken.status).toBe(409)
    expect(taken.body.error.code).toBe('conflict')

    // Both may claim a domain nobody holds verified; the first to verify it keeps it.
    const ours = await app.request('POST', '/organizations/acme/domains', { as: 'ann', body: { domain: 'shared.com' } })
    const theirs = await app.request('POST', '/organizations/dan-co/domains', {
      as: 'dan',
      body: { domain: 'shared.com' },
    })
    expect([ours.status, theirs.status]).toEqual([201, 201])
    expect(ours.body.verification.value).not.toBe(theirs.body.verification.value)
    dns.publish(ours.body.verification.name, ours.body.verification.value)
    dns.publish(theirs.body.verification.name, theirs.body.verification.value)
    expect((await app.request('POST', '/organizations/acme/domains/shared.com/verify', { as: 'ann' })).status).toBe(200)
    const lost = await app.request('POST', '/organizations/dan-co/domains/shared.com/verify', { as: 'dan' })
    expect(lost.status).toBe(409)
    expect(lost.body.error.code).toBe('conflict')

    expect((await app.request('DELETE', '/organizations/acme/domains/shared.com', { as: 'bob' })).status).toBe(204)
    expect((await app.request('DELETE', '/organizations/acme/domains/shared.com', { as: 'bob' })).status).toBe(404)
    expect(await domains('acme', 'ann')).not.toContain('shared.com')
    const won = await app.request('POST', '/organizations/dan-co/domains/shared.com/verify', { as: 'dan' })
    expect(won.status).toBe(200)
    expect(won.body.status).toBe('verified')
  })

  it('making a domain auto grants its role to whoever comes: only a manager who may grant it does', async () => {
    const as = 'dan'
    const added = await app.request('POST', '/organizations/dan-co/domains', { as, body: { domain: 'dan-corp.com' } })
    dns.publish(added.body.verification.name, added.body.verification.value)
    expect((await app.request('POST', '/organizations/dan-co/domains/dan-corp.com/verify', { as })).status).toBe(200)
    await app.request('POST', '/organizations/dan-co/roles', {
      as,
      body: { key: 'deleter', name: 'Deleter', permissions: ['organization.delete'] },
    })
    await app.request('POST', '/organizations/dan-co/members', { as, body: { userId: 'bob', role: 'admin' } })
    const patch = (who: string, body: unknown) =>
      app.request('PATCH', '/organizations/dan-co/domains/dan-corp.com', { as: who, body })
    expect((await patch('dan', { enrollment: 'suggest', role: 'deleter' })).status).toBe(200)
    // Requests are approved one by one by someone who may grant the role; auto grants it to
    // everyone on the domain, so the admin, who lacks organization.delete, may not switch to it.
    const escalation = await patch('bob', { enrollment: 'auto' })
    expect(escalation.status).toBe(403)
    expect(escalation.body.error.code).toBe('forbidden')
    const listed = (await app.request('GET', '/organizations/dan-co/domains', { as })).body.data
    expect(listed.find((d: { domain: string }) => d.domain === 'dan-corp.com')).toMatchObject({
      enrollment: 'suggest',
      role: 'deleter',
    })
    // Closing it, or asking for what it is already, grants nothing.
    expect((await patch('bob', { enrollment: 'suggest' })).status).toBe(200)
    expect((await patch('bob', { enrollment: 'none' })).status).toBe(200)
    expect((await patch('dan', { enrollment: 'auto' })).body).toMatchObject({ enrollment: 'auto', role: 'deleter' })
  })

  it('writes domain events to the audit trail', async () => {
    const events = await app.request('GET', '/organizations/acme/audit-events?limit=100', { as: 'ann' })
    const actions = events.body.data.map((event: { action: string }) => event.action)
    for (const action of ['domain.added', 'domain.verified', 'domain.updated', 'domain.removed']) {
      expect(actions).toContain(action)
    }
    const updated = events.body.data.find((event: { action: string }) => event.action === 'domain.updated')
    expect(updated).toMatchObject({
      target: { type: 'domain', id: 'acme-corp.com' },
      actor: { type: 'user', id: 'bob' },
      changes: {
        domain: 'acme-corp.com',
        enrollment: { from: 'none', to: 'suggest' },
        role: { from: 'member', to: 'admin' },
      },
    })
  })
})
