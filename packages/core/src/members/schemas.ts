import * as z from 'zod'
import { pageQueryShape } from '../shared/pagination'
import { userIdSchema } from '../shared/user-ids'

export const roleKeySchema = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_-]{0,47}$/, 'A role key is 1–48 lower-case letters, digits, _ or -, starting with a letter')

/** Exactly one of `userId`, `username` or `email` names the user. */
export const addMemberSchema = z
  .strictObject({
    userId: userIdSchema.optional(),
    username: z.string().trim().min(1).max(255).optional(),
    email: z.email().trim().toLowerCase().max(320).optional(),
    role: roleKeySchema.optional(),
  })
  .refine((v) => [v.userId, v.username, v.email].filter((x) => x !== undefined).length === 1, {
    message: 'Give exactly one of userId, username or email',
    path: ['userId'],
  })
export type AddMemberInput = z.input<typeof addMemberSchema>

export const updateMemberSchema = z.strictObject({ role: roleKeySchema })
export type UpdateMemberInput = z.input<typeof updateMemberSchema>

export const listMembersSchema = z.strictObject({
  ...pageQueryShape,
  role: roleKeySchema.optional(),
  q: z.string().trim().min(1).max(100).optional(),
})
export type ListMembersInput = z.input<typeof listMembersSchema>
