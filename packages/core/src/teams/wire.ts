import * as z from 'zod'
import { serializeUser, userWire } from '../members/wire'
import type { TeamMemberWithUser, TeamRecord } from '../shared/types'

/** The team objects of the HTTP API, picked field by field like every serializer of the API. */

export const teamWire = z.object({
  id: z.string(),
  organizationId: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  memberCount: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
})
export type TeamWire = z.output<typeof teamWire>

export function serializeTeam(team: TeamRecord): TeamWire {
  return {
    id: team.id,
    organizationId: team.organizationId,
    slug: team.slug,
    name: team.name,
    description: team.description,
    memberCount: team.memberCount,
    createdAt: team.createdAt.toISOString(),
    updatedAt: team.updatedAt.toISOString(),
  }
}

export const teamMemberWire = z.object({
  teamId: z.string(),
  userId: z.string(),
  role: z.string(),
  user: userWire,
})
export type TeamMemberWire = z.output<typeof teamMemberWire>

export function serializeTeamMember(member: TeamMemberWithUser): TeamMemberWire {
  return { teamId: member.teamId, userId: member.userId, role: member.role, user: serializeUser(member.user) }
}
