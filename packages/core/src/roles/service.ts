import type { Context } from '../context'
import type { Actor } from '../types'

export function rolesApi(_ctx: Context, _actor: Actor) {
  return {}
}

export type RolesApi = ReturnType<typeof rolesApi>
