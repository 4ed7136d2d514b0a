import * as z from 'zod'
import { roleKeySchema } from '../members/schemas'
import { refuseRepeats } from '../shared/validate'

const permissionsSchema = z.array(z.string().trim().min(1).max(200)).max(500).superRefine(refuseRepeats)

export const createRoleSchema = z.strictObject({
  key: roleKeySchema,
  name: z.string().trim().min(1).max(255),
  description: z.string().trim().max(2000).nullable().optional(),
  permissions: permissionsSchema,
})
export type CreateRoleInput = z.input<typeof createRoleSchema>

export const updateRoleSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(255).optional(),
    description: z.string().trim().max(2000).nullable().optional(),
    permissions: permissionsSchema.optional(),
  })
  .refine((v) => v.name !== undefined || v.description !== undefined || v.permissions !== undefined, {
    message: 'Give at least one of name, description or permissions',
  })
export type UpdateRoleInput = z.input<typeof updateRoleSchema>

export const deleteRoleSchema = z.strictObject({ reassignTo: roleKeySchema.optional() })
export type DeleteRoleInput = z.input<typeof deleteRoleSchema>
