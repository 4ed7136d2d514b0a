import type { Context } from '../context'
import type { Actor } from '../types'

/** Teams and their members, as `orgkit.as(actor).teams`. (Being written: see teams/.) */
export function teamsApi(_ctx: Context, _actor: Actor) {
  return {}
}

export type TeamsApi = ReturnType<typeof teamsApi>
