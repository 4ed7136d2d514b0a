import * as z from 'zod'
import { iso, timestamp } from '../shared/wire'
import type { InvitationPreview, InvitationView, IssuedInvitation } from './service'

/**
 * The invitation objects of the HTTP API: a zod schema (for the OpenAPI document) next to the function
 * that produces it. A serializer picks fields one by one, so a field added to a record
 * (`tokenHash`) never reaches a response by accident.
 */

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
