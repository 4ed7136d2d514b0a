import * as z from 'zod'
import { roleKeySchema } from '../members/schemas'
import { pageQueryShape } from '../shared/pagination'
import { refuseRepeats } from '../shared/validate'

/** A key holds a role, or an explicit permission list, or (neither) the default role. */
export const createApiKeySchema = z
  .strictObject({
    name: z.string().trim().min(1, 'Must not be empty').max(100),
    role: roleKeySchema.optional(),
    permissions: z.array(z.string().min(1).max(200)).min(1).max(200).superRefine(refuseRepeats).optional(),
    /** When the key stops working; must be in the future. */
    expiresAt: z.union([z.iso.datetime({ offset: true }), z.date()]).optional(),
  })
  .refine((v) => v.role === undefined || v.permissions === undefined, {
    message: 'Give a role or a permission list, not both',
    path: ['permissions'],
  })
export type CreateApiKeyInput = z.input<typeof createApiKeySchema>

export const listApiKeysSchema = z.strictObject(pageQueryShape)
export type ListApiKeysInput = z.input<typeof listApiKeysSchema>
