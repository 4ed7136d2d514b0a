import { type Actor, createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MakeStorage, StorageUnderTest } from '../support/storages'

const user = (userId: string, extra: Partial<UserActor> = {}): UserActor => ({ type: 'user', userId, ...extra })
const system: Actor = { type: 'system' }

/** The organizations tests, on the storage `make` gives (`name` says which, in the test names). */
export function organizationsSuite(name: string, make: MakeStorage): void {
  describe(`organizations on ${name}`, () => {
    let env: StorageUnderTest
    let orgkit: Orgkit
    const events: string[] = []

    beforeAll(async () => {
      env = await make()
      for (const id of ['alice', 'bob', 'carol', 'dave', 'staff']) {
        await env.addUser({ id, email: `${id}@example.com`, username: id, name: id[0]!.toUpperCase() + id.slice(1) })
      }
      orgkit = createOrgkit({ storage: env.storage, permissions: ['projects.read', 'projects.update'] })
      orgkit.on('*', (event) => void events.push(event.action))
    })
    afterAll(() => env?.destroy())

    it('creates an organization with a generated, de-duplicated slug and makes the caller owner', async () => {
      const first = await orgkit.as(user('alice')).organizations.create({ name: 'Acme Corp' })
      expect(first).toMatchObject({ slug: 'acme-corp', type: 'team', role: 'owner', memberCount: 1, teamCount: 0 })
      expect(first.id).toMatch(/^org_/)
      const second = await orgkit.as(user('bob')).organizations.create({ name: 'Acme Corp' })
      expect(second.slug).toMatch(/^acme-corp-[a-z0-9]{6}$/)
      expect(events).toContain('organization.created')
    })

    it('refuses a taken, reserved or malformed slug and changes nothing', async () => {
      const alice = orgkit.as(user('alice'))
      await expect(alice.organizations.create({ name: 'X', slug: 'acme-corp' })).rejects.toMatchObject({
        code: 'conflict',
      })
      await expect(alice.organizations.create({ name: 'X', slug: 'admin' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      await expect(alice.organizations.create({ name: 'X', slug: 'Not A Slug' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      await expect(alice.organizations.create({ name: 'X', timezone: 'Mars/Olympus' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      await expect(alice.organizations.create({ name: 'X', industry: 'piracy' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      const mine = await alice.organizations.list()
      expect(mine.data.map((o) => o.slug)).toEqual(['acme-corp'])
    })

    it('gets by slug or id, and hides a private organization from non-members as not found', async () => {
      const acme = await orgkit.as(user('alice')).organizations.get('acme-corp')
      expect((await orgkit.as(user('alice')).organizations.get(acme.id)).slug).toBe('acme-corp')
      await expect(orgkit.as(user('carol')).organizations.get('acme-corp')).rejects.toMatchObject({
        code: 'not_found',
      })
      await expect(orgkit.as(user('carol')).organizations.get('no-such-org')).rejects.toMatchObject({
        code: 'not_found',
      })
    })

    it('shows public organizations to anyone, with public fields only', async () => {
      const alice = orgkit.as(user('alice'))
      await alice.organizations.create({
        name: 'Open Source',
        slug: 'open',
        visibility: 'public',
        contactEmail: 'team@open.example',
        metadata: { plan: 'pro' },
      })
      const seen = await orgkit.as(user('carol')).organizations.get('open')
      expect(seen).toMatchObject({ name: 'Open Source', role: null, contactEmail: null, metadata: {} })
      await expect(orgkit.as(user('carol')).members.list('open')).rejects.toMatchObject({ code: 'forbidden' })
    })

    it('updates the profile, keeps the id across a slug change and records what changed', async () => {
      const alice = orgkit.as(user('alice'))
      const before = await alice.organizations.get('acme-corp')
      const after = await alice.organizations.update('acme-corp', {
        slug: 'acme',
        timezone: 'Europe/Berlin',
        industry: 'technology',
        privateMetadata: { stripeId: 'cus_123' },
      })
      expect(after).toMatchObject({ id: before.id, slug: 'acme', timezone: 'Europe/Berlin', industry: 'technology' })
      await expect(alice.organizations.get('acme-corp')).rejects.toMatchObject({ code: 'not_found' })
      const audit = await alice.audit.list('acme')
      const updated = audit.data.find((e) => e.action === 'organization.updated')!
      expect(updated.changes).toMatchObject({
        slug: { from: 'acme-corp', to: 'acme' },
        privateMetadata: { changed: true },
      })
      expect(JSON.stringify(updated.changes)).not.toContain('cus_123')
    })

    it('lets platform staff read, update and delete any organization but not manage its members', async () => {
      const staff = orgkit.as(user('staff', { platformRole: 'superadmin' }))
      const org = await orgkit.as(user('dave')).organizations.create({ name: 'Dave Co' })
      expect((await staff.organizations.get(org.slug)).role).toBeNull()
      await staff.organizations.update(org.slug, { name: 'Dave Company' })
      await expect(staff.members.list(org.slug)).rejects.toMatchObject({ code: 'not_found' })
      const all = await staff.organizations.list({ scope: 'all', limit: 100 })
      expect(all.data.map((o) => o.slug)).toContain(org.slug)
      await expect(orgkit.as(user('dave')).organizations.list({ scope: 'all' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      await staff.organizations.delete(org.slug)
      await expect(orgkit.as(user('dave')).organizations.get(org.slug)).rejects.toMatchObject({ code: 'not_found' })
    })

    it('deletes an organization with everything it owns', async () => {
      const eve = orgkit.as(user('alice'))
      const org = await eve.organizations.create({ name: 'Doomed' })
      await eve.members.add(org.slug, { userId: 'bob', role: 'admin' })
      await expect(orgkit.as(user('bob')).organizations.delete(org.slug)).rejects.toMatchObject({ code: 'forbidden' })
      await eve.organizations.delete(org.slug)
      await expect(eve.organizations.get(org.id)).rejects.toMatchObject({ code: 'not_found' })
      expect((await env.storage.members.list(org.id, {}, { limit: 10, cursor: null })).data).toEqual([])
      expect((await orgkit.as(user('bob')).organizations.list()).data.map((o) => o.id)).not.toContain(org.id)
      // The slug is free again.
      await eve.organizations.create({ name: 'Doomed again', slug: org.slug })
    })

    it('transfers ownership: the new owner is owner, the old one admin', async () => {
      const alice = orgkit.as(user('alice'))
      const org = await alice.organizations.create({ name: 'Handover' })
      await alice.members.add(org.slug, { userId: 'bob' })
      await expect(
        orgkit.as(user('bob')).organizations.transferOwnership(org.slug, { userId: 'bob' }),
      ).rejects.toMatchObject({ code: 'forbidden' })
      await expect(alice.organizations.transferOwnership(org.slug, { userId: 'carol' })).rejects.toMatchObject({
        code: 'not_found',
      })
      const after = await alice.organizations.transferOwnership(org.slug, { userId: 'bob' })
      expect(after.role).toBe('admin')
      expect((await alice.members.get(org.slug, 'bob')).role).toBe('owner')
      // One event, of the transfer that went through, after the refused ones wrote none.
      const trail = await orgkit.as(user('bob')).audit.list(org.slug, { action: 'organization.ownership_transferred' })
      expect(trail.data.map((event) => [event.actor.id, event.target.id, event.changes])).toEqual([
        ['alice', 'bob', { from: 'alice', to: 'bob' }],
      ])
    })

    it('refuses to let the last owner leave, and lets a member leave', async () => {
      const alice = orgkit.as(user('alice'))
      const org = await alice.organizations.create({ name: 'Leavers' })
      await alice.members.add(org.slug, { userId: 'carol' })
      await expect(alice.organizations.leave(org.slug)).rejects.toMatchObject({ code: 'last_owner' })
      await orgkit.as(user('carol')).organizations.leave(org.slug)
      await expect(orgkit.as(user('carol')).organizations.get(org.slug)).rejects.toMatchObject({ code: 'not_found' })
    })

    it('answers the permission summary of the caller', async () => {
      const alice = orgkit.as(user('alice'))
      const org = await alice.organizations.create({ name: 'Perms' })
      await alice.members.add(org.slug, { userId: 'bob' })
      const summary = await orgkit.as(user('bob')).organizations.permissions(org.slug)
      expect(summary).toEqual({ role: 'member', permissions: ['members.read', 'roles.read', 'teams.read'], teams: [] })
      expect(await orgkit.as(user('bob')).can(org.slug, 'members.read')).toBe(true)
      expect(await orgkit.as(user('bob')).can(org.slug, 'projects.update')).toBe(false)
      expect(await orgkit.as(user('carol')).can(org.slug, 'members.read')).toBe(false)
      await expect(orgkit.as(user('bob')).can(org.slug, 'projects.archive')).rejects.toThrow(TypeError)
      expect(await orgkit.as(system).can(org.slug, 'organization.delete')).toBe(true)
    })

    it('resolves `me` to the current organization the host reports', async () => {
      const org = await orgkit.as(user('alice')).organizations.get('acme')
      expect((await orgkit.as(user('alice', { organizationId: org.id })).organizations.get('me')).id).toBe(org.id)
      await expect(orgkit.as(user('alice')).organizations.get('me')).rejects.toMatchObject({ code: 'not_found' })
    })

    it('enforces the organizations-per-user limit', async () => {
      const limited = createOrgkit({ storage: env.storage, limits: { organizationsPerUser: 1 } })
      await env.addUser({ id: 'frank', email: 'frank@example.com', username: 'frank', name: 'Frank' })
      await limited.as(user('frank')).organizations.create({ name: 'One' })
      await expect(limited.as(user('frank')).organizations.create({ name: 'Two' })).rejects.toMatchObject({
        code: 'limit_exceeded',
      })
    })

    it('takes one slot per organization created: a generated slug that was taken takes none', async () => {
      const limited = createOrgkit({ storage: env.storage, limits: { organizationsPerUser: 2 } })
      await env.addUser({ id: 'hank', email: 'hank@example.com', username: 'hank', name: 'Hank' })
      await orgkit.as(user('alice')).organizations.create({ name: 'Slotted', slug: 'slotted' })
      const hank = limited.as(user('hank'))
      const retried = await hank.organizations.create({ name: 'Slotted' })
      expect(retried.slug).not.toBe('slotted')
      await hank.organizations.create({ name: 'Second' })
      // At the limit, a taken slug is a conflict still (the slug is decided first), and a
      // free one is refused.
      await expect(hank.organizations.create({ name: 'Third', slug: 'slotted' })).rejects.toMatchObject({
        code: 'conflict',
      })
      await expect(hank.organizations.create({ name: 'Third', slug: 'hank-third' })).rejects.toMatchObject({
        code: 'limit_exceeded',
      })
      // The refused create left its slug free.
      const taken = await orgkit.as(user('alice')).organizations.create({ name: 'Third', slug: 'hank-third' })
      expect(taken.slug).toBe('hank-third')
    })

    it('creates one personal organization per user on first need, which cannot be left or deleted', async () => {
      const personal = createOrgkit({ storage: env.storage, personalOrganizations: true })
      await env.addUser({ id: 'gina', email: 'gina@example.com', username: 'gina', name: 'Gina' })
      const gina = personal.as(user('gina'))
      const [first, second] = await Promise.all([gina.organizations.list(), gina.organizations.list()])
      expect(first.data.filter((o) => o.type === 'personal')).toHaveLength(1)
      expect(second.data.filter((o) => o.type === 'personal').map((o) => o.id)).toEqual(
        first.data.filter((o) => o.type === 'personal').map((o) => o.id),
      )
      const own = first.data.find((o) => o.type === 'personal')!
      await expect(gina.organizations.delete(own.slug)).rejects.toMatchObject({ code: 'conflict' })
      await expect(gina.organizations.leave(own.slug)).rejects.toMatchObject({ code: 'conflict' })
      await expect(gina.members.add(own.slug, { userId: 'bob' })).rejects.toMatchObject({ code: 'conflict' })
      await expect(gina.organizations.create({ name: 'Squat', slug: own.slug })).rejects.toMatchObject({
        code: 'validation_failed',
      })
    })
  })
}
