import * as z from 'zod'
import { OrgkitError } from '../../shared/errors'
import type { Actor } from '../../shared/types'

/** `{org}`: a slug, an id or `me`; anything else answers 404 from the core. */
export const orgParams = z.strictObject({ org: z.string().min(1).max(255) })
export const memberParams = z.strictObject({ org: z.string().min(1).max(255), userId: z.string().min(1).max(255) })

/**
 * `?limit=1..100`, written as a plain decimal number. `z.coerce.number()` would read what
 * `Number()` reads, so `0x10`, `1e1`, ` 16` and `16.0` would all pass as numbers nobody wrote.
 */
const limitParam = z
  .string()
  .regex(/^[1-9][0-9]*$/, 'Must be a whole number from 1 to 100')
  .transform(Number)
  .pipe(z.number().int().max(100, 'Must be a whole number from 1 to 100'))

/** `?limit=1..100&cursor=` */
export const pageQuery = {
  limit: limitParam.optional(),
  cursor: z.string().min(1).max(1000).optional(),
}

/** The caller, on a route declared `auth: 'required'` (the handler runs only with one). */
export function signedIn(actor: Actor | null): Actor {
  if (actor === null) throw new OrgkitError('unauthenticated')
  return actor
}
