import { authorize } from './access'
import { authenticateApiKey } from './api-keys/authenticate'
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys/service'
import { createEventBus } from './audit/event-bus'
import { listAuditEvents } from './audit/service'
import type { OrgkitOptions } from './config'
import type { Context } from './context'
import { parseDuration } from './duration'
import {
  acceptInvitation,
  createInvitation,
  declineInvitation,
  listInvitations,
  listMyInvitations,
  previewInvitation,
  resendInvitation,
  revokeInvitation,
} from './invitations/service'
import { addMember, getMember, listMembers, removeMember, updateMember } from './members/service'
import {
  createOrganization,
  deleteOrganization,
  getOrganization,
  getPublicOrganization,
  leaveOrganization,
  listOrganizations,
  organizationPermissions,
  transferOwnership,
  updateOrganization,
} from './organizations/service'
import { RESERVED_SLUGS } from './organizations/slug'
import type { Orgkit, OrgkitClient } from './orgkit'
import { createPermissionEngine, OrgkitConfigError } from './roles/engine'
import { OWNER_ROLE } from './roles/permissions'
import type { Actor } from './types'

/** The industry choices when the host configures none. */
export const DEFAULT_INDUSTRIES = [
  'agriculture',
  'construction',
  'consulting',
  'education',
  'energy',
  'finance',
  'government',
  'healthcare',
  'hospitality',
  'insurance',
  'legal',
  'logistics',
  'manufacturing',
  'media',
  'nonprofit',
  'real-estate',
  'retail',
  'technology',
  'telecommunications',
  'other',
] as const

const DEFAULT_INVITATION_TTL = '7d'

/**
 * Creates an orgkit instance. Options are checked here, once: a mistake throws an
 * `OrgkitConfigError` naming the option, before any request is served.
 */
export function createOrgkit(options: OrgkitOptions): Orgkit {
  if (!options || typeof options.storage?.transaction !== 'function') {
    throw new OrgkitConfigError('createOrgkit needs a storage, e.g. kyselyStorage(db, …) from @orgkit/kysely')
  }
  const engine = createPermissionEngine({
    ...(options.permissions ? { permissions: options.permissions } : {}),
    ...(options.roles ? { roles: options.roles } : {}),
  })
  const defaultRole = options.defaultRole ?? 'member'
  if (!engine.role(defaultRole)) throw new OrgkitConfigError(`defaultRole "${defaultRole}" is not a configured role`)
  if (defaultRole === OWNER_ROLE) throw new OrgkitConfigError('defaultRole cannot be owner')
  for (const [name, value] of Object.entries(options.limits ?? {})) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new OrgkitConfigError(`limits.${name} must be a whole number ≥ 0`)
    }
  }
  for (const name of ['acceptUrl', 'send'] as const) {
    const value = options.invitations?.[name]
    if (value !== undefined && typeof value !== 'function') {
      throw new OrgkitConfigError(`invitations.${name} must be a function`)
    }
  }
  const precision = options.apiKeys?.lastUsedPrecisionMs
  if (precision !== undefined && (!Number.isInteger(precision) || precision < 0)) {
    throw new OrgkitConfigError('apiKeys.lastUsedPrecisionMs must be a whole number of milliseconds ≥ 0')
  }
  const industries = options.industries ?? DEFAULT_INDUSTRIES
  const onListenerError =
    options.onListenerError ??
    ((error: unknown, event: { action: string }) =>
      console.error(`orgkit: a listener for ${event.action} failed`, error))

  const ctx: Context = {
    options,
    storage: options.storage,
    engine,
    events: createEventBus(onListenerError),
    now: options.clock ?? (() => new Date()),
    defaultRole,
    industries,
    reservedSlugs: new Set([...RESERVED_SLUGS, ...(options.reservedSlugs ?? [])]),
    invitationTtlMs: parseDuration(options.invitations?.expiresIn ?? DEFAULT_INVITATION_TTL, 'invitations.expiresIn'),
    reportError: onListenerError,
  }

  const as = (actor: Actor): OrgkitClient => ({
    actor,
    organizations: {
      list: (input) => listOrganizations(ctx, actor, input),
      create: (input) => createOrganization(ctx, actor, input),
      get: (org) => getOrganization(ctx, actor, org),
      update: (org, input) => updateOrganization(ctx, actor, org, input),
      delete: (org) => deleteOrganization(ctx, actor, org),
      leave: (org) => leaveOrganization(ctx, actor, org),
      transferOwnership: (org, input) => transferOwnership(ctx, actor, org, input),
      permissions: (org) => organizationPermissions(ctx, actor, org),
    },
    members: {
      list: (org, input) => listMembers(ctx, actor, org, input),
      add: (org, input) => addMember(ctx, actor, org, input),
      get: (org, userId) => getMember(ctx, actor, org, userId),
      update: (org, userId, input) => updateMember(ctx, actor, org, userId, input),
      remove: (org, userId) => removeMember(ctx, actor, org, userId),
    },
    invitations: {
      list: (org, input) => listInvitations(ctx, actor, org, input),
      create: (org, input) => createInvitation(ctx, actor, org, input),
      resend: (org, id) => resendInvitation(ctx, actor, org, id),
      revoke: (org, id) => revokeInvitation(ctx, actor, org, id),
      mine: (input) => listMyInvitations(ctx, actor, input),
      preview: (input) => previewInvitation(ctx, actor, input),
      accept: (input) => acceptInvitation(ctx, actor, input),
      decline: (input) => declineInvitation(ctx, actor, input),
    },
    apiKeys: {
      list: (org, input) => listApiKeys(ctx, actor, org, input),
      create: (org, input) => createApiKey(ctx, actor, org, input),
      revoke: (org, id) => revokeApiKey(ctx, actor, org, id),
    },
    audit: {
      list: (org, input) => listAuditEvents(ctx, actor, org, input),
    },
    async can(org, permission) {
      engine.assertDeclared(permission)
      try {
        await authorize(ctx, ctx.storage, actor, org, permission)
        return true
      } catch (error) {
        if (error instanceof Error && 'code' in error && (error.code === 'forbidden' || error.code === 'not_found')) {
          return false
        }
        throw error
      }
    },
  })

  return {
    options,
    engine,
    industries,
    as,
    publicOrganization: (org) => getPublicOrganization(ctx, org),
    authenticateApiKey: (presented) => authenticateApiKey(ctx, presented),
    on: (action, listener) => ctx.events.on(action, listener),
    async authorize(actor, org, permission) {
      const { organization, role } = await authorize(ctx, ctx.storage, actor, org, permission)
      return { organization, role }
    },
  }
}
