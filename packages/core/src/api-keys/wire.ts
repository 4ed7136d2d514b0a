import * as z from 'zod'
import { iso, isoOrNull, timestamp } from '../shared/wire'
import type { ApiKeyView, IssuedApiKey } from './service'

/**
 * The API key objects of the HTTP API: a zod schema (for the OpenAPI document) next to the function
 * that produces it. A serializer picks fields one by one, so a field added to a record
 * (`secretHash`) never reaches a response by accident.
 */

export const apiKeyWire = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: z.string().nullable(),
  permissions: z.array(z.string()),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  expiresAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
})
export type ApiKeyWire = z.output<typeof apiKeyWire>

export function serializeApiKey(key: ApiKeyView): ApiKeyWire {
  return {
    id: key.id,
    organizationId: key.organizationId,
    name: key.name,
    prefix: key.prefix,
    role: key.role,
    permissions: [...key.permissions],
    createdAt: iso(key.createdAt),
    lastUsedAt: isoOrNull(key.lastUsedAt),
    expiresAt: isoOrNull(key.expiresAt),
    revokedAt: isoOrNull(key.revokedAt),
  }
}

/** Create only: the whole key, once. */
export const issuedApiKeyWire = apiKeyWire.extend({ secret: z.string() })

export function serializeIssuedApiKey(key: IssuedApiKey): z.output<typeof issuedApiKeyWire> {
  return { ...serializeApiKey(key), secret: key.secret }
}
