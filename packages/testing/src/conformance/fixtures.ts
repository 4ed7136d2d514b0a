/**
 * Records the conformance suite stores, with fixed times, for a storage's own tests too: each
 * builder gives a complete, valid record with a fresh id, and takes overrides.
 */
import {
  type ApiKeyRecord,
  type AuditEventRecord,
  type CustomRoleRecord,
  createId,
  hashSecret,
  type InvitationRecord,
  type OrganizationRecord,
  type Page,
  type PageInput,
  pageInput,
  type TeamRecord,
} from '@orgkit/core'
import { expect } from 'vitest'

/** The suite's clock: every record is created at or after this instant. */
export const T0 = new Date('2026-01-01T00:00:00.000Z')
/** `T0` plus `seconds`. */
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000)

export function organization(slug: string, overrides: Partial<OrganizationRecord> = {}): OrganizationRecord {
  return {
    id: createId('organization'),
    slug,
    name: slug,
    type: 'team',
    description: null,
    logoUrl: null,
    websiteUrl: null,
    industry: null,
    visibility: 'private',
    memberCount: 0,
    teamCount: 0,
    contactEmail: null,
    contactPhone: null,
    timezone: null,
    metadata: { plan: 'pro' },
    privateMetadata: { secret: 1 },
    createdBy: 'ann',
    rolesVersion: 0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

export function invitation(
  organizationId: string,
  email: string,
  overrides: Partial<InvitationRecord> = {},
): InvitationRecord {
  return {
    id: createId('invitation'),
    organizationId,
    email,
    role: 'member',
    teamIds: [],
    status: 'pending',
    tokenHash: hashSecret(createId('invitation')),
    expiresAt: at(3600),
    invitedBy: 'ann',
    createdAt: T0,
    updatedAt: T0,
    respondedBy: null,
    ...overrides,
  }
}

export function apiKey(organizationId: string, prefix: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: createId('apiKey'),
    organizationId,
    name: 'key',
    prefix,
    secretHash: hashSecret(prefix),
    role: 'member',
    permissions: [],
    createdBy: 'ann',
    createdAt: T0,
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...overrides,
  }
}

export function event(organizationId: string, action: string, createdAt: Date): AuditEventRecord {
  return {
    id: createId('event'),
    organizationId,
    action,
    actor: { type: 'user', id: 'ann' },
    target: { type: 'organization', id: organizationId },
    changes: { n: 1 },
    createdAt,
  }
}

export function team(organizationId: string, slug: string, overrides: Partial<TeamRecord> = {}): TeamRecord {
  return {
    id: createId('team'),
    organizationId,
    slug,
    name: slug,
    description: null,
    memberCount: 0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

export function customRole(
  organizationId: string,
  key: string,
  overrides: Partial<CustomRoleRecord> = {},
): CustomRoleRecord {
  return {
    id: createId('role'),
    organizationId,
    key,
    name: key,
    description: null,
    permissions: ['organization:read'],
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

/** Every row of a list, page after page, checking that each page keeps to its limit. */
export async function everyPage<T>(list: (page: PageInput) => Promise<Page<T>>, limit: number): Promise<T[]> {
  const rows: T[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const current = await list(pageInput({ limit, cursor }))
    expect(current.data.length).toBeLessThanOrEqual(limit)
    rows.push(...current.data)
    if (current.nextCursor === null) return rows
    cursor = current.nextCursor
  }
  throw new Error('the list never ended')
}
