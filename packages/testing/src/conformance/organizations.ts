import {
  hashSecret,
  type LockedTarget,
  type OrganizationPageRead,
  type PageInput,
  readOrganizationPage,
  type Storage,
  type TransactionRepositories,
} from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { domainRecord, invitationLinkRecord, joinRequestRecord } from './enrollment'
import { apiKey, at, customRole, event, everyPage, invitation, organization, T0, team } from './fixtures'

/** The organizations part of the storage conformance suite. */
export function organizationsConformance(t: ConformanceContext): void {
  const { page, organizationWith } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  /**
   * Runs `change` in a transaction holding `organizationId`'s lock and, while it is open,
   * `read` in another, which takes the lock too; commits the first once the second waits
   * for it: what `read` returned.
   */
  async function afterWait<T>(
    organizationId: string,
    change: (tx: TransactionRepositories) => Promise<unknown>,
    read: (tx: TransactionRepositories) => Promise<T>,
  ): Promise<T> {
    let held!: () => void
    const holding = new Promise<void>((resolve) => {
      held = resolve
    })
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = storage.transaction(async (tx) => {
      expect(await tx.organizations.lock(organizationId)).not.toBeNull()
      await change(tx)
      held()
      await released
    })
    await holding
    const second = storage.transaction(read)
    // Caught now, awaited below: a failure must not go unhandled while the first commits.
    second.catch(() => undefined)
    await t.untilWaitingForLock()
    release()
    await first
    return second
  }

  it('a slug is claimed by exactly one of concurrent inserts, and the record round-trips', async () => {
    const contenders = Array.from({ length: 8 }, () => organization('contested'))
    const results = await Promise.all(contenders.map((o) => storage.organizations.insert(o)))
    expect(results.filter((result) => result === 'inserted')).toHaveLength(1)
    expect(results.filter((result) => result === 'slug_taken')).toHaveLength(7)
    const winner = contenders[results.indexOf('inserted')]!
    expect(await storage.organizations.findBySlug('contested')).toEqual(winner)
    expect(await storage.organizations.findById(winner.id)).toEqual(winner)
    expect(await storage.organizations.findIdBySlug('contested')).toBe(winner.id)
    expect(await storage.organizations.findIdBySlug('uncontested')).toBeNull()
    for (const loser of contenders.filter((o) => o !== winner)) {
      expect(await storage.organizations.findById(loser.id)).toBeNull()
    }
  })

  it('a slug change frees the old slug, refuses a taken one, and writes nothing then', async () => {
    const a = organization('alpha')
    const b = organization('beta')
    expect(await storage.organizations.insert(a)).toBe('inserted')
    expect(await storage.organizations.insert(b)).toBe('inserted')
    expect(await storage.organizations.update(a.id, { slug: 'beta', name: 'Renamed' }, at(5))).toBe('slug_taken')
    expect(await storage.organizations.findById(a.id)).toEqual(a)
    expect((await storage.organizations.findBySlug('beta'))?.id).toBe(b.id)
    const renamed = await storage.organizations.update(a.id, { slug: 'alpha-2' }, at(5))
    expect(renamed).toMatchObject({ id: a.id, slug: 'alpha-2', name: 'alpha', updatedAt: at(5) })
    expect(await storage.organizations.findBySlug('alpha')).toBeNull()
    expect((await storage.organizations.findBySlug('alpha-2'))?.id).toBe(a.id)
    expect(await storage.organizations.insert(organization('alpha'))).toBe('inserted')
    expect(await storage.organizations.update('org_missing', { name: 'x' }, at(5))).toBeNull()
  })

  it('update applies only the fields given, null clearing a field, and keeps the counts', async () => {
    const org = await organizationWith('patched', { ann: 'owner' })
    const updated = await storage.organizations.update(
      org.id,
      { description: 'About', metadata: { plan: 'team' }, industry: null, visibility: 'public' },
      at(9),
    )
    expect(updated).toEqual({
      ...org,
      description: 'About',
      metadata: { plan: 'team' },
      visibility: 'public',
      memberCount: 1,
      updatedAt: at(9),
    })
    expect(await storage.organizations.findById(org.id)).toEqual(updated)
  })

  it('bumpRolesVersion counts up by one per call, concurrent calls included', async () => {
    const org = await organizationWith('versioned')
    await Promise.all(Array.from({ length: 4 }, () => storage.organizations.bumpRolesVersion(org.id, at(7))))
    expect(await storage.organizations.findById(org.id)).toMatchObject({ rolesVersion: 4, updatedAt: at(7) })
  })

  it('listAll pages every organization oldest first, by creation time then id', async () => {
    const late = [organization('late-b', { createdAt: at(500) }), organization('late-a', { createdAt: at(400) })]
    for (const o of late) await storage.organizations.insert(o)
    const all = await everyPage((p) => storage.organizations.listAll(p), 2)
    const keys = all.map((o) => [o.createdAt.getTime(), o.id] as const)
    const sorted = [...keys].sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0))
    expect(keys).toEqual(sorted)
    expect(new Set(all.map((o) => o.id)).size).toBe(all.length)
    const ids = all.map((o) => o.id)
    expect(ids.indexOf(late[1]!.id)).toBeLessThan(ids.indexOf(late[0]!.id))
  })

  it('listForUser gives the organizations in the order the user joined them, with the role', async () => {
    const first = await organizationWith('joined-first')
    const second = await organizationWith('joined-second')
    await storage.members.insert({ organizationId: second.id, userId: 'dan', role: 'owner', joinedAt: at(20) })
    await storage.members.insert({ organizationId: first.id, userId: 'dan', role: 'member', joinedAt: at(30) })
    const one = await storage.organizations.listForUser('dan', page(1))
    expect(one.data.map((o) => [o.slug, o.role])).toEqual([['joined-second', 'owner']])
    const two = await storage.organizations.listForUser('dan', page(1, one.nextCursor!))
    expect(two.data.map((o) => [o.slug, o.role])).toEqual([['joined-first', 'member']])
    expect(two.data[0]).toMatchObject({ id: first.id, memberCount: 1 })
    expect(two.hasMore).toBe(false)
    expect((await storage.organizations.listForUser('nobody', page())).data).toEqual([])
  })

  it("findWithMemberships (where the storage has it) answers as findWithMember and a member's team memberships", async (test) => {
    const findWithMemberships = storage.organizations.findWithMemberships?.bind(storage.organizations)
    if (findWithMemberships === undefined) return test.skip()
    const org = await organizationWith('crews', { 'crews-owner': 'owner', 'crews-member': 'member' })
    const other = await organizationWith('crews-other', { 'crews-stranger': 'owner', 'crews-member': 'member' })
    const [red, blue, elsewhere] = [team(org.id, 'red'), team(org.id, 'blue'), team(other.id, 'red')]
    for (const t of [red, blue, elsewhere]) await storage.teams.insert(t)
    const joined = (t: typeof red, role: string, seconds: number) => ({
      organizationId: t.organizationId,
      teamId: t.id,
      userId: 'crews-member',
      role,
      joinedAt: at(seconds),
    })
    // Joined blue first: listed in the order joined, as `teamMembers.listForUser` lists them.
    for (const m of [joined(blue, 'lead', 8), joined(red, 'member', 9), joined(elsewhere, 'member', 7)]) {
      await storage.teamMembers.insert(m)
    }
    for (const userId of ['crews-member', 'crews-owner', 'crews-stranger']) {
      const found = await findWithMemberships(org.id, userId)
      const expected = await storage.organizations.findWithMember({ id: org.id }, userId)
      expect(found?.organization).toEqual(expected?.organization)
      expect(found?.member).toEqual(expected?.member)
      expect(found?.teams).toEqual(expected?.member ? await storage.teamMembers.listForUser(org.id, userId) : [])
    }
    expect((await findWithMemberships(org.id, 'crews-member'))?.teams).toEqual([
      joined(blue, 'lead', 8),
      joined(red, 'member', 9),
    ])
    expect((await findWithMemberships(other.id, 'crews-member'))?.teams).toEqual([joined(elsewhere, 'member', 7)])
    expect((await findWithMemberships(org.id, 'crews-owner'))?.teams).toEqual([])
    expect(await findWithMemberships('org_missing', 'crews-member')).toBeNull()
  })

  it('findWithMemberAndTeam (where the storage has it) answers as findWithMember, the team and the team membership', async (test) => {
    const findWithMemberAndTeam = storage.organizations.findWithMemberAndTeam?.bind(storage.organizations)
    if (findWithMemberAndTeam === undefined) return test.skip()
    const org = await organizationWith('teamed', { 'teamed-owner': 'owner', 'teamed-member': 'member' })
    const other = await organizationWith('teamed-other', { 'teamed-stranger': 'owner' })
    const alpha = team(org.id, 'alpha')
    const beta = team(org.id, 'beta')
    const elsewhere = team(other.id, 'alpha')
    for (const t of [alpha, beta, elsewhere]) await storage.teams.insert(t)
    const lead = { organizationId: org.id, teamId: alpha.id, userId: 'teamed-member', role: 'lead', joinedAt: at(7) }
    await storage.teamMembers.insert(lead)
    await storage.teamMembers.insert({ ...lead, organizationId: other.id, teamId: elsewhere.id, role: 'member' })
    const same = async (
      ref: { id: string } | { slug: string },
      userId: string,
      teamRef: { id: string } | { slug: string },
    ) => {
      const found = await findWithMemberAndTeam(ref, userId, teamRef)
      const expected = await storage.organizations.findWithMember(ref, userId)
      expect(found?.organization).toEqual(expected?.organization)
      expect(found?.member).toEqual(expected?.member)
      return [found?.team ?? null, found?.teamMember ?? null]
    }
    // By id and by slug, the organization and the team alike.
    const alphaStored = await storage.teams.find(org.id, alpha.id)
    expect(alphaStored?.slug).toBe('alpha')
    for (const ref of [{ id: org.id }, { slug: org.slug }]) {
      for (const teamRef of [{ id: alpha.id }, { slug: 'alpha' }]) {
        expect(await same(ref, 'teamed-member', teamRef)).toEqual([alphaStored, lead])
      }
    }
    // A team the user is not in; a member of the organization who is in no team; a non-member.
    expect(await same({ id: org.id }, 'teamed-member', { slug: 'beta' })).toEqual([
      await storage.teams.find(org.id, beta.id),
      null,
    ])
    expect(await same({ id: org.id }, 'teamed-owner', { id: alpha.id })).toEqual([alphaStored, null])
    expect(await same({ id: org.id }, 'teamed-stranger', { id: alpha.id })).toEqual([alphaStored, null])
    // Another organization's team, by id or by its slug, is no team here; nor is a slug no team has.
    expect(await same({ id: org.id }, 'teamed-member', { id: elsewhere.id })).toEqual([null, null])
    expect(await same({ id: other.id }, 'teamed-member', { slug: 'alpha' })).toEqual([
      await storage.teams.find(other.id, elsewhere.id),
      { ...lead, organizationId: other.id, teamId: elsewhere.id, role: 'member' },
    ])
    expect(await same({ id: org.id }, 'teamed-member', { slug: 'gamma' })).toEqual([null, null])
    expect(await findWithMemberAndTeam({ id: 'org_missing' }, 'teamed-member', { id: alpha.id })).toBeNull()
    expect(await findWithMemberAndTeam({ slug: 'no-such-org' }, 'teamed-member', { slug: 'alpha' })).toBeNull()

    // With a read: the team's members page, or one of them, as the team members' own reads
    // give them, for a member of the organization only.
    await storage.teamMembers.insert({ ...lead, userId: 'teamed-owner', role: 'member', joinedAt: at(8) })
    const first = await findWithMemberAndTeam({ id: org.id }, 'teamed-owner', { slug: 'alpha' }, { page: page(1) })
    expect(first?.teamMember?.role).toBe('member')
    expect(first?.page).toEqual(await storage.teamMembers.list(org.id, alpha.id, page(1)))
    expect(first?.page?.data.map((m) => [m.userId, m.user.name])).toEqual([['teamed-member', null]])
    const next = page(1, first!.page!.nextCursor!)
    const second = await findWithMemberAndTeam({ id: org.id }, 'teamed-owner', { id: alpha.id }, { page: next })
    expect(second?.page).toEqual(await storage.teamMembers.list(org.id, alpha.id, next))
    expect(second?.page?.data.map((m) => m.userId)).toEqual(['teamed-owner'])
    const back = page(1, second!.page!.prevCursor!)
    expect(
      (await findWithMemberAndTeam({ id: org.id }, 'teamed-owner', { id: alpha.id }, { page: back }))?.page,
    ).toEqual(first?.page)
    // A member of the organization sees a team's page whether or not in the team (the role decides).
    expect(
      (await findWithMemberAndTeam({ id: org.id }, 'teamed-member', { id: beta.id }, { page: page() }))?.page?.data,
    ).toEqual([])
    const one = await findWithMemberAndTeam(
      { id: org.id },
      'teamed-member',
      { id: alpha.id },
      { userId: 'teamed-owner' },
    )
    expect(one?.target).toEqual(await storage.teamMembers.findWithUser(org.id, alpha.id, 'teamed-owner'))
    expect(one?.target?.role).toBe('member')
    const none = await findWithMemberAndTeam(
      { id: org.id },
      'teamed-member',
      { id: beta.id },
      { userId: 'teamed-owner' },
    )
    expect([none?.team?.id, none?.target]).toEqual([beta.id, null])
    // Not a member of the organization, or no such team: nothing read.
    const stranger = await findWithMemberAndTeam({ id: org.id }, 'teamed-stranger', { id: alpha.id }, { page: page() })
    expect([stranger?.team?.id, stranger?.member, stranger?.page]).toEqual([alpha.id, null, null])
    const strangerOne = await findWithMemberAndTeam(
      { id: org.id },
      'teamed-stranger',
      { id: alpha.id },
      { userId: 'teamed-member' },
    )
    expect(strangerOne?.target).toBeNull()
    const noTeam = await findWithMemberAndTeam({ id: org.id }, 'teamed-member', { slug: 'gamma' }, { page: page() })
    expect([noTeam?.team, noTeam?.page]).toEqual([null, null])
    // A team member the host's users table has, read with their user.
    await storage.teamMembers.insert({ ...lead, teamId: beta.id, userId: 'ann', role: 'member', joinedAt: at(9) })
    const ann = await findWithMemberAndTeam({ id: org.id }, 'teamed-member', { id: beta.id }, { userId: 'ann' })
    expect(ann?.target).toEqual(await storage.teamMembers.findWithUser(org.id, beta.id, 'ann'))
    expect([ann?.target?.user.name, ann?.target?.user.email]).toEqual(['Ann Lee', 'Ann@Example.com'])
    const annPage = await findWithMemberAndTeam({ id: org.id }, 'teamed-member', { id: beta.id }, { page: page() })
    expect(annPage?.page?.data.map((m) => [m.userId, m.user.username])).toEqual([['ann', 'ann']])
  })

  it('findWithMemberAndPage (where the storage has it) answers as findWithMember and the list, a page only for a member', async (test) => {
    const findWithMemberAndPage = storage.organizations.findWithMemberAndPage?.bind(storage.organizations)
    if (findWithMemberAndPage === undefined) return test.skip()
    const org = await organizationWith('pages', { 'pages-owner': 'owner', 'pages-member': 'member' })
    const other = await organizationWith('pages-other', { 'pages-stranger': 'owner' })
    // Three rows of every page in each organization, a second apart.
    for (const [i, o] of [org, other].entries()) {
      for (let n = 1; n <= 3; n++) {
        const made = { createdAt: at(10 * i + n), updatedAt: at(10 * i + n) }
        await storage.teams.insert(team(o.id, `team-${n}`, made))
        const expiresAt = at(n === 3 ? 50 : 3600)
        await storage.invitations.insert(
          invitation(o.id, `guest${n}@example.com`, { ...made, expiresAt }),
          made.createdAt,
        )
        await storage.apiKeys.insert(apiKey(o.id, `pages${i}${n}prefix`, { createdAt: made.createdAt }))
        await storage.audit.append([event(o.id, n === 2 ? 'page.two' : 'page.other', made.createdAt)])
        await storage.domains.insert(domainRecord(o.id, `d${n}.example.com`, made))
        await storage.joinRequests.insert(
          joinRequestRecord(o.id, `user${n}`, n === 3 ? { ...made, status: 'denied' } : made),
        )
        await storage.invitationLinks.insert(invitationLinkRecord(o.id, { createdAt: made.createdAt }))
      }
    }
    // Each page with how many rows its list holds in `org`: a filter reads only its rows.
    const reads: [OrganizationPageRead, number][] = [
      [{ list: 'teams', input: [page(2)] }, 3],
      [{ list: 'invitations', input: [{}, at(100), page(2)] }, 3],
      [{ list: 'invitations', input: [{ status: 'expired' }, at(100), page(2)] }, 1],
      [{ list: 'apiKeys', input: [page(2)] }, 3],
      [{ list: 'audit', input: [{}, page(2)] }, 3],
      [{ list: 'audit', input: [{ action: 'page.two' }, page(2)] }, 1],
      [{ list: 'domains', input: [page(2)] }, 3],
      [{ list: 'joinRequests', input: [{}, page(2)] }, 3],
      [{ list: 'joinRequests', input: [{ status: 'pending' }, page(2)] }, 2],
      [{ list: 'invitationLinks', input: [page(2)] }, 3],
    ]
    /** `read` at another page (its last argument). */
    const turned = (read: OrganizationPageRead, to: PageInput) =>
      ({ list: read.list, input: [...read.input.slice(0, -1), to] }) as unknown as OrganizationPageRead
    const same = async (read: OrganizationPageRead) => {
      const found = await findWithMemberAndPage(org.id, 'pages-member', read)
      expect(found?.organization).toEqual(await storage.organizations.findById(org.id))
      expect(found?.member).toEqual(
        (await storage.organizations.findWithMember({ id: org.id }, 'pages-member'))?.member,
      )
      expect(found?.page).toEqual(await readOrganizationPage(storage, org.id, read))
      return found!.page!
    }
    for (const [read, rows] of reads) {
      // Forward to the end, then one page back: every page as the list gives it.
      const first = await same(read)
      expect(first.data.every((row) => row.organizationId === org.id)).toBe(true)
      const second = first.nextCursor === null ? null : await same(turned(read, page(2, first.nextCursor)))
      expect([first.data.length + (second?.data.length ?? 0), second?.nextCursor ?? null], read.list).toEqual([
        rows,
        null,
      ])
      if (second !== null) expect((await same(turned(read, page(2, second.prevCursor!)))).data).toEqual(first.data)
    }
    // No page for a non-member, whatever the organization holds; another organization's
    // member is no member here, and reads their own organization's rows only.
    for (const [read] of reads) {
      const stranger = await findWithMemberAndPage(org.id, 'pages-stranger', read)
      expect(stranger?.organization.id).toBe(org.id)
      expect([stranger?.member, stranger?.page]).toEqual([null, null])
      const own = await findWithMemberAndPage(other.id, 'pages-stranger', read)
      expect(own?.page?.data.every((row) => row.organizationId === other.id)).toBe(true)
      expect(own?.page).toEqual(await readOrganizationPage(storage, other.id, read))
      expect(await findWithMemberAndPage('org_missing', 'pages-member', read)).toBeNull()
    }
  })

  it('lock exists only on the repositories of a transaction', async () => {
    expect('lock' in storage.organizations).toBe(false)
    const org = await organizationWith('lockable')
    const locked = await storage.transaction((tx) => tx.organizations.lock(org.id))
    expect(locked).toEqual(org)
    expect(await storage.transaction((tx) => tx.organizations.lock('org_missing'))).toBeNull()
  })

  it('lockWithMember: the locked organization with the membership of the user named, only in a transaction', async () => {
    expect('lockWithMember' in storage.organizations).toBe(false)
    const org = await organizationWith('lock-with-member', { erin: 'admin' })
    const [withErin, withFay, missing] = await storage.transaction(async (tx) => [
      await tx.organizations.lockWithMember(org.id, 'erin'),
      await tx.organizations.lockWithMember(org.id, 'fay'),
      await tx.organizations.lockWithMember('org_missing', 'erin'),
    ])
    expect(withErin?.organization).toEqual(await storage.organizations.findById(org.id))
    expect(withErin?.member).toEqual(await storage.members.find(org.id, 'erin'))
    expect(withErin?.member?.role).toBe('admin')
    expect(withFay).toEqual({ organization: withErin?.organization, member: null })
    expect(missing).toBeNull()
  })

  it("lockWithTarget: the locked organization with the caller's membership and the target's with their user, only in a transaction", async () => {
    expect('lockWithTarget' in storage.organizations).toBe(false)
    const org = await organizationWith('lock-with-target', { erin: 'admin', dan: 'member', ghost: 'viewer' })
    const [found, self, notMember, byStranger, missing] = await storage.transaction(async (tx) => [
      await tx.organizations.lockWithTarget(org.id, 'erin', 'dan'),
      await tx.organizations.lockWithTarget(org.id, 'erin', 'erin'),
      await tx.organizations.lockWithTarget(org.id, 'erin', 'fay'),
      await tx.organizations.lockWithTarget(org.id, 'fay', 'dan'),
      await tx.organizations.lockWithTarget('org_missing', 'erin', 'dan'),
    ])
    const organization = await storage.organizations.findById(org.id)
    const erin = await storage.members.find(org.id, 'erin')
    const dan = await storage.members.findWithUser(org.id, 'dan')
    expect(dan?.user.name).toBe('Dan')
    expect(found).toMatchObject({ organization, member: erin, target: dan })
    expect(self).toMatchObject({
      organization,
      member: erin,
      target: await storage.members.findWithUser(org.id, 'erin'),
    })
    expect(notMember).toMatchObject({ organization, member: erin, target: null })
    expect(byStranger).toMatchObject({ organization, member: null, target: dan })
    expect(missing).toBeNull()
    // A member the host's table lacks: the membership, with the user's fields null.
    const ghost = await storage.transaction((tx) => tx.organizations.lockWithTarget(org.id, 'erin', 'ghost'))
    expect(ghost?.target).toEqual(await storage.members.findWithUser(org.id, 'ghost'))
    expect(ghost?.target).toMatchObject({ role: 'viewer', user: { id: 'ghost', email: null, name: null } })
  })

  it('lockWithMemberBySlug and lockWithTargetBySlug (where the storage has them): the locks of the organization a slug names', async (test) => {
    expect('lockWithMemberBySlug' in storage.organizations).toBe(false)
    expect('lockWithTargetBySlug' in storage.organizations).toBe(false)
    const has = await storage.transaction(
      async (tx) =>
        tx.organizations.lockWithMemberBySlug !== undefined && tx.organizations.lockWithTargetBySlug !== undefined,
    )
    if (!has) return test.skip()
    const org = await organizationWith('lock-by-slug', { erin: 'admin', dan: 'member' })
    type Locks = TransactionRepositories['organizations']
    const withMember = async (o: Locks, slug: string, userId: string, readUserId?: string) =>
      (await o.lockWithMemberBySlug?.(slug, userId, readUserId)) ?? null
    const withTarget = async (o: Locks, slug: string, userId: string, targetUserId: string) =>
      (await o.lockWithTargetBySlug?.(slug, userId, targetUserId)) ?? null
    const answers = await storage.transaction(async ({ organizations: o }) => ({
      member: [await o.lockWithMember(org.id, 'erin'), await withMember(o, 'lock-by-slug', 'erin')],
      withUser: [await o.lockWithMember(org.id, 'erin', 'cat'), await withMember(o, 'lock-by-slug', 'erin', 'cat')],
      stranger: [await o.lockWithMember(org.id, 'nobody'), await withMember(o, 'lock-by-slug', 'nobody')],
      target: [await o.lockWithTarget(org.id, 'erin', 'dan'), await withTarget(o, 'lock-by-slug', 'erin', 'dan')],
      noTarget: [await o.lockWithTarget(org.id, 'erin', 'cat'), await withTarget(o, 'lock-by-slug', 'erin', 'cat')],
      missing: [await withMember(o, 'no-such-slug', 'erin'), await withTarget(o, 'no-such-slug', 'erin', 'dan')],
    }))
    for (const [byId, bySlug] of [
      answers.member,
      answers.withUser,
      answers.stranger,
      answers.target,
      answers.noTarget,
    ]) {
      expect(byId).not.toBeNull()
      expect(bySlug).toEqual(byId)
    }
    expect(answers.member[1]?.member?.role).toBe('admin')
    expect(answers.stranger[1]?.member).toBeNull()
    expect((answers.target[1] as LockedTarget | null)?.target?.role).toBe('member')
    expect((answers.noTarget[1] as LockedTarget | null)?.target).toBeNull()
    expect(answers.missing).toEqual([null, null])

    // Renamed while the lock was waited for: the slug given up finds nothing, the new one
    // finds the organization; demoted meanwhile, the caller's role as committed.
    const renamed = 'lock-by-slug-renamed'
    const afterRename = await afterWait(
      org.id,
      (tx) => tx.organizations.update(org.id, { slug: renamed }, at(5)),
      async (tx) => [
        await withMember(tx.organizations, 'lock-by-slug', 'erin'),
        await withMember(tx.organizations, renamed, 'erin'),
      ],
    )
    expect(afterRename[0]).toBeNull()
    expect(afterRename[1]?.organization).toMatchObject({ id: org.id, slug: renamed })
    const afterDemotion = await afterWait(
      org.id,
      (tx) => tx.members.updateRole(org.id, 'erin', 'member'),
      (tx) => withTarget(tx.organizations, renamed, 'erin', 'dan'),
    )
    expect(afterDemotion?.member?.role).toBe('member')
    expect(afterDemotion?.target?.userId).toBe('dan')
  })

  it("lockForAcceptance: the locked organization with an invitation, its inviter's membership and the user, only in a transaction", async () => {
    expect('lockForAcceptance' in storage.organizations).toBe(false)
    const org = await organizationWith('lock-for-acceptance', { erin: 'admin' })
    const other = await organizationWith('lock-for-acceptance-other')
    const sent = invitation(org.id, 'dan@example.com', { invitedBy: 'erin', teamIds: ['team_a', 'team_b'] })
    const orphaned = invitation(org.id, 'cat@example.com', { invitedBy: 'fay' })
    for (const each of [sent, orphaned]) expect(await storage.invitations.insert(each, T0)).toBe('inserted')
    const [forDan, forStranger, fromFormerMember, elsewhere, missing] = await storage.transaction(async (tx) => [
      await tx.organizations.lockForAcceptance(org.id, sent.id, 'dan'),
      await tx.organizations.lockForAcceptance(org.id, sent.id, 'nobody'),
      await tx.organizations.lockForAcceptance(org.id, orphaned.id, 'cat'),
      await tx.organizations.lockForAcceptance(other.id, sent.id, 'dan'),
      await tx.organizations.lockForAcceptance('org_missing', sent.id, 'dan'),
    ])
    expect(forDan).toEqual({
      organization: await storage.organizations.findById(org.id),
      invitation: await storage.invitations.find(org.id, sent.id),
      inviter: await storage.members.find(org.id, 'erin'),
      user: await storage.users.findById('dan'),
    })
    expect(forDan?.invitation.teamIds).toEqual(['team_a', 'team_b'])
    expect(forDan?.inviter?.role).toBe('admin')
    expect(forStranger).toEqual({ ...forDan, user: null })
    expect(fromFormerMember?.inviter).toBeNull()
    expect(fromFormerMember?.user?.id).toBe('cat')
    // Another organization's invitation is as missing as a nonexistent one.
    expect(elsewhere).toBeNull()
    expect(missing).toBeNull()
  })

  it('lockInvitationForAcceptance (where the storage has it): lockForAcceptance of the invitation a token or public id names', async (test) => {
    expect('lockInvitationForAcceptance' in storage.organizations).toBe(false)
    const has = await storage.transaction(async (tx) => tx.organizations.lockInvitationForAcceptance !== undefined)
    if (!has) return test.skip()
    const org = await organizationWith('lock-invitation', { erin: 'admin' })
    const sent = invitation(org.id, 'dan@example.com', { invitedBy: 'erin' })
    const orphaned = invitation(org.id, 'cat@example.com', { invitedBy: 'fay' })
    for (const each of [sent, orphaned]) expect(await storage.invitations.insert(each, T0)).toBe('inserted')
    const lockBy = async (tx: TransactionRepositories, ref: { tokenHash: string } | { id: string }, userId: string) =>
      (await tx.organizations.lockInvitationForAcceptance?.(ref, userId)) ?? null
    const [byToken, byId, forStranger, fromFormerMember, expected, unknownToken, unknownId] = await storage.transaction(
      async (tx) => [
        await lockBy(tx, { tokenHash: sent.tokenHash }, 'dan'),
        await lockBy(tx, { id: sent.id }, 'dan'),
        await lockBy(tx, { tokenHash: sent.tokenHash }, 'nobody'),
        await lockBy(tx, { id: orphaned.id }, 'cat'),
        await tx.organizations.lockForAcceptance(org.id, sent.id, 'dan'),
        await lockBy(tx, { tokenHash: hashSecret('no such token') }, 'dan'),
        await lockBy(tx, { id: 'inv_missing' }, 'dan'),
      ],
    )
    expect(byToken).toEqual(expected)
    expect(byToken?.inviter?.role).toBe('admin')
    expect(byId).toEqual(expected)
    expect(forStranger).toEqual({ ...expected, user: null })
    expect(fromFormerMember?.inviter).toBeNull()
    expect(fromFormerMember?.invitation.id).toBe(orphaned.id)
    expect(unknownToken).toBeNull()
    expect(unknownId).toBeNull()
    // A token rotated while the lock was waited for (a resend) names the invitation no more;
    // the new one does, and the public id still does.
    const rotated = hashSecret('the resent token')
    const afterResend = await afterWait(
      org.id,
      (tx) => tx.invitations.rotateToken(org.id, sent.id, { tokenHash: rotated, expiresAt: at(10_000), now: at(1) }),
      (tx) => lockBy(tx, { tokenHash: sent.tokenHash }, 'dan'),
    )
    expect(afterResend).toBeNull()
    const [byNewToken, byIdAfter] = await storage.transaction(async (tx) => [
      await lockBy(tx, { tokenHash: rotated }, 'dan'),
      await lockBy(tx, { id: sent.id }, 'dan'),
    ])
    expect(byNewToken?.invitation).toMatchObject({ id: sent.id, tokenHash: rotated })
    expect(byIdAfter).toEqual(byNewToken)
  })

  it('lockWithMember after a wait for the lock: the membership committed when the lock is granted', async () => {
    const org = await organizationWith('lock-after-wait', { erin: 'owner', fay: 'admin', gus: 'admin', hal: 'member' })
    // Demoted while the lock is waited for: the new role, with the user or without.
    const demoted = await afterWait(
      org.id,
      (tx) => tx.members.updateRole(org.id, 'fay', 'member'),
      (tx) => tx.organizations.lockWithMember(org.id, 'fay'),
    )
    expect(demoted?.member?.role).toBe('member')
    const demotedWithUser = await afterWait(
      org.id,
      (tx) => tx.members.updateRole(org.id, 'fay', 'viewer'),
      (tx) => tx.organizations.lockWithMember(org.id, 'fay', 'dan'),
    )
    expect(demotedWithUser?.member?.role).toBe('viewer')
    expect(demotedWithUser?.user === undefined || demotedWithUser.user?.id === 'dan').toBe(true)
    // Removed meanwhile: no longer a member, the organization still there, with its count.
    const removed = await afterWait(
      org.id,
      (tx) => tx.members.delete(org.id, 'gus'),
      (tx) => tx.organizations.lockWithMember(org.id, 'gus', 'dan'),
    )
    expect(removed?.member).toBeNull()
    expect(removed?.organization.memberCount).toBe(3)
    // Deleted meanwhile: no organization.
    const deleted = await afterWait(
      org.id,
      (tx) => tx.organizations.delete(org.id),
      (tx) => tx.organizations.lockWithMember(org.id, 'hal'),
    )
    expect(deleted).toBeNull()
  })

  it('lockWithTarget after a wait for the lock: both memberships committed when the lock is granted', async () => {
    const org = await organizationWith('target-after-wait', {
      erin: 'owner',
      fay: 'admin',
      gus: 'member',
      hal: 'owner',
    })
    /** `fay`'s lock with `gus` as the target, taken once `change` holds the lock and commits. */
    const lockedAfter = (change: Parameters<typeof afterWait>[1]) =>
      afterWait(org.id, change, (tx) => tx.organizations.lockWithTarget(org.id, 'fay', 'gus'))
    // The target promoted, then demoted, while the lock is waited for: the new role.
    const promoted = await lockedAfter((tx) => tx.members.updateRole(org.id, 'gus', 'owner'))
    expect(promoted?.target?.role).toBe('owner')
    expect(promoted?.member?.role).toBe('admin')
    const demoted = await lockedAfter((tx) => tx.members.updateRole(org.id, 'gus', 'member'))
    expect(demoted?.target).toMatchObject({ userId: 'gus', role: 'member' })
    // The caller demoted meanwhile: the caller's new role, the target as it was.
    const callerDemoted = await lockedAfter((tx) => tx.members.updateRole(org.id, 'fay', 'viewer'))
    expect(callerDemoted?.member?.role).toBe('viewer')
    expect(callerDemoted?.target?.role).toBe('member')
    // The target removed meanwhile: no target, the caller still there.
    const removed = await lockedAfter((tx) => tx.members.delete(org.id, 'gus'))
    expect(removed?.target).toBeNull()
    expect(removed?.member?.role).toBe('viewer')
    expect(removed?.organization.memberCount).toBe(3)
    // The target added meanwhile: found.
    const added = await afterWait(
      org.id,
      (tx) => tx.members.insert({ organizationId: org.id, userId: 'gus', role: 'admin', joinedAt: at(30) }),
      (tx) => tx.organizations.lockWithTarget(org.id, 'erin', 'gus'),
    )
    expect(added?.target?.role).toBe('admin')
    // The caller removed meanwhile: no member, the target still read.
    const callerRemoved = await afterWait(
      org.id,
      (tx) => tx.members.delete(org.id, 'fay'),
      (tx) => tx.organizations.lockWithTarget(org.id, 'fay', 'hal'),
    )
    expect(callerRemoved?.member).toBeNull()
    expect(callerRemoved?.target?.role).toBe('owner')
  })

  it("lockForAcceptance after a wait for the lock: the inviter's membership and the invitation committed when it is granted", async () => {
    const org = await organizationWith('accept-after-wait', { erin: 'owner', fay: 'admin' })
    const sent = invitation(org.id, 'dan@example.com', { invitedBy: 'fay', role: 'admin' })
    expect(await storage.invitations.insert(sent, T0)).toBe('inserted')
    const demoted = await afterWait(
      org.id,
      (tx) => tx.members.updateRole(org.id, 'fay', 'member'),
      (tx) => tx.organizations.lockForAcceptance(org.id, sent.id, 'dan'),
    )
    expect(demoted?.inviter?.role).toBe('member')
    expect(demoted?.invitation.status).toBe('pending')
    const revoked = await afterWait(
      org.id,
      (tx) => tx.invitations.transition(org.id, sent.id, { to: 'revoked', respondedBy: null, now: at(5) }),
      (tx) => tx.organizations.lockForAcceptance(org.id, sent.id, 'dan'),
    )
    expect(revoked?.invitation.status).toBe('revoked')
    const removed = await afterWait(
      org.id,
      (tx) => tx.members.delete(org.id, 'fay'),
      (tx) => tx.organizations.lockForAcceptance(org.id, sent.id, 'dan'),
    )
    expect(removed?.inviter).toBeNull()
    expect(removed?.invitation.id).toBe(sent.id)
  })

  it('insert with an owner writes the organization with its first member, counted', async () => {
    const org = organization('founded', { memberCount: 0 })
    expect(await storage.organizations.insert(org, { userId: 'gus', role: 'owner' })).toBe('inserted')
    expect((await storage.organizations.findById(org.id))?.memberCount).toBe(1)
    expect(await storage.members.find(org.id, 'gus')).toEqual({
      organizationId: org.id,
      userId: 'gus',
      role: 'owner',
      joinedAt: org.createdAt,
    })
    const mine = await everyPage((p) => storage.organizations.listForUser('gus', p), 50)
    expect(mine.find((o) => o.id === org.id)?.role).toBe('owner')
    // A taken slug writes neither the organization nor the membership.
    const clash = organization('founded')
    expect(await storage.organizations.insert(clash, { userId: 'cat', role: 'owner' })).toBe('slug_taken')
    expect(await storage.organizations.findById(clash.id)).toBeNull()
    expect(await storage.members.find(clash.id, 'cat')).toBeNull()
  })

  it('lock() holds the organization row until the transaction ends', async () => {
    const org = await organizationWith('locked')
    const order: string[] = []
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let locked!: () => void
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve
    })
    const first = storage.transaction(async (tx) => {
      await tx.organizations.lock(org.id)
      locked()
      await held
      order.push('first commits')
    })
    await isLocked
    const second = storage.transaction(async (tx) => {
      await tx.organizations.lock(org.id)
      order.push('second locked')
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    order.push('released')
    release()
    await Promise.all([first, second])
    expect(order).toEqual(['released', 'first commits', 'second locked'])
  })

  /** A team organization `creator` creates and owns, taking one of their slots under `limit`. */
  const createAs = (
    creator: string,
    slug: string,
    limit: number | null,
    tx: TransactionRepositories | Storage = storage,
  ) => {
    const created = organization(slug, { createdBy: creator })
    const events = [event(created.id, 'organization.created', T0), event(created.id, 'member.added', T0)]
    return tx.organizations.insert(created, { userId: creator, role: 'owner' }, events, { limit })
  }
  /** Nothing of an organization that was not inserted is there to read, and its slug is free. */
  async function expectNothingOf(creator: string, slug: string): Promise<void> {
    expect(await storage.organizations.findIdBySlug(slug)).toBeNull()
    const mine = await everyPage((p) => storage.organizations.listForUser(creator, p), 50)
    expect(mine.map((o) => o.slug)).not.toContain(slug)
    expect(await storage.organizations.insert(organization(slug, { createdBy: 'someone-else' }))).toBe('inserted')
  }

  it('insert with a creator slot: of concurrent inserts by one creator at the limit exactly the ones that fit succeed', async () => {
    const slugs = Array.from({ length: 7 }, (_, i) => `slot-race-${i}`)
    const results = await Promise.all(slugs.map((slug) => createAs('creator-1', slug, 3)))
    expect(results.filter((result) => result === 'inserted')).toHaveLength(3)
    expect(results.filter((result) => result === 'limit_reached')).toHaveLength(4)
    const mine = await everyPage((p) => storage.organizations.listForUser('creator-1', p), 50)
    expect(mine.map((o) => o.slug).sort()).toEqual(slugs.filter((_, i) => results[i] === 'inserted').sort())
    for (const [i, slug] of slugs.entries())
      if (results[i] === 'limit_reached') await expectNothingOf('creator-1', slug)
    expect(await createAs('creator-1', 'slot-race-more', 3)).toBe('limit_reached')
    expect(await createAs('creator-1', 'slot-race-more', 4)).toBe('inserted')
    // No limit: always counted, and counted (the limit of 5 is then already reached).
    expect(await createAs('creator-1', 'slot-race-unlimited', null)).toBe('inserted')
    expect(await createAs('creator-1', 'slot-race-over', 5)).toBe('limit_reached')
    // Slots are per user.
    expect(await createAs('creator-2', 'slot-other-1', 1)).toBe('inserted')
    expect(await createAs('creator-2', 'slot-other-2', 1)).toBe('limit_reached')
  })

  it('insert at the limit writes nothing observable, in a transaction that commits too; a limit of 0 claims nothing', async () => {
    expect(await createAs('creator-3', 'slot-full-1', 1)).toBe('inserted')
    const refused = organization('slot-full-2', { createdBy: 'creator-3' })
    const events = [event(refused.id, 'organization.created', T0)]
    const answer = await storage.transaction((tx) =>
      tx.organizations.insert(refused, { userId: 'creator-3', role: 'owner' }, events, { limit: 1 }),
    )
    expect(answer).toBe('limit_reached')
    expect(await storage.organizations.findById(refused.id)).toBeNull()
    expect(await storage.members.find(refused.id, 'creator-3')).toBeNull()
    expect((await storage.audit.list(refused.id, {}, page())).data).toEqual([])
    await expectNothingOf('creator-3', 'slot-full-2')
    // A limit of 0: refused, and no slot taken for later.
    expect(await createAs('creator-zero', 'slot-zero-1', 0)).toBe('limit_reached')
    await expectNothingOf('creator-zero', 'slot-zero-1')
    expect(await createAs('creator-zero', 'slot-zero-2', 1)).toBe('inserted')
    expect(await createAs('creator-zero', 'slot-zero-3', 1)).toBe('limit_reached')
  })

  it('insert with a taken slug is slug_taken whatever the count, and takes no slot', async () => {
    expect(await createAs('ann', 'slot-taken', null)).toBe('inserted')
    // At the limit: the slug is decided first.
    expect(await createAs('creator-6', 'slot-taken-own', 1)).toBe('inserted')
    expect(await createAs('creator-6', 'slot-taken', 1)).toBe('slug_taken')
    expect(await createAs('creator-6', 'slot-taken', 0)).toBe('slug_taken')
    // Below it, as a generated slug's attempts go: the taken one takes no slot, the next one
    // takes exactly one.
    expect(await createAs('creator-7', 'slot-taken', 2)).toBe('slug_taken')
    expect(await createAs('creator-7', 'slot-taken-2', 2)).toBe('inserted')
    expect(await createAs('creator-7', 'slot-taken-3', 2)).toBe('inserted')
    expect(await createAs('creator-7', 'slot-taken-4', 2)).toBe('limit_reached')
    const mine = await everyPage((p) => storage.organizations.listForUser('creator-7', p), 50)
    expect(mine.map((o) => o.slug).sort()).toEqual(['slot-taken-2', 'slot-taken-3'])
  })

  it('a slot rolls back with its transaction', async () => {
    await expect(
      storage.transaction(async (tx) => {
        expect(await createAs('creator-4', 'slot-rolled-back', 1, tx)).toBe('inserted')
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    expect(await createAs('creator-4', 'slot-rolled-back', 1)).toBe('inserted')
  })

  it('deleting a team organization gives its creator the slot back; a personal one takes none and gives none', async () => {
    const first = organization('creator-5-first', { createdBy: 'creator-5' })
    expect(await storage.organizations.insert(first, undefined, [], { limit: 2 })).toBe('inserted')
    expect(await createAs('creator-5', 'creator-5-second', 2)).toBe('inserted')
    expect(await createAs('creator-5', 'creator-5-third', 2)).toBe('limit_reached')
    const personal = organization('creator-5-personal', { type: 'personal', createdBy: 'creator-5' })
    expect(await storage.organizations.insert(personal, undefined, [], { limit: 2 })).toBe('inserted')
    expect(await storage.organizations.delete(personal.id)).toBe(true)
    expect(await createAs('creator-5', 'creator-5-third', 2)).toBe('limit_reached')
    expect(await storage.organizations.delete(first.id)).toBe(true)
    expect(await createAs('creator-5', 'creator-5-third', 2)).toBe('inserted')
    expect(await createAs('creator-5', 'creator-5-fourth', 2)).toBe('limit_reached')
  })

  it('deleting an organization removes everything it owns, lookup rows included', async () => {
    const org = await organizationWith('doomed', { ann: 'owner', bob: 'member' })
    const survivor = await organizationWith('survivor', { ann: 'owner' })
    const red = team(org.id, 'red')
    await storage.teams.insert(red)
    await storage.teamMembers.insert({
      organizationId: org.id,
      teamId: red.id,
      userId: 'bob',
      role: 'lead',
      joinedAt: T0,
    })
    await storage.roles.insert(customRole(org.id, 'billing'))
    const inv = invitation(org.id, 'zed@example.com')
    await storage.invitations.insert(inv, T0)
    const key = apiKey(org.id, 'doomedprefix')
    await storage.apiKeys.insert(key)
    await storage.audit.append([event(org.id, 'organization.created', T0)])
    const survivorTeam = team(survivor.id, 'red')
    await storage.teams.insert(survivorTeam)
    await storage.roles.insert(customRole(survivor.id, 'billing'))
    await storage.audit.append([event(survivor.id, 'organization.created', T0)])

    expect(await storage.organizations.delete(org.id)).toBe(true)
    expect(await storage.organizations.delete(org.id)).toBe(false)
    expect(await storage.organizations.findById(org.id)).toBeNull()
    expect(await storage.organizations.findBySlug('doomed')).toBeNull()
    expect(await storage.members.find(org.id, 'ann')).toBeNull()
    expect((await storage.members.list(org.id, {}, page())).data).toEqual([])
    expect(await storage.teams.find(org.id, red.id)).toBeNull()
    expect((await storage.teams.list(org.id, page())).data).toEqual([])
    expect(await storage.teamMembers.find(org.id, red.id, 'bob')).toBeNull()
    expect(await storage.teamMembers.listForUser(org.id, 'bob')).toEqual([])
    expect(await storage.roles.list(org.id)).toEqual([])
    expect(await storage.invitations.find(org.id, inv.id)).toBeNull()
    expect(await storage.invitations.findByTokenHash(inv.tokenHash)).toBeNull()
    expect(await storage.invitations.findById(inv.id)).toBeNull()
    expect((await storage.invitations.listPendingForEmail('zed@example.com', T0, page())).data).toEqual([])
    expect(await storage.apiKeys.find(org.id, key.id)).toBeNull()
    expect(await storage.apiKeys.findByPrefix('doomedprefix')).toBeNull()
    expect((await storage.audit.list(org.id, {}, page())).data).toEqual([])
    expect((await storage.organizations.listForUser('bob', page())).data.map((o) => o.id)).not.toContain(org.id)

    // Another organization keeps what it has.
    expect(await storage.organizations.findById(survivor.id)).toMatchObject({ memberCount: 1, teamCount: 1 })
    expect(await storage.teams.find(survivor.id, survivorTeam.id)).toEqual(survivorTeam)
    expect(await storage.roles.list(survivor.id)).toHaveLength(1)
    expect((await storage.audit.list(survivor.id, {}, page())).data).toHaveLength(1)

    // The slug and the key prefix are free again.
    const reborn = organization('doomed')
    expect(await storage.organizations.insert(reborn)).toBe('inserted')
    expect(await storage.apiKeys.insert(apiKey(reborn.id, 'doomedprefix'))).toBe(true)
    expect(await storage.organizations.delete('org_missing')).toBe(false)
  })
}
