import * as z from 'zod'
import type { OrgkitClient } from '../../instance/orgkit'
import { OrgkitError } from '../../shared/errors'

/** `{org}`: a slug, an id or `me`; anything else answers 404 from the core. */
export const orgParams = z.strictObject({ org: z.string().min(1).max(255) })
export const memberParams = z.strictObject({ org: z.string().min(1).max(255), userId: z.string().min(1).max(255) })

/** The caller's client, on a route declared `auth: 'required'` (the handler runs only with one). */
export function signedIn(client: OrgkitClient | null): OrgkitClient {
  if (client === null) throw new OrgkitError('unauthenticated')
  return client
}
