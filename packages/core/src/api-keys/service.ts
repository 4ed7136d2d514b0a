import { customAlphabet } from 'nanoid'
import { assertHoldsAll, assertMayGrant, assignableRole, authorize, authorizedPage } from '../authorization/access'
import type { Context } from '../runtime/context'
import { mutate } from '../runtime/unit-of-work'
import { notFound, OrgkitError } from '../shared/errors'
import { createId } from '../shared/ids'
import { mapPage, type Page, pageInput } from '../shared/pagination'
import { hashSecret, randomSecret } from '../shared/secrets'
import type { Actor, ApiKeyRecord } from '../shared/types'
import { invalid, parseInput } from '../shared/validate'
import { apiKeyRules } from './rules'
import { type CreateApiKeyInput, createApiKeySchema, type ListApiKeysInput, listApiKeysSchema } from './schemas'

/** An API key as listed: the public prefix, never the secret or its hash. */
export interface ApiKeyView {
  id: string
  organizationId: string
  name: string
  prefix: string
  role: string | null
  /** The explicit permission list; empty for a key that holds a role. */
  permissions: string[]
  createdBy: string
  createdAt: Date
  lastUsedAt: Date | null
  expiresAt: Date | null
  revokedAt: Date | null
}

/** What create returns, once: the whole key, `ok_<prefix>_<secret>`. */
export interface IssuedApiKey extends ApiKeyView {
  secret: string
}

/** The prefix is public and unique (a lookup key); the secret carries 256 random bits. */
const newPrefix = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 12)
const SECRET_BYTES = 32
const PREFIX_ATTEMPTS = 3

export function toApiKeyView(key: ApiKeyRecord): ApiKeyView {
  return {
    id: key.id,
    organizationId: key.organizationId,
    name: key.name,
    prefix: key.prefix,
    role: key.role,
    permissions: key.permissions,
    createdBy: key.createdBy,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
  }
}

export async function listApiKeys(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: ListApiKeysInput = {},
): Promise<Page<ApiKeyView>> {
  const { limit, cursor } = parseInput(listApiKeysSchema, input, 'query')
  const page = pageInput({ limit, cursor })
  const read = { list: 'apiKeys', input: [page] } as const
  return mapPage(await authorizedPage(ctx, ctx.storage, actor, ref, apiKeyRules.list, read), toApiKeyView)
}

export async function createApiKey(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: CreateApiKeyInput,
): Promise<IssuedApiKey> {
  const data = parseInput(createApiKeySchema, input)
  const now = ctx.now()
  const expiresAt = data.expiresAt === undefined ? null : new Date(data.expiresAt)
  if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) throw invalid('expiresAt', 'Must be in the future')
  const createdBy =
    actor.type === 'user'
      ? actor.userId
      : actor.type === 'apiKey'
        ? actor.createdBy
        : forbid('An API key needs a creator: call this as a user, e.g. orgkit.as(user).')
  // What the key would hold (an unknown permission is a 400 here), checked below against
  // what its creator holds: no escalation by key.
  const explicit = data.permissions ? ctx.engine.compile(data.permissions, { key: 'api-key' }) : null

  const secret = randomSecret(SECRET_BYTES)
  const key = await mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorize(ctx, tx, actor, ref, apiKeyRules.create)
    const granted = explicit ?? assignableRole(access.roles, data.role ?? ctx.defaultRole)
    // A list is no role: the refusal names what the key would hold, not a role called "api-key".
    if (explicit) assertHoldsAll(access, explicit.permissions, 'give a key these permissions')
    else assertMayGrant(access, granted)
    for (let attempt = 1; ; attempt++) {
      const candidate: ApiKeyRecord = {
        id: createId('apiKey'),
        organizationId: access.organization.id,
        name: data.name,
        prefix: newPrefix(),
        secretHash: hashSecret(secret),
        role: data.permissions ? null : granted.key,
        permissions: data.permissions ? [...granted.permissions] : [],
        createdBy,
        createdAt: now,
        expiresAt,
        lastUsedAt: null,
        revokedAt: null,
      }
      // A prefix collision (36^12 space) is vanishingly rare; the global lookup table's
      // unique key catches it and a fresh prefix is drawn.
      if (await tx.apiKeys.insert(candidate)) {
        await record({
          organizationId: candidate.organizationId,
          action: 'apikey.created',
          target: { type: 'apiKey', id: candidate.id },
          changes: { name: candidate.name, role: candidate.role, permissions: candidate.permissions },
        })
        return candidate
      }
      if (attempt >= PREFIX_ATTEMPTS) throw new Error('could not draw a free API key prefix')
    }
  })
  return { ...toApiKeyView(key), secret: `ok_${key.prefix}_${secret}` }
}

export async function revokeApiKey(ctx: Context, actor: Actor, ref: string, id: string): Promise<void> {
  await mutate(ctx, actor, async ({ tx, now, record }) => {
    const { organization } = await authorize(ctx, tx, actor, ref, apiKeyRules.revoke)
    const current = await tx.apiKeys.find(organization.id, id)
    if (!current) throw notFound('API key not found.')
    if (current.revokedAt !== null) return // revoking twice is revoking once
    await tx.apiKeys.revoke(organization.id, id, now)
    await record({
      organizationId: organization.id,
      action: 'apikey.revoked',
      target: { type: 'apiKey', id },
      changes: { name: current.name },
    })
  })
}

function forbid(message: string): never {
  throw new OrgkitError('forbidden', message)
}

/** Org-scoped API keys, as `orgkit.as(actor).apiKeys`. */
export function apiKeysApi(ctx: Context, actor: Actor) {
  return {
    list: (org: string, input?: ListApiKeysInput): Promise<Page<ApiKeyView>> => listApiKeys(ctx, actor, org, input),
    /** Creates a key; `secret` (`ok_<prefix>_<secret>`) is returned here and never again. */
    create: (org: string, input: CreateApiKeyInput): Promise<IssuedApiKey> => createApiKey(ctx, actor, org, input),
    revoke: (org: string, id: string): Promise<void> => revokeApiKey(ctx, actor, org, id),
  }
}

export type ApiKeysApi = ReturnType<typeof apiKeysApi>
