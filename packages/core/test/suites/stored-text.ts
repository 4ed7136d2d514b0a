import { createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MakeStorage, StorageUnderTest } from '../support/storages'

const user = (userId: string): UserActor => ({ type: 'user', userId })

/** The refusal of a call that breaks the stored-text rule: one detail at `path`. */
const refusedAt = (path: string) => ({
  code: 'validation_failed',
  details: [{ path, message: expect.any(String) }],
})

/**
 * The stored-text rule and the depth limit on the imported API, which HTTP requests already
 * met: NUL (which PostgreSQL refuses and the other databases keep), other control characters
 * in names and lone surrogates are refused before anything reaches the storage.
 */
export function storedTextSuite(name: string, make: MakeStorage): void {
  describe(`text the core API stores, on ${name}`, () => {
    let env: StorageUnderTest
    let orgkit: Orgkit
    const slug = 'text-inc'

    beforeAll(async () => {
      env = await make()
      for (const id of ['ann', 'bob']) await env.addUser({ id, email: `${id}@example.com`, username: id })
      orgkit = createOrgkit({ storage: env.storage })
      const ann = orgkit.as(user('ann'))
      await ann.organizations.create({ name: 'Text Inc', slug })
      await ann.members.add(slug, { userId: 'bob' })
      await ann.teams.create(slug, { name: 'Red', slug: 'red' })
    })
    afterAll(() => env?.destroy())

    it('refuses U+0000 in every kind of argument, naming it, and stores nothing', async () => {
      const ann = orgkit.as(user('ann'))
      const refusals: [Promise<unknown>, string][] = [
        [ann.organizations.create({ name: 'Nul\u0000Corp' }), 'name'],
        [ann.organizations.create({ name: 'Nul Corp', metadata: { plan: 'x\u0000' } }), 'metadata.plan'],
        [ann.organizations.get('text\u0000inc'), 'org'],
        [ann.organizations.update(slug, { contactEmail: 'a\u0000@example.com' }), 'contactEmail'],
        [ann.members.get(slug, 'bob\u0000'), 'userId'],
        [ann.members.add(slug, { username: 'bob\u0000' }), 'username'],
        [ann.members.remove(slug, '\u0000'), 'userId'],
        [ann.teams.get(slug, 'red\u0000'), 'team'],
        [ann.teams.members.get(slug, 'red', 'bob\u0000'), 'userId'],
        [ann.roles.update(slug, 'edi\u0000tor', { name: 'Editor' }), 'key'],
        [
          ann.roles.create(slug, { key: 'editor', name: 'Editor', permissions: ['members.read\u0000'] }),
          'permissions.0',
        ],
        [ann.invitations.revoke(slug, 'inv_\u0000'), 'id'],
        [ann.invitations.create(slug, { email: 'c\u0000@example.com' }), 'email'],
        [ann.invitations.accept({ id: 'inv_\u0000' }), 'id'],
        [ann.invitations.preview({ token: 'tok\u0000' }), 'token'],
        [ann.apiKeys.revoke(slug, 'key_\u0000'), 'id'],
        [ann.audit.list(slug, { action: 'member.added\u0000' }), 'action'],
        [ann.can('text\u0000inc', 'members.read'), 'org'],
        [ann.can(slug, 'members.read', { teamId: 'red\u0000' }), 'teamId'],
        [orgkit.publicOrganization('text\u0000inc'), 'org'],
        [orgkit.authorize(user('ann'), 'text\u0000inc', 'members.read'), 'org'],
        [orgkit.as(user('ann\u0000')).organizations.create({ name: 'Ghost' }), 'actor.userId'],
      ]
      for (const [call, path] of refusals) {
        await expect(call, path).rejects.toMatchObject(refusedAt(path))
      }
      const mine = await ann.organizations.list()
      expect(mine.data.map((organization) => organization.slug)).toEqual([slug])
      expect((await ann.organizations.get(slug)).contactEmail).toBeNull()
      expect((await ann.invitations.list(slug)).data).toEqual([])
      expect((await ann.roles.list(slug)).filter((role) => !role.system)).toEqual([])
    })

    it('keeps tab and line breaks in free text, refuses other controls in names and lone surrogates', async () => {
      const ann = orgkit.as(user('ann'))
      const team = await ann.teams.create(slug, { name: 'Line\tOne', description: 'first\r\nsecond' })
      expect(team).toMatchObject({ name: 'Line\tOne', description: 'first\r\nsecond' })
      await expect(ann.teams.create(slug, { name: 'Bell\u0007' })).rejects.toMatchObject(refusedAt('name'))
      await expect(ann.teams.create(slug, { name: 'Tab', slug: 'ta\tb' })).rejects.toMatchObject(refusedAt('slug'))
      await expect(ann.teams.create(slug, { name: 'Half \uD800' })).rejects.toMatchObject(refusedAt('name'))
    })

    it('refuses input nested deeper than the limit, cheaply and without a stack overflow', async () => {
      const ann = orgkit.as(user('ann'))
      const nested = (levels: number): Record<string, unknown> => {
        let value: Record<string, unknown> = {}
        for (let level = 0; level < levels; level++) value = { a: value }
        return value
      }
      await expect(ann.organizations.update(slug, { metadata: nested(5_000) })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      // The input object is level 1, `metadata` level 2: 30 more levels below it fit.
      const kept = await ann.organizations.update(slug, { metadata: nested(30) })
      expect(kept.metadata).toEqual(nested(30))
      await expect(ann.organizations.update(slug, { metadata: nested(31) })).rejects.toMatchObject({
        code: 'validation_failed',
      })
    })
  })
}
