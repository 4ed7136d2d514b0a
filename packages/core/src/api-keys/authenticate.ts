import { roleIn } from '../authorization/access'
import type { Context } from '../runtime/context'
import { OrgkitError } from '../shared/errors'
import { secretMatches } from '../shared/secrets'
import type { ApiKeyActor, OrganizationRecord } from '../shared/types'

/** `ok_<prefix>_<secret>`: the prefix is public (shown in listings), the secret is stored hashed. */
export const API_KEY_PATTERN = /^ok_([a-z0-9]{12})_([A-Za-z0-9_-]{32,128})$/

const DEFAULT_LAST_USED_PRECISION_MS = 60_000

/**
 * Turns a presented key into its actor. Every failure is the same `unauthenticated`, so a
 * caller learns nothing about which part was wrong.
 *
 * A key never holds more than its creator: its permissions are those of its role (or its
 * explicit list) cut down to what the creator's membership holds now. A creator who left
 * or was removed takes the key's access along (their keys are also revoked then).
 */
export async function authenticateApiKey(ctx: Context, presented: string): Promise<ApiKeyActor> {
  return (await authenticateApiKeyForRequest(ctx, presented)).actor
}

/** A presented key's actor, with the key's organization as authenticating it read it. */
export interface ApiKeyAuthentication {
  actor: ApiKeyActor
  organization: OrganizationRecord
}

/**
 * `authenticateApiKey`, also answering the organization read to authenticate the key: a
 * client made with it (`orgkit.as(actor, { organization })`) does not read it again for its
 * first authorization. orgkit's HTTP layer authenticates every request's key this way.
 */
export async function authenticateApiKeyForRequest(ctx: Context, presented: string): Promise<ApiKeyAuthentication> {
  const refused = () => new OrgkitError('unauthenticated', 'The API key is not valid.')
  const match = API_KEY_PATTERN.exec(presented)
  if (!match) throw refused()
  const [, prefix, secret] = match as unknown as [string, string, string]
  const key = await ctx.storage.apiKeys.findByPrefix(prefix)
  if (!key || !secretMatches(secret, key.secretHash)) throw refused()
  const now = ctx.now()
  if (key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= now.getTime())) throw refused()
  // The organization and the creator's membership in one statement.
  const found = await ctx.storage.organizations.findWithMember({ id: key.organizationId }, key.createdBy)
  if (!found?.member) throw refused()
  const { organization, member: creator } = found

  // Roles as the key's organization defines them now: a custom role edited since the key
  // was made changes what the key can do on its next request.
  const roles = await ctx.roles.forOrganization(ctx.storage, organization)
  const granted = key.role !== null ? roleIn(roles, key.role) : ctx.engine.compile(key.permissions, { key: 'api-key' })
  const ceiling = roleIn(roles, creator.role)
  const permissions = granted.permissions.filter((permission) => ceiling.has(permission))

  // lastUsedAt is kept to a precision, so a busy key is not a write on every request.
  const precision = ctx.options.apiKeys?.lastUsedPrecisionMs ?? DEFAULT_LAST_USED_PRECISION_MS
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= precision) {
    await ctx.storage.apiKeys.touch(key.organizationId, key.id, now)
  }
  const actor: ApiKeyActor = {
    type: 'apiKey',
    keyId: key.id,
    organizationId: key.organizationId,
    createdBy: key.createdBy,
    role: key.role,
    permissions,
  }
  return { actor, organization }
}
