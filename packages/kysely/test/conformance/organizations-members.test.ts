import type { OrganizationRecord } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type TestStorage, testDialects } from '../../../../test/support/databases'

// Millisecond-free dates: MariaDB's DATETIME keeps whole seconds unless told otherwise.
const now = new Date('2026-01-01T00:00:00Z')

function organization(id: string, slug: string): OrganizationRecord {
  return {
    id,
    slug,
    name: `Org ${id}`,
    type: 'team',
    description: null,
    logoUrl: null,
    websiteUrl: null,
    industry: null,
    visibility: 'private',
    contactEmail: null,
    contactPhone: null,
    timezone: null,
    metadata: {},
    privateMetadata: {},
    createdBy: null,
    rolesVersion: 0,
    createdAt: now,
    updatedAt: now,
  }
}

describe.each(testDialects())('organization and member repositories on %s', (dialect) => {
  let env: TestStorage

  beforeAll(async () => {
    env = await createTestStorage(dialect)
    await env.addUser({ id: 'u1', email: 'u1@example.com', username: 'u1', name: 'User One' })
    await env.addUser({ id: 'u2', email: 'u2@example.com', username: 'u2', name: 'User Two' })
  })
  afterAll(() => env?.destroy())

  it('claims a slug for one organization only and frees it on rename and delete', async () => {
    const { organizations } = env.storage
    expect(await organizations.insert(organization('o1', 'acme'))).toBe(true)
    expect(await organizations.insert(organization('o2', 'acme'))).toBe(false)
    expect(await organizations.findById('o2')).toBeNull()

    expect(await organizations.update('o1', { slug: 'acme-2' }, now)).toMatchObject({ slug: 'acme-2' })
    expect(await organizations.findBySlug('acme')).toBeNull()
    expect(await organizations.insert(organization('o2', 'acme'))).toBe(true)
    expect(await organizations.update('o2', { slug: 'acme-2' }, now)).toBe('slug_taken')
    expect(await organizations.findBySlug('acme')).toMatchObject({ id: 'o2' })

    expect(await organizations.delete('o1')).toBe(true)
    expect(await organizations.delete('o1')).toBe(false)
    expect(await organizations.insert(organization('o3', 'acme-2'))).toBe(true)
  })

  it('of concurrent inserts with one slug exactly one wins', async () => {
    const results = await Promise.all(
      ['c1', 'c2', 'c3', 'c4'].map((id) => env.storage.organizations.insert(organization(id, 'race'))),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('adds a member once per organization and never crosses organizations', async () => {
    const { members } = env.storage
    await env.storage.organizations.insert(organization('m1', 'members-one'))
    await env.storage.organizations.insert(organization('m2', 'members-two'))
    const member = { organizationId: 'm1', userId: 'u1', role: 'owner', joinedAt: now }
    expect(await members.insert(member)).toBe(true)
    expect(await members.insert({ ...member, role: 'member' })).toBe(false)
    expect(await members.find('m1', 'u1')).toMatchObject({ role: 'owner' })

    expect(await members.find('m2', 'u1')).toBeNull()
    expect(await members.findWithUser('m2', 'u1')).toBeNull()
    expect(await members.updateRole('m2', 'u1', 'member')).toBe(false)
    expect(await members.delete('m2', 'u1')).toBe(false)
    expect(await members.find('m1', 'u1')).toMatchObject({ role: 'owner' })

    expect(await members.findWithUser('m1', 'u1')).toMatchObject({
      user: { id: 'u1', email: 'u1@example.com', username: 'u1', name: 'User One' },
    })
    expect(await members.count('m1')).toBe(1)
    expect(await members.countWithRole('m1', 'owner')).toBe(1)
    expect(await env.storage.organizations.counts('m1')).toMatchObject({ memberCount: 1 })
  })

  it('treats LIKE wildcards in the member filter as literal characters', async () => {
    const { members } = env.storage
    await members.insert({ organizationId: 'm1', userId: 'u2', role: 'member', joinedAt: now })
    const all = await members.list('m1', { q: '%' }, { limit: 10, cursor: null })
    expect(all.data).toHaveLength(0)
    const prefixed = await members.list('m1', { q: 'user t' }, { limit: 10, cursor: null })
    expect(prefixed.data.map((m) => m.userId)).toEqual(['u2'])
  })

  it('deletes an organization with its members and frees its slug', async () => {
    expect(await env.storage.organizations.delete('m1')).toBe(true)
    expect(await env.storage.members.find('m1', 'u1')).toBeNull()
    expect(await env.storage.organizations.insert(organization('m9', 'members-one'))).toBe(true)
  })
})
