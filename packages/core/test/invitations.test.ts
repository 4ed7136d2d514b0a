import { createOrgkit, OrgkitConfigError } from '@orgkit/core'
import { describe, expect, it } from 'vitest'
import { invitationsSuite } from './suites/invitations'
import { memoryStorageUnderTest } from './support/storages'

invitationsSuite('memory', memoryStorageUnderTest)

describe('invitation options', () => {
  it('reads expiresIn as a duration and refuses malformed options at createOrgkit', async () => {
    const env = await memoryStorageUnderTest()
    try {
      await env.addUser({ id: 'ann', email: 'ann@example.com', username: 'ann', name: 'Ann' })
      const now = new Date('2026-01-01T00:00:00.000Z')
      const orgkit = createOrgkit({ storage: env.storage, clock: () => now, invitations: { expiresIn: '12h' } })
      const ann = orgkit.as({ type: 'user', userId: 'ann' })
      const org = await ann.organizations.create({ name: 'Short' })
      const created = await ann.invitations.create(org.id, { email: 'x@example.com' })
      expect(created.expiresAt.getTime() - now.getTime()).toBe(12 * 3_600_000)
      expect(createOrgkit({ storage: env.storage, invitations: { expiresIn: 90_000 } })).toBeDefined()

      for (const invitations of [
        { expiresIn: '7 days' },
        { expiresIn: '0d' },
        { expiresIn: -5 },
        { expiresIn: 1.5 },
        { acceptUrl: 'https://app.example/join' },
        { send: true },
      ]) {
        // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed options, as plain JavaScript could pass
        expect(() => createOrgkit({ storage: env.storage, invitations: invitations as any })).toThrow(OrgkitConfigError)
      }
      expect(() => createOrgkit({ storage: env.storage, apiKeys: { lastUsedPrecisionMs: -1 } })).toThrow(
        OrgkitConfigError,
      )
    } finally {
      await env.destroy()
    }
  })
})
