import { createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MakeStorage, StorageUnderTest } from '../support/storages'

const user = (userId: string): UserActor => ({ type: 'user', userId })

/** The custom roles tests, on the storage `make` gives (`name` says which, in the test names). */
export function rolesSuite(name: string, make: MakeStorage): void {
  describe(`custom roles on ${name}`, () => {
    let env: StorageUnderTest
    let orgkit: Orgkit
    /** A second instance on the same database: its own compiled-role cache. */
    let other: Orgkit
    let acme: string
    let globex: string

    beforeAll(async () => {
      env = await make()
      for (const id of ['owner', 'admin', 'member', 'helper', 'owner2', 'member2', 'invitee']) {
        await env.addUser({ id, email: `${id}@example.com`, username: id, name: id })
      }
      const options = { permissions: ['projects.read', 'projects.update', 'billing.manage'] }
      orgkit = createOrgkit({ storage: env.storage, ...options })
      other = createOrgkit({ storage: env.storage, ...options })
      const owner = orgkit.as(user('owner'))
      acme = (await owner.organizations.create({ name: 'Acme' })).slug
      await owner.members.add(acme, { userId: 'admin', role: 'admin' })
      await owner.members.add(acme, { userId: 'member' })
      globex = (await orgkit.as(user('owner2')).organizations.create({ name: 'Globex' })).slug
      await orgkit.as(user('owner2')).members.add(globex, { userId: 'member2' })
    })
    afterAll(() => env?.destroy())

    it('lists system roles with their permissions before any custom role exists', async () => {
      const roles = await orgkit.as(user('member')).roles.list(acme)
      expect(roles.map((role) => role.key)).toEqual(['owner', 'admin', 'member'])
      expect(roles.find((role) => role.key === 'member')).toEqual({
        key: 'member',
        name: 'Member',
        description: expect.any(String),
        permissions: ['members.read', 'roles.read', 'teams.read'],
        system: true,
        shadowsSystemRole: false,
      })
    })

    it('creates a custom role that members can then be given, in this organization only', async () => {
      const admin = orgkit.as(user('admin'))
      const created = await admin.roles.create(acme, {
        key: 'deployer',
        name: 'Deployer',
        permissions: ['projects.*', 'members.read'],
      })
      expect(created).toMatchObject({ key: 'deployer', system: false, shadowsSystemRole: false })
      expect(created.permissions).toEqual(['members.read', 'projects.read', 'projects.update'])
      await orgkit.as(user('owner')).members.add(acme, { userId: 'helper', role: 'deployer' })
      expect(await orgkit.as(user('helper')).can(acme, 'projects.update')).toBe(true)
      expect(await orgkit.as(user('helper')).can(acme, 'billing.manage')).toBe(false)
      // Another organization has no such role.
      await expect(
        orgkit.as(user('owner2')).members.update(globex, 'member2', { role: 'deployer' }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
      })
      await expect(
        orgkit.as(user('owner')).roles.create(acme, { key: 'deployer', name: 'Again', permissions: [] }),
      ).rejects.toMatchObject({
        code: 'conflict',
      })
    })

    it('never grants what the author does not hold, and refuses undeclared permissions', async () => {
      const admin = orgkit.as(user('admin'))
      await expect(
        admin.roles.create(acme, { key: 'destroyer', name: 'Destroyer', permissions: ['organization.delete'] }),
      ).rejects.toMatchObject({ code: 'forbidden' })
      await expect(
        admin.roles.create(acme, { key: 'everything', name: 'All', permissions: ['*'] }),
      ).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(
        admin.roles.create(acme, { key: 'typo', name: 'Typo', permissions: ['projects.delete'] }),
      ).rejects.toMatchObject({ code: 'validation_failed', details: [{ path: 'permissions.0' }] })
      await expect(
        orgkit.as(user('member')).roles.create(acme, { key: 'x', name: 'X', permissions: [] }),
      ).rejects.toMatchObject({
        code: 'forbidden',
      })
      expect((await admin.roles.list(acme)).map((role) => role.key)).not.toContain('destroyer')
    })

    it('protects owner: never shadowed, edited or deleted', async () => {
      const owner = orgkit.as(user('owner'))
      await expect(owner.roles.create(acme, { key: 'owner', name: 'Owner', permissions: ['*'] })).rejects.toMatchObject(
        {
          code: 'forbidden',
        },
      )
      await expect(owner.roles.update(acme, 'owner', { name: 'Boss' })).rejects.toMatchObject({ code: 'forbidden' })
      await expect(owner.roles.delete(acme, 'owner')).rejects.toMatchObject({ code: 'forbidden' })
      await expect(owner.roles.update(acme, 'admin', { name: 'Boss' })).rejects.toMatchObject({ code: 'conflict' })
    })

    it('a shadowing role changes what member can do in that organization only', async () => {
      const owner = orgkit.as(user('owner'))
      expect(await orgkit.as(user('member')).can(acme, 'projects.read')).toBe(false)
      const shadow = await owner.roles.create(acme, {
        key: 'member',
        name: 'Member',
        permissions: ['members.read', 'teams.read', 'roles.read', 'projects.read'],
      })
      expect(shadow).toMatchObject({ system: false, shadowsSystemRole: true })
      expect(await orgkit.as(user('member')).can(acme, 'projects.read')).toBe(true)
      expect(await orgkit.as(user('member2')).can(globex, 'projects.read')).toBe(false)
      const roles = await owner.roles.list(acme)
      expect(roles.filter((role) => role.key === 'member')).toHaveLength(1)
      // Deleting the shadow needs no replacement: its members fall back to the system role.
      await owner.roles.delete(acme, 'member')
      expect(await orgkit.as(user('member')).can(acme, 'projects.read')).toBe(false)
      expect((await owner.members.get(acme, 'member')).role).toBe('member')
    })

    it('an edit is seen by the next check through a second instance on the same database', async () => {
      const owner = orgkit.as(user('owner'))
      // Warm the second instance's cache first.
      expect(await other.as(user('helper')).can(acme, 'projects.update')).toBe(true)
      await owner.roles.update(acme, 'deployer', { permissions: ['projects.read'] })
      expect(await other.as(user('helper')).can(acme, 'projects.update')).toBe(false)
      expect(await other.as(user('helper')).can(acme, 'projects.read')).toBe(true)
      await owner.roles.update(acme, 'deployer', { permissions: ['projects.*', 'members.read'] })
      expect(await other.as(user('helper')).can(acme, 'projects.update')).toBe(true)
    })

    it('refuses to delete a role in use unless its members get another, in the same transaction', async () => {
      const owner = orgkit.as(user('owner'))
      await expect(owner.roles.delete(acme, 'deployer')).rejects.toMatchObject({ code: 'conflict' })
      expect((await owner.members.get(acme, 'helper')).role).toBe('deployer')
      await expect(owner.roles.delete(acme, 'deployer', { reassignTo: 'nope' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      await owner.roles.delete(acme, 'deployer', { reassignTo: 'member' })
      expect((await owner.members.get(acme, 'helper')).role).toBe('member')
      expect((await owner.roles.list(acme)).map((role) => role.key)).not.toContain('deployer')
      const events = await owner.audit.list(acme, { action: 'role.deleted' })
      expect(events.data[0]?.changes).toMatchObject({ key: 'deployer', reassignedTo: 'member', reassignedMembers: 1 })
    })

    it('revokes the keys and pending invitations of a deleted role: one re-created under its key gives them nothing', async () => {
      const owner = orgkit.as(user('owner'))
      await owner.roles.create(acme, { key: 'auditor', name: 'Auditor', permissions: ['audit.read'] })
      const key = await owner.apiKeys.create(acme, { name: 'auditing', role: 'auditor' })
      const listed = await owner.apiKeys.create(acme, { name: 'listed', permissions: ['audit.read'] })
      const invited = await owner.invitations.create(acme, { email: 'invitee@example.com', role: 'auditor' })
      await owner.roles.delete(acme, 'auditor')
      const events = await owner.audit.list(acme, { action: 'role.deleted' })
      expect(events.data[0]?.changes).toEqual({ key: 'auditor', revokedApiKeys: 1, revokedInvitations: 1 })

      // A role under the same key, holding more: nothing of it reaches what the old one left.
      await owner.roles.create(acme, { key: 'auditor', name: 'Auditor', permissions: ['audit.read', 'members.remove'] })
      await expect(orgkit.authenticateApiKey(key.secret)).rejects.toMatchObject({ code: 'unauthenticated' })
      const keys = (await owner.apiKeys.list(acme)).data
      expect(keys.find((k) => k.id === key.id)?.revokedAt).toBeInstanceOf(Date)
      await expect(orgkit.as(user('invitee')).invitations.accept({ token: invited.token })).rejects.toMatchObject({
        code: 'invitation_revoked',
      })
      await expect(owner.invitations.resend(acme, invited.id)).rejects.toMatchObject({ code: 'invitation_revoked' })
      await expect(owner.members.get(acme, 'invitee')).rejects.toMatchObject({ code: 'not_found' })
      // A key with a permission list holds no role, and keeps working.
      const listActor = await orgkit.authenticateApiKey(listed.secret)
      expect(await orgkit.as(listActor).can(acme, 'audit.read')).toBe(true)
      await owner.apiKeys.revoke(acme, listed.id)
      await owner.roles.delete(acme, 'auditor')
    })

    it("keeps a deleted shadow's keys: they fall back to the system role, as its members do", async () => {
      const owner = orgkit.as(user('owner'))
      await owner.roles.create(acme, { key: 'member', name: 'Member+', permissions: ['members.read', 'audit.read'] })
      const key = await owner.apiKeys.create(acme, { name: 'reader', role: 'member' })
      expect(await orgkit.as(await orgkit.authenticateApiKey(key.secret)).can(acme, 'audit.read')).toBe(true)
      await owner.roles.delete(acme, 'member')
      const actor = await orgkit.authenticateApiKey(key.secret)
      expect(await orgkit.as(actor).can(acme, 'audit.read')).toBe(false)
      expect(await orgkit.as(actor).can(acme, 'members.read')).toBe(true)
      await owner.apiKeys.revoke(acme, key.id)
    })

    it('refuses a permission listed twice, naming the repeat, in a role and in a key', async () => {
      const owner = orgkit.as(user('owner'))
      const repeated = { code: 'validation_failed', details: [{ path: 'permissions.2', message: expect.any(String) }] }
      await expect(
        owner.roles.create(acme, {
          key: 'twice',
          name: 'Twice',
          permissions: ['audit.read', 'roles.read', 'audit.read'],
        }),
      ).rejects.toMatchObject(repeated)
      await owner.roles.create(acme, { key: 'twice', name: 'Twice', permissions: ['audit.read'] })
      await expect(
        owner.roles.update(acme, 'twice', { permissions: ['audit.read', 'roles.read', ' audit.read'] }),
      ).rejects.toMatchObject(repeated)
      expect((await owner.roles.list(acme)).find((role) => role.key === 'twice')?.permissions).toEqual(['audit.read'])
      await expect(
        owner.apiKeys.create(acme, { name: 'twice', permissions: ['audit.read', 'roles.read', 'audit.read'] }),
      ).rejects.toMatchObject(repeated)
      await owner.roles.delete(acme, 'twice')
    })

    it('answers a role of another organization exactly like a nonexistent one', async () => {
      await orgkit.as(user('owner2')).roles.create(globex, { key: 'globex-only', name: 'G', permissions: [] })
      const owner = orgkit.as(user('owner'))
      const foreign = await owner.roles.update(acme, 'globex-only', { name: 'Mine' }).catch((error) => error)
      const missing = await owner.roles.update(acme, 'no-such-role', { name: 'Mine' }).catch((error) => error)
      expect(foreign).toMatchObject({ code: 'not_found' })
      expect(foreign.message).toBe(missing.message)
      await expect(owner.roles.delete(acme, 'globex-only')).rejects.toMatchObject({ code: 'not_found' })
    })

    it('keeps customRolesPerOrganization', async () => {
      const limited = createOrgkit({ storage: env.storage, limits: { customRolesPerOrganization: 1 } })
      const org = (await limited.as(user('owner')).organizations.create({ name: 'Limited roles' })).slug
      await limited.as(user('owner')).roles.create(org, { key: 'one', name: 'One', permissions: [] })
      await expect(
        limited.as(user('owner')).roles.create(org, { key: 'two', name: 'Two', permissions: [] }),
      ).rejects.toMatchObject({
        code: 'limit_exceeded',
      })
    })
  })
}
