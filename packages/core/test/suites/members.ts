import { createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MakeStorage, StorageUnderTest } from '../support/storages'

const user = (userId: string): UserActor => ({ type: 'user', userId })

/** The members tests, on the storage `make` gives (`name` says which, in the test names). */
export function membersSuite(name: string, make: MakeStorage): void {
  describe(`members on ${name}`, () => {
    let env: StorageUnderTest
    let orgkit: Orgkit
    let slug: string

    beforeAll(async () => {
      env = await make()
      const people = ['owner1', 'owner2', 'admin1', 'member1', 'member2', 'outsider', 'Zed_User']
      for (const id of people) {
        await env.addUser({
          id,
          email: `${id.toLowerCase()}@example.com`,
          username: id.toLowerCase(),
          name: `Name ${id}`,
        })
      }
      orgkit = createOrgkit({
        storage: env.storage,
        permissions: ['projects.read', 'projects.update'],
        roles: { editor: { extends: 'member', grants: ['projects.*', 'members.add'] } },
      })
      const org = await orgkit.as(user('owner1')).organizations.create({ name: 'Members Inc' })
      slug = org.slug
      const owner = orgkit.as(user('owner1'))
      await owner.members.add(slug, { userId: 'owner2', role: 'owner' })
      await owner.members.add(slug, { username: 'admin1', role: 'admin' })
      await owner.members.add(slug, { email: 'MEMBER1@example.com' })
    })
    afterAll(() => env?.destroy())

    it('adds by user id, username or email and joins the host user data', async () => {
      const member = await orgkit.as(user('owner1')).members.get(slug, 'member1')
      expect(member).toMatchObject({
        role: 'member',
        userId: 'member1',
        user: { id: 'member1', email: 'member1@example.com', username: 'member1', name: 'Name member1' },
      })
      expect(member.joinedAt).toBeInstanceOf(Date)
    })

    it('refuses duplicates, unknown users and unknown roles, changing nothing', async () => {
      const owner = orgkit.as(user('owner1'))
      await expect(owner.members.add(slug, { userId: 'member1' })).rejects.toMatchObject({ code: 'conflict' })
      await expect(owner.members.add(slug, { userId: 'ghost' })).rejects.toMatchObject({ code: 'not_found' })
      await expect(owner.members.add(slug, { userId: 'member2', role: 'emperor' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      await expect(owner.members.add(slug, { userId: 'member2', email: 'x@example.com' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      await expect(owner.members.get(slug, 'member2')).rejects.toMatchObject({ code: 'not_found' })
    })

    it('lists with role and name/email/username prefix filters and pages both ways', async () => {
      const owner = orgkit.as(user('owner1'))
      const all = await owner.members.list(slug, { limit: 2 })
      expect(all.data).toHaveLength(2)
      expect(all.hasMore).toBe(true)
      const next = await owner.members.list(slug, { limit: 2, cursor: all.nextCursor! })
      const ids = [...all.data, ...next.data].map((m) => m.userId)
      expect(ids.sort()).toEqual(['admin1', 'member1', 'owner1', 'owner2'])
      expect(next.hasMore).toBe(false)
      expect(next.nextCursor).toBeNull()
      const back = await owner.members.list(slug, { limit: 2, cursor: next.prevCursor! })
      expect(back.data.map((m) => m.userId)).toEqual(all.data.map((m) => m.userId))

      expect((await owner.members.list(slug, { role: 'owner' })).data.map((m) => m.userId).sort()).toEqual([
        'owner1',
        'owner2',
      ])
      expect((await owner.members.list(slug, { q: 'ADM' })).data.map((m) => m.userId)).toEqual(['admin1'])
      expect((await owner.members.list(slug, { q: 'name owner' })).data).toHaveLength(2)
      expect((await owner.members.list(slug, { q: '%' })).data).toHaveLength(0)
      await expect(owner.members.list(slug, { cursor: 'garbage!' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
    })

    it('forbids members without the permission and hides the organization from outsiders', async () => {
      await expect(orgkit.as(user('member1')).members.add(slug, { userId: 'member2' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(orgkit.as(user('member1')).members.remove(slug, 'admin1')).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(orgkit.as(user('outsider')).members.list(slug)).rejects.toMatchObject({ code: 'not_found' })
      await expect(orgkit.as(user('outsider')).members.get(slug, 'owner1')).rejects.toMatchObject({
        code: 'not_found',
      })
    })

    it('returns members only to a member whose role reads them, by id as by slug', async () => {
      // By id, the storage reads the page with the caller's membership: the role is checked
      // on what it read, and a refusal answers as it does by slug.
      const strict = createOrgkit({
        storage: env.storage,
        permissions: ['projects.read', 'projects.update'],
        roles: { viewer: { grants: ['projects.read'] } },
      })
      const open = await strict.as(user('owner2')).organizations.create({ name: 'Open Members', visibility: 'public' })
      await strict.as(user('owner2')).members.add(open.id, { userId: 'member2', role: 'viewer' })
      const hidden = await orgkit.as(user('owner1')).organizations.get(slug)
      for (const [id, ref] of [
        [open.id, open.slug],
        [hidden.id, slug],
      ] as const) {
        for (const by of [id, ref]) {
          const outsider = strict.as(user('outsider')).members.list(by, { limit: 2 })
          // A public organization is seen, not its members; a private one is not seen at all.
          await expect(outsider).rejects.toMatchObject({ code: id === open.id ? 'forbidden' : 'not_found' })
        }
      }
      for (const by of [open.id, open.slug]) {
        await expect(strict.as(user('member2')).members.list(by)).rejects.toMatchObject({ code: 'forbidden' })
        const page = await strict.as(user('owner2')).members.list(by, { limit: 1 })
        const next = await strict.as(user('owner2')).members.list(by, { limit: 1, cursor: page.nextCursor! })
        // Both may have joined in one millisecond: the order is then by user id.
        expect([...page.data, ...next.data].map((m) => [m.userId, m.role, m.user.name]).sort()).toEqual([
          ['member2', 'viewer', 'Name member2'],
          ['owner2', 'owner', 'Name owner2'],
        ])
        expect(next.hasMore).toBe(false)
      }
      await expect(orgkit.as(user('owner1')).members.list('org_missing')).rejects.toMatchObject({ code: 'not_found' })
      // One member by id or slug: the same rule.
      for (const by of [open.id, open.slug]) {
        await expect(strict.as(user('member2')).members.get(by, 'owner2')).rejects.toMatchObject({ code: 'forbidden' })
        await expect(strict.as(user('outsider')).members.get(by, 'owner2')).rejects.toMatchObject({ code: 'forbidden' })
        expect(await strict.as(user('owner2')).members.get(by, 'member2')).toMatchObject({
          userId: 'member2',
          role: 'viewer',
          user: { name: 'Name member2' },
        })
        await expect(strict.as(user('owner2')).members.get(by, 'outsider')).rejects.toMatchObject({
          code: 'not_found',
          message: 'Member not found.',
        })
      }
      for (const by of [hidden.id, slug]) {
        await expect(strict.as(user('outsider')).members.get(by, 'owner1')).rejects.toMatchObject({
          code: 'not_found',
          message: 'Organization not found.',
        })
      }
    })

    it('never lets an actor grant or touch more than it holds', async () => {
      const admin = orgkit.as(user('admin1'))
      // An admin lacks organization.delete, so cannot make or touch owners.
      await expect(admin.members.add(slug, { userId: 'member2', role: 'owner' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(admin.members.update(slug, 'member1', { role: 'owner' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(admin.members.update(slug, 'owner2', { role: 'member' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(admin.members.remove(slug, 'owner2')).rejects.toMatchObject({ code: 'forbidden' })
      expect((await admin.members.get(slug, 'owner2')).role).toBe('owner')

      // An editor may add members, but only with roles inside its own permissions.
      await orgkit.as(user('owner1')).members.update(slug, 'member1', { role: 'editor' })
      const editor = orgkit.as(user('member1'))
      await expect(editor.members.add(slug, { userId: 'member2', role: 'admin' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      const added = await editor.members.add(slug, { userId: 'member2', role: 'member' })
      expect(added.role).toBe('member')
      await orgkit.as(user('owner1')).members.update(slug, 'member1', { role: 'member' })
    })

    it('removes a member with their API keys access, and keeps at least one owner', async () => {
      const owner = orgkit.as(user('owner1'))
      await owner.members.remove(slug, 'member2')
      await expect(owner.members.get(slug, 'member2')).rejects.toMatchObject({ code: 'not_found' })
      await owner.members.update(slug, 'owner2', { role: 'admin' })
      await expect(owner.members.update(slug, 'owner1', { role: 'admin' })).rejects.toMatchObject({
        code: 'last_owner',
      })
      await expect(owner.members.remove(slug, 'owner1')).rejects.toMatchObject({ code: 'last_owner' })
      await owner.members.update(slug, 'owner2', { role: 'owner' })
      const events = await owner.audit.list(slug, { action: 'member.updated' })
      expect(events.data[0]).toMatchObject({
        action: 'member.updated',
        actor: { type: 'user', id: 'owner1' },
        target: { type: 'user', id: 'owner2' },
        changes: { role: { from: 'admin', to: 'owner' } },
      })
    })

    it('enforces the members-per-organization limit', async () => {
      const limited = createOrgkit({ storage: env.storage, limits: { membersPerOrganization: 2 } })
      const org = await limited.as(user('outsider')).organizations.create({ name: 'Tiny' })
      await limited.as(user('outsider')).members.add(org.slug, { userId: 'member2' })
      await expect(limited.as(user('outsider')).members.add(org.slug, { userId: 'member1' })).rejects.toMatchObject({
        code: 'limit_exceeded',
      })
    })
  })
}
