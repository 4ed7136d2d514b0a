import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

const JOIN_REQUEST_KEYS = [
  'createdAt',
  'decidedAt',
  'decidedBy',
  'domain',
  'email',
  'id',
  'organizationId',
  'role',
  'status',
  'updatedAt',
  'userId',
]

describe.each(adapterMatrix())('joining by domain and join requests on %s over %s', (adapter, dialect) => {
  let app: TestApp
  const records = new Map<string, string>()

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, {
      enrollment: { resolveTxt: async (name) => (records.has(name) ? [[records.get(name) as string]] : []) },
      limits: { membersPerOrganization: 6 },
    })
    await app.addUser({ id: 'ann', email: 'ann@acme-corp.com', username: 'ann', emailVerified: true })
    await app.addUser({ id: 'bob', email: 'bob@acme-corp.com', username: 'bob', emailVerified: true })
    await app.addUser({ id: 'mem', email: 'mem@acme-corp.com', username: 'mem', emailVerified: true })
    for (const id of ['cat', 'cal', 'col', 'cy', 'cid']) {
      await app.addUser({ id, email: `${id}@Acme-Corp.com`, username: id, emailVerified: true })
    }
    await app.addUser({ id: 'uve', email: 'uve@acme-corp.com', username: 'uve', emailVerified: false })
    await app.addUser({ id: 'unk', email: 'unk@acme-corp.com', username: 'unk' })
    await app.addUser({ id: 'out', email: 'out@elsewhere.com', username: 'out', emailVerified: true })
    await app.addUser({ id: 'sam', email: 'sam@suggest-corp.com', username: 'sam', emailVerified: true })
    await app.addUser({ id: 'sue', email: 'sue@suggest-corp.com', username: 'sue', emailVerified: true })
    await app.addUser({ id: 'sid', email: 'sid@suggest-corp.com', username: 'sid', emailVerified: true })
    await app.addUser({ id: 'dan', email: 'dan@dan.com', username: 'dan', emailVerified: true })
    await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Acme', slug: 'acme' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'bob', role: 'admin' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'mem', role: 'member' } })
    await app.request('POST', '/organizations', { as: 'dan', body: { name: 'Dan Co', slug: 'dan-co' } })
    for (const [org, as, domain] of [
      ['acme', 'ann', 'acme-corp.com'],
      ['acme', 'ann', 'suggest-corp.com'],
    ] as const) {
      const added = await app.request('POST', `/organizations/${org}/domains`, { as, body: { domain } })
      records.set(added.body.verification.name, added.body.verification.value)
      expect((await app.request('POST', `/organizations/${org}/domains/${domain}/verify`, { as })).status).toBe(200)
    }
    await app.request('PATCH', '/organizations/acme/domains/suggest-corp.com', {
      as: 'ann',
      body: { enrollment: 'suggest' },
    })
  })
  afterAll(() => app?.close())

  const notFoundBody = async (as: string) => (await app.request('POST', '/organizations/nope/join', { as })).body

  it('a domain with enrollment none is invisible, and joining it answers as a nonexistent organization', async () => {
    expect((await app.request('GET', '/organizations/discoverable', { as: 'cat' })).body).toEqual({
      data: [],
      nextCursor: null,
      prevCursor: null,
      hasMore: false,
    })
    const refused = await app.request('POST', '/organizations/acme/join', { as: 'cat' })
    expect(refused.status).toBe(404)
    expect(refused.body).toEqual(await notFoundBody('cat'))
  })

  it('auto: discovered by a verified address on the domain, joined at once with its role', async () => {
    expect(
      (
        await app.request('PATCH', '/organizations/acme/domains/acme-corp.com', {
          as: 'ann',
          body: { enrollment: 'auto' },
        })
      ).status,
    ).toBe(200)
    const found = await app.request('GET', '/organizations/discoverable', { as: 'cat' })
    expect(found.status).toBe(200)
    expect(found.body.data).toHaveLength(1)
    expect(found.body.data[0]).toEqual({
      id: expect.stringMatching(/^org_/),
      slug: 'acme',
      name: 'Acme',
      logoUrl: null,
      enrollment: 'auto',
    })
    // Members, unverified or unreported addresses, other domains: nothing to discover.
    for (const as of ['mem', 'uve', 'unk', 'out', 'dan']) {
      expect((await app.request('GET', '/organizations/discoverable', { as })).body.data, as).toEqual([])
    }

    const joined = await app.request('POST', `/organizations/${found.body.data[0].id}/join`, { as: 'cat' })
    expect(joined.status).toBe(201)
    expect(joined.body).toMatchObject({
      organizationId: found.body.data[0].id,
      userId: 'cat',
      role: 'member',
      user: { id: 'cat', username: 'cat' },
    })
    const member = await app.request('GET', '/organizations/acme/members/cat', { as: 'ann' })
    expect(member.body.role).toBe('member')
    const again = await app.request('POST', '/organizations/acme/join', { as: 'cat' })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('conflict')

    const trail = await app.request('GET', '/organizations/acme/audit-events?action=member.added', { as: 'ann' })
    expect(trail.body.data[0]).toMatchObject({
      target: { type: 'user', id: 'cat' },
      actor: { type: 'user', id: 'cat' },
      changes: { role: 'member', via: 'domain', domain: 'acme-corp.com' },
    })
  })

  it('an unverified or unreported email, another domain or another organization answers exactly as a nonexistent one', async () => {
    for (const as of ['uve', 'unk', 'out']) {
      const refused = await app.request('POST', '/organizations/acme/join', { as })
      expect(refused.status, as).toBe(404)
      expect(refused.body, as).toEqual(await notFoundBody(as))
    }
    // Dan's organization holds no domain: nobody joins it this way.
    expect((await app.request('POST', '/organizations/dan-co/join', { as: 'sam' })).body).toEqual(
      await notFoundBody('sam'),
    )
    expect((await app.request('POST', '/organizations/dan-co/join', { as: 'cal' })).body).toEqual(
      await notFoundBody('cal'),
    )
    expect((await app.request('POST', '/organizations/acme/join')).status).toBe(401)
    expect((await app.request('POST', '/organizations/acme/join', { as: 'cal', body: { role: 'admin' } })).status).toBe(
      400,
    )
    expect((await app.request('GET', '/organizations/acme/members/uve', { as: 'ann' })).status).toBe(404)
  })

  it("auto joins respect the member limit, and the domain's role as it is now", async () => {
    await app.request('PATCH', '/organizations/acme/domains/acme-corp.com', { as: 'ann', body: { role: 'admin' } })
    const admin = await app.request('POST', '/organizations/acme/join', { as: 'cal' })
    expect(admin.status).toBe(201)
    expect(admin.body.role).toBe('admin')
    await app.request('PATCH', '/organizations/acme/domains/acme-corp.com', { as: 'ann', body: { role: 'member' } })
    expect((await app.request('POST', '/organizations/acme/join', { as: 'col' })).status).toBe(201)
    // ann, bob, mem, cat, cal, col: the limit of 6 is reached.
    const full = await app.request('POST', '/organizations/acme/join', { as: 'cy' })
    expect(full.status).toBe(409)
    expect(full.body.error.code).toBe('limit_exceeded')
    expect((await app.request('GET', '/organizations/acme/members/cy', { as: 'ann' })).status).toBe(404)
    await app.request('DELETE', '/organizations/acme/members/col', { as: 'ann' })
    await app.request('DELETE', '/organizations/acme/members/cal', { as: 'ann' })
  })

  it('suggest: joining makes one pending join request, listed for the organization and the requester', async () => {
    const discovered = await app.request('GET', '/organizations/discoverable', { as: 'sam' })
    expect(discovered.body.data).toMatchObject([{ slug: 'acme', enrollment: 'suggest' }])
    const requested = await app.request('POST', '/organizations/acme/join', { as: 'sam' })
    expect(requested.status).toBe(202)
    expect(Object.keys(requested.body).sort()).toEqual(JOIN_REQUEST_KEYS)
    expect(requested.body).toMatchObject({
      id: expect.stringMatching(/^jrq_/),
      userId: 'sam',
      email: 'sam@suggest-corp.com',
      domain: 'suggest-corp.com',
      status: 'pending',
      role: null,
    })
    const twice = await app.request('POST', '/organizations/acme/join', { as: 'sam' })
    expect(twice.status).toBe(409)
    expect((await app.request('GET', '/organizations/acme/members/sam', { as: 'ann' })).status).toBe(404)

    const listed = await app.request('GET', '/organizations/acme/join-requests?status=pending', { as: 'bob' })
    expect(listed.status).toBe(200)
    expect(listed.body.data.map((r: { id: string }) => r.id)).toEqual([requested.body.id])
    expect((await app.request('GET', '/organizations/acme/join-requests?status=bogus', { as: 'bob' })).status).toBe(400)
    expect((await app.request('GET', '/organizations/acme/join-requests', { as: 'mem' })).status).toBe(403)
    expect((await app.request('GET', '/organizations/acme/join-requests', { as: 'dan' })).status).toBe(404)
    const mine = await app.request('GET', '/join-requests', { as: 'sam' })
    expect(mine.body.data).toMatchObject([{ id: requested.body.id, organizationId: requested.body.organizationId }])
    expect((await app.request('GET', '/join-requests', { as: 'sue' })).body.data).toEqual([])
  })

  it('approve grants the domain role or one the approver may grant; deny and withdraw close a request', async () => {
    const [request] = (await app.request('GET', '/join-requests', { as: 'sam' })).body.data
    await app.request('POST', '/organizations/acme/roles', {
      as: 'ann',
      body: { key: 'deleter', name: 'Deleter', permissions: ['organization.delete'] },
    })
    const escalation = await app.request('POST', `/organizations/acme/join-requests/${request.id}/approve`, {
      as: 'bob',
      body: { role: 'deleter' },
    })
    expect(escalation.status).toBe(403)
    expect(
      (await app.request('POST', `/organizations/acme/join-requests/${request.id}/approve`, { as: 'mem' })).status,
    ).toBe(403)
    expect(
      (await app.request('POST', `/organizations/dan-co/join-requests/${request.id}/approve`, { as: 'dan' })).status,
    ).toBe(404)
    const unknownRole = await app.request('POST', `/organizations/acme/join-requests/${request.id}/approve`, {
      as: 'bob',
      body: { role: 'nobody' },
    })
    expect(unknownRole.status).toBe(400)
    expect((await app.request('GET', '/join-requests', { as: 'sam' })).body.data[0].status).toBe('pending')

    const approved = await app.request('POST', `/organizations/acme/join-requests/${request.id}/approve`, {
      as: 'bob',
      body: { role: 'admin' },
    })
    expect(approved.status).toBe(201)
    expect(approved.body).toMatchObject({ userId: 'sam', role: 'admin', user: { username: 'sam' } })
    const decided = await app.request('POST', `/organizations/acme/join-requests/${request.id}/deny`, { as: 'bob' })
    expect(decided.status).toBe(409)
    expect((await app.request('GET', '/join-requests', { as: 'sam' })).body.data[0]).toMatchObject({
      status: 'approved',
      role: 'admin',
      decidedBy: 'bob',
    })

    const sue = (await app.request('POST', '/organizations/acme/join', { as: 'sue' })).body
    expect((await app.request('POST', `/organizations/acme/join-requests/${sue.id}/deny`, { as: 'bob' })).status).toBe(
      204,
    )
    expect((await app.request('POST', `/organizations/acme/join-requests/${sue.id}/deny`, { as: 'bob' })).status).toBe(
      204,
    )
    expect((await app.request('DELETE', `/join-requests/${sue.id}`, { as: 'sue' })).status).toBe(409)
    expect((await app.request('GET', '/organizations/acme/members/sue', { as: 'ann' })).status).toBe(404)

    const sid = (await app.request('POST', '/organizations/acme/join', { as: 'sid' })).body
    // Only the requester withdraws; anyone else is told no such request exists.
    expect((await app.request('DELETE', `/join-requests/${sid.id}`, { as: 'sue' })).status).toBe(404)
    expect((await app.request('DELETE', `/join-requests/${sid.id}`, { as: 'sid' })).status).toBe(204)
    expect((await app.request('DELETE', `/join-requests/${sid.id}`, { as: 'sid' })).status).toBe(204)
    expect((await app.request('DELETE', '/join-requests/jrq_missing', { as: 'sid' })).status).toBe(404)
    const approveWithdrawn = await app.request('POST', `/organizations/acme/join-requests/${sid.id}/approve`, {
      as: 'bob',
    })
    expect(approveWithdrawn.status).toBe(409)
    expect(
      (await app.request('GET', '/organizations/acme/join-requests?status=withdrawn', { as: 'ann' })).body.data,
    ).toMatchObject([{ id: sid.id, decidedBy: 'sid' }])

    const trail = await app.request('GET', '/organizations/acme/audit-events?limit=100', { as: 'ann' })
    const actions = trail.body.data.map((event: { action: string }) => event.action)
    for (const action of [
      'join_request.created',
      'join_request.approved',
      'join_request.denied',
      'join_request.withdrawn',
    ]) {
      expect(actions).toContain(action)
    }
    expect(
      trail.body.data.find((e: { action: string; changes: { via?: string } }) => e.changes.via === 'join_request'),
    ).toMatchObject({
      target: { type: 'user', id: 'sam' },
      changes: { role: 'admin', joinRequestId: request.id },
    })
  })
})
