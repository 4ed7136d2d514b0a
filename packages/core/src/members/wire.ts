import * as z from 'zod'
import type { MemberWithUser, UserSummary } from '../shared/types'
import { iso, timestamp } from '../shared/wire'

/**
 * The member and user objects of the HTTP API: a zod schema (for the OpenAPI document) next to the function
 * that produces it. A serializer picks fields one by one, so a field added to a record
 * (a column the host adds to its users table) never reaches a response by accident.
 */

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
