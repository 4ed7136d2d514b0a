import * as z from 'zod'
import { OrgkitError } from '../../errors'
import type { Actor } from '../../types'

/** `{org}`: a slug, an id or `me`; anything else answers 404 from the core. */
export const orgParams = z.strictObject({ org: z.string().min(1).max(255) })
export const memberParams = z.strictObject({ org: z.string().min(1).max(255), userId: z.string().min(1).max(255) })

/** `?limit=1..100&cursor=`: query strings are strings, so the limit is coerced. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).max(1000).optional(),
}

/** The caller, on a route declared `auth: 'required'` (the handler runs only with one). */
export function signedIn(actor: Actor | null): Actor {
  if (actor === null) throw new OrgkitError('unauthenticated')
  return actor
}
