import { createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MakeStorage, StorageUnderTest } from '../support/storages'

const user = (userId: string): UserActor => ({ type: 'user', userId })

/** The API keys tests, on the storage `make` gives (`name` says which, in the test names). */
export function apiKeysSuite(name: string, make: MakeStorage): void {
  describe(`API keys on ${name}`, () => {
    let env: StorageUnderTest
    let orgkit: Orgkit
    let now = new Date('2026-01-01T00:00:00.000Z')

    beforeAll(async () => {
      env = await make()
      for (const id of ['ann', 'bob', 'cat', 'dan']) await env.addUser({ id, email: `${id}@example.com` })
      orgkit = createOrgkit({
        storage: env.storage,
        clock: () => now,
        permissions: ['projects.read', 'projects.update'],
        roles: { member: { grants: ['members.read', 'projects.read'] } },
      })
      await orgkit.as(user('ann')).organizations.create({ name: 'Acme' })
      await orgkit.as(user('ann')).members.add('acme', { userId: 'bob', role: 'admin' })
      await orgkit.as(user('ann')).members.add('acme', { userId: 'cat', role: 'member' })
      await orgkit.as(user('dan')).organizations.create({ name: 'Dan Co', slug: 'dan-co' })
    })
    afterAll(() => env?.destroy())

    it('creates a key whose secret is returned once and authenticates as the organization', async () => {
      const key = await orgkit.as(user('bob')).apiKeys.create('acme', { name: 'CI', role: 'member' })
      expect(key.secret).toMatch(/^ok_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/)
      expect(key.secret.startsWith(`ok_${key.prefix}_`)).toBe(true)
      expect(key).toMatchObject({ name: 'CI', role: 'member', permissions: [], revokedAt: null, lastUsedAt: null })

      const actor = await orgkit.authenticateApiKey(key.secret)
      expect(actor).toMatchObject({ type: 'apiKey', keyId: key.id, role: 'member', createdBy: 'bob' })
      expect(actor.permissions).toEqual(['members.read', 'projects.read'])
      const me = await orgkit.as(actor).organizations.get('me')
      expect(me.slug).toBe('acme')
      await expect(orgkit.as(actor).members.list('me')).resolves.toMatchObject({ hasMore: false })
      await expect(orgkit.as(actor).members.add('me', { userId: 'dan' })).rejects.toMatchObject({ code: 'forbidden' })
      // A key is fixed to its organization: another one is as good as nonexistent.
      await expect(orgkit.as(actor).organizations.get('dan-co')).rejects.toMatchObject({ code: 'not_found' })
      await expect(orgkit.as(actor).can('acme', 'projects.read')).resolves.toBe(true)
      await expect(orgkit.as(actor).can('acme', 'projects.update')).resolves.toBe(false)

      const listed = await orgkit.as(user('ann')).apiKeys.list('acme')
      expect(listed.data.map((k) => k.id)).toEqual([key.id])
      expect(listed.data[0]).not.toHaveProperty('secret')
      expect(listed.data[0]).not.toHaveProperty('secretHash')
      expect(listed.data[0]?.lastUsedAt?.toISOString()).toBe(now.toISOString())
    })

    it('hands the organization authentication read to one authorization of that organization only', async () => {
      const key = await orgkit.as(user('bob')).apiKeys.create('acme', { name: 'Handed', role: 'member' })
      const { actor, organization } = await orgkit.authenticateApiKeyForRequest(key.secret)
      expect(actor).toMatchObject({ type: 'apiKey', organizationId: key.organizationId })
      expect(organization.id).toBe(key.organizationId)
      expect((await orgkit.as(actor, { organization }).members.list('acme')).data.length).toBeGreaterThan(0)
      // Another organization's record handed with the key's actor is ignored: the key still
      // reaches only its own organization.
      const other = await orgkit.as(user('dan')).organizations.get('dan-co')
      const client = orgkit.as(actor, { organization: other })
      await expect(client.members.list('dan-co')).rejects.toMatchObject({ code: 'not_found' })
      expect((await client.members.list('acme')).data.length).toBeGreaterThan(0)
      await expect(orgkit.authorize(actor, 'dan-co', 'members.read', { organization: other })).rejects.toMatchObject({
        code: 'not_found',
      })
    })

    it('keeps lastUsedAt to a precision instead of writing on every use', async () => {
      const { secret, id } = await orgkit.as(user('ann')).apiKeys.create('acme', { name: 'busy' })
      const organizationId = (await orgkit.as(user('ann')).organizations.get('acme')).id
      await orgkit.authenticateApiKey(secret)
      const first = (await env.storage.apiKeys.find(organizationId, id))?.lastUsedAt
      now = new Date(now.getTime() + 1_000)
      await orgkit.authenticateApiKey(secret)
      expect((await env.storage.apiKeys.find(organizationId, id))?.lastUsedAt).toEqual(first)
      now = new Date(now.getTime() + 60_000)
      await orgkit.authenticateApiKey(secret)
      expect((await env.storage.apiKeys.find(organizationId, id))?.lastUsedAt).toEqual(now)
    })

    it('never grants beyond its creator', async () => {
      await expect(
        orgkit.as(user('cat')).apiKeys.create('acme', { name: 'x', permissions: ['projects.read'] }),
      ).rejects.toMatchObject({ code: 'forbidden' }) // cat lacks apikeys.create
      await expect(orgkit.as(user('bob')).apiKeys.create('acme', { name: 'x', role: 'owner' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      // The refusal names what the list would hold, not a role: a list is none.
      const listRefusal = await orgkit
        .as(user('bob'))
        .apiKeys.create('acme', { name: 'x', permissions: ['organization.delete'] })
        .catch((error: unknown) => error)
      expect(listRefusal).toMatchObject({ code: 'forbidden', message: expect.stringContaining('organization.delete') })
      expect((listRefusal as Error).message).not.toContain('role')
      await expect(
        orgkit.as(user('bob')).apiKeys.create('acme', { name: 'x', permissions: ['projects.destroy'] }),
      ).rejects.toMatchObject({ code: 'validation_failed' })
      await expect(
        orgkit.as(user('bob')).apiKeys.create('acme', { name: 'x', role: 'member', permissions: ['projects.read'] }),
      ).rejects.toMatchObject({ code: 'validation_failed' })

      // A key's reach shrinks with its creator's role, and ends with their membership.
      const key = await orgkit
        .as(user('bob'))
        .apiKeys.create('acme', { name: 'ops', permissions: ['members.*', 'projects.*'] })
      expect((await orgkit.authenticateApiKey(key.secret)).permissions).toContain('members.remove')
      await orgkit.as(user('ann')).members.update('acme', 'bob', { role: 'member' })
      expect((await orgkit.authenticateApiKey(key.secret)).permissions).toEqual(['members.read', 'projects.read'])
      await orgkit.as(user('ann')).members.remove('acme', 'bob')
      await expect(orgkit.authenticateApiKey(key.secret)).rejects.toMatchObject({ code: 'unauthenticated' })
    })

    it('refuses revoked, expired, unknown and malformed keys as unauthenticated', async () => {
      const admin = orgkit.as(user('ann'))
      const revoked = await admin.apiKeys.create('acme', { name: 'old' })
      await admin.apiKeys.revoke('acme', revoked.id)
      await admin.apiKeys.revoke('acme', revoked.id) // twice is once
      await expect(orgkit.authenticateApiKey(revoked.secret)).rejects.toMatchObject({ code: 'unauthenticated' })
      expect((await admin.apiKeys.list('acme')).data.find((k) => k.id === revoked.id)?.revokedAt).toEqual(now)

      const expiring = await admin.apiKeys.create('acme', {
        name: 'short',
        expiresAt: new Date(now.getTime() + 60_000).toISOString(),
      })
      await expect(orgkit.authenticateApiKey(expiring.secret)).resolves.toMatchObject({ keyId: expiring.id })
      now = new Date(now.getTime() + 60_000)
      await expect(orgkit.authenticateApiKey(expiring.secret)).rejects.toMatchObject({ code: 'unauthenticated' })
      await expect(admin.apiKeys.create('acme', { name: 'past', expiresAt: new Date(0) })).rejects.toMatchObject({
        code: 'validation_failed',
      })

      const wrongSecret = `${revoked.secret.slice(0, 16)}${'A'.repeat(43)}`
      for (const presented of [wrongSecret, 'ok_short_x', 'nope', `ok_${'a'.repeat(12)}_${'b'.repeat(43)}`]) {
        await expect(orgkit.authenticateApiKey(presented)).rejects.toMatchObject({ code: 'unauthenticated' })
      }
    })

    it("answers another organization's key id as not found", async () => {
      const theirs = await orgkit.as(user('dan')).apiKeys.create('dan-co', { name: 'theirs' })
      await expect(orgkit.as(user('ann')).apiKeys.revoke('acme', theirs.id)).rejects.toMatchObject({
        code: 'not_found',
      })
      await expect(orgkit.authenticateApiKey(theirs.secret)).resolves.toMatchObject({ keyId: theirs.id })
    })
  })
}
