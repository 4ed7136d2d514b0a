import * as z from 'zod'
import type { RoleView } from './service'

/**
 * The role object of the HTTP API: a zod schema (for the OpenAPI document) next to the
 * function that produces it, picking fields one by one.
 */

export const roleWire = z.object({
  key: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  permissions: z.array(z.string()),
  system: z.boolean(),
  shadowsSystemRole: z.boolean(),
})

export function serializeRole(role: RoleView): z.output<typeof roleWire> {
  return {
    key: role.key,
    name: role.name,
    description: role.description,
    permissions: [...role.permissions],
    system: role.system,
    shadowsSystemRole: role.shadowsSystemRole,
  }
}
