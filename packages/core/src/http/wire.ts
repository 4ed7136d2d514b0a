import * as z from 'zod'
import type { OrganizationView } from '../orgkit'
import type { Page } from '../pagination'
import type { AuditEventRecord, MemberWithUser, UserSummary } from '../types'

/**
 * The objects of the HTTP API, as zod schemas (for the OpenAPI document) next to the
 * functions that produce them. A serializer picks fields one by one, so a field added to a
 * record (`privateMetadata`, `tokenHash`) never reaches a response by accident.
 */

const iso = (date: Date) => date.toISOString()
const isoOrNull = (date: Date | null) => (date === null ? null : date.toISOString())

const timestamp = z.iso.datetime()

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    nextCursor: z.string().nullable(),
    prevCursor: z.string().nullable(),
    hasMore: z.boolean(),
  })
}

export function toPage<T, W>(page: Page<T>, serialize: (item: T) => W): Page<W> {
  return {
    data: page.data.map(serialize),
    nextCursor: page.nextCursor,
    prevCursor: page.prevCursor,
    hasMore: page.hasMore,
  }
}

export const organizationWire = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  type: z.enum(['team', 'personal']),
  description: z.string().nullable(),
  logoUrl: z.string().nullable(),
  websiteUrl: z.string().nullable(),
  industry: z.string().nullable(),
  visibility: z.enum(['private', 'public']),
  contactEmail: z.string().nullable(),
  contactPhone: z.string().nullable(),
  timezone: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
  updatedAt: timestamp,
  memberCount: z.number().int(),
  teamCount: z.number().int(),
  role: z.string().nullable(),
})
export type OrganizationWire = z.output<typeof organizationWire>

export function serializeOrganization(organization: OrganizationView): OrganizationWire {
  return {
    id: organization.id,
    slug: organization.slug,
    name: organization.name,
    type: organization.type,
    description: organization.description,
    logoUrl: organization.logoUrl,
    websiteUrl: organization.websiteUrl,
    industry: organization.industry,
    visibility: organization.visibility,
    contactEmail: organization.contactEmail,
    contactPhone: organization.contactPhone,
    timezone: organization.timezone,
    metadata: organization.metadata,
    createdAt: iso(organization.createdAt),
    updatedAt: iso(organization.updatedAt),
    memberCount: organization.memberCount,
    teamCount: organization.teamCount,
    role: organization.role,
  }
}

export const userWire = z.object({
  id: z.string(),
  email: z.string().nullable(),
  username: z.string().nullable(),
  name: z.string().nullable(),
  imageUrl: z.string().nullable(),
})

export function serializeUser(user: UserSummary): z.output<typeof userWire> {
  return { id: user.id, email: user.email, username: user.username, name: user.name, imageUrl: user.imageUrl }
}

export const memberWire = z.object({
  organizationId: z.string(),
  userId: z.string(),
  role: z.string(),
  joinedAt: timestamp,
  user: userWire,
})
export type MemberWire = z.output<typeof memberWire>

export function serializeMember(member: MemberWithUser): MemberWire {
  return {
    organizationId: member.organizationId,
    userId: member.userId,
    role: member.role,
    joinedAt: iso(member.joinedAt),
    user: serializeUser(member.user),
  }
}

export const permissionSummaryWire = z.object({
  role: z.string().nullable(),
  permissions: z.array(z.string()),
  teams: z.array(z.object({ teamId: z.string(), role: z.string(), permissions: z.array(z.string()) })),
})

export const auditEventWire = z.object({
  id: z.string(),
  organizationId: z.string(),
  action: z.string(),
  actor: z.object({ type: z.enum(['user', 'apiKey', 'system']), id: z.string().nullable() }),
  target: z.object({ type: z.string(), id: z.string() }),
  changes: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
})

export function serializeAuditEvent(event: AuditEventRecord): z.output<typeof auditEventWire> {
  return {
    id: event.id,
    organizationId: event.organizationId,
    action: event.action,
    actor: { type: event.actor.type, id: event.actor.id },
    target: { type: event.target.type, id: event.target.id },
    changes: event.changes,
    createdAt: iso(event.createdAt),
  }
}

export { isoOrNull }
