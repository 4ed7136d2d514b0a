import * as z from 'zod'
import type { ApiKeyView, IssuedApiKey } from '../api-keys/service'
import type { OrganizationView } from '../instance/orgkit'
import type { InvitationPreview, InvitationView, IssuedInvitation } from '../invitations/service'
import { hostFieldsOf } from '../organizations/service'
import type { Page } from '../shared/pagination'
import type { AuditEventRecord, MemberWithUser, UserSummary } from '../shared/types'

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
    // The host's derived fields (`organizationFields`) first: orgkit's own always win.
    ...hostFieldsOf(organization),
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

const invitationStatus = z.enum(['pending', 'accepted', 'declined', 'revoked', 'expired'])

export const invitationWire = z.object({
  id: z.string(),
  organizationId: z.string(),
  email: z.string(),
  role: z.string(),
  teamIds: z.array(z.string()),
  status: invitationStatus,
  expired: z.boolean(),
  expiresAt: timestamp,
  invitedBy: z.object({ userId: z.string(), username: z.string().nullable() }),
  createdAt: timestamp,
})
export type InvitationWire = z.output<typeof invitationWire>

export function serializeInvitation(invitation: InvitationView): InvitationWire {
  return {
    id: invitation.id,
    organizationId: invitation.organizationId,
    email: invitation.email,
    role: invitation.role,
    teamIds: [...invitation.teamIds],
    status: invitation.status,
    expired: invitation.expired,
    expiresAt: iso(invitation.expiresAt),
    invitedBy: { userId: invitation.invitedBy.userId, username: invitation.invitedBy.username },
    createdAt: iso(invitation.createdAt),
  }
}

/** Create and resend only: the token and the link, once. */
export const issuedInvitationWire = invitationWire.extend({ token: z.string(), acceptUrl: z.string() })

export function serializeIssuedInvitation(invitation: IssuedInvitation): z.output<typeof issuedInvitationWire> {
  return { ...serializeInvitation(invitation), token: invitation.token, acceptUrl: invitation.acceptUrl }
}

export const invitationPreviewWire = z.object({
  organization: z.object({ id: z.string(), slug: z.string(), name: z.string(), logoUrl: z.string().nullable() }),
  email: z.string(),
  role: z.string(),
  status: invitationStatus,
  expired: z.boolean(),
  expiresAt: timestamp,
  invitedBy: z.object({ userId: z.string(), username: z.string().nullable(), name: z.string().nullable() }),
})

export function serializeInvitationPreview(preview: InvitationPreview): z.output<typeof invitationPreviewWire> {
  return {
    organization: { ...preview.organization },
    email: preview.email,
    role: preview.role,
    status: preview.status,
    expired: preview.expired,
    expiresAt: iso(preview.expiresAt),
    invitedBy: { ...preview.invitedBy },
  }
}

export const apiKeyWire = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: z.string().nullable(),
  permissions: z.array(z.string()),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  expiresAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
})
export type ApiKeyWire = z.output<typeof apiKeyWire>

export function serializeApiKey(key: ApiKeyView): ApiKeyWire {
  return {
    id: key.id,
    organizationId: key.organizationId,
    name: key.name,
    prefix: key.prefix,
    role: key.role,
    permissions: [...key.permissions],
    createdAt: iso(key.createdAt),
    lastUsedAt: isoOrNull(key.lastUsedAt),
    expiresAt: isoOrNull(key.expiresAt),
    revokedAt: isoOrNull(key.revokedAt),
  }
}

/** Create only: the whole key, once. */
export const issuedApiKeyWire = apiKeyWire.extend({ secret: z.string() })

export function serializeIssuedApiKey(key: IssuedApiKey): z.output<typeof issuedApiKeyWire> {
  return { ...serializeApiKey(key), secret: key.secret }
}
