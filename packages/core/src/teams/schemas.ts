import * as z from 'zod'
import { slugSchema } from '../organizations/schemas'
import { pageQueryShape } from '../shared/pagination'
import { userIdSchema } from '../shared/user-ids'

/** A team role key; whether it names a configured team role is checked by the service. */
export const teamRoleKeySchema = z
  .string()
  .trim()
  .regex(
    /^[a-z][a-z0-9_-]{0,47}$/,
    'A team role key is 1–48 lower-case letters, digits, _ or -, starting with a letter',
  )

const teamNameSchema = z.string().trim().min(1, 'Must not be empty').max(100)
const teamDescriptionSchema = z.string().trim().max(2000).nullable()

/** A team's slug follows the organization slug pattern; generated from the name when omitted. */
export const createTeamSchema = z.strictObject({
  name: teamNameSchema,
  slug: slugSchema.optional(),
  description: teamDescriptionSchema.optional(),
})
export type CreateTeamInput = z.input<typeof createTeamSchema>

export const updateTeamSchema = z
  .strictObject({
    name: teamNameSchema.optional(),
    slug: slugSchema.optional(),
    description: teamDescriptionSchema.optional(),
  })
  .refine((v) => v.name !== undefined || v.slug !== undefined || v.description !== undefined, {
    message: 'Give at least one of name, slug or description',
  })
export type UpdateTeamInput = z.input<typeof updateTeamSchema>

export const listTeamsSchema = z.strictObject(pageQueryShape)
export type ListTeamsInput = z.input<typeof listTeamsSchema>

export const listTeamMembersSchema = listTeamsSchema
export type ListTeamMembersInput = z.input<typeof listTeamMembersSchema>

/** `role` defaults to the configured `defaultTeamRole`. */
export const addTeamMemberSchema = z.strictObject({
  userId: userIdSchema,
  role: teamRoleKeySchema.optional(),
})
export type AddTeamMemberInput = z.input<typeof addTeamMemberSchema>

export const updateTeamMemberSchema = z.strictObject({ role: teamRoleKeySchema })
export type UpdateTeamMemberInput = z.input<typeof updateTeamMemberSchema>
