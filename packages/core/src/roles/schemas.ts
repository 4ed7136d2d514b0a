import * as z from 'zod'
import { roleKeySchema } from '../members/schemas'

/**
 * A permission list holds each permission once: a repeated one is refused at its index
 * (`permissions.2`), naming the first, rather than silently merged, so what a caller sends is
 * what is stored and shown.
 */
export function refuseRepeats(list: readonly string[], context: z.core.$RefinementCtx<string[]>): void {
  const first = new Map<string, number>()
  for (const [index, item] of list.entries()) {
    const seen = first.get(item)
    if (seen === undefined) first.set(item, index)
    else context.addIssue({ code: 'custom', path: [index], message: `Repeats "${item}" (already at ${seen})` })
  }
}

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
