import type { AuditEventRecord, JsonObject } from '../shared/types'

type Change<T> = { from: T; to: T }

/**
 * Every event orgkit writes, by action, with the shape of its `changes`. The same record is
 * the audit event (`GET …/audit-events`), what a `before` hook sees inside the transaction,
 * and what a listener receives after the commit.
 */
export interface OrgkitEventMap {
  'organization.created': { name: string; slug: string; type?: 'personal' }
  /** Each changed field `{ from, to }`; `privateMetadata` only as `{ changed: true }`. */
  'organization.updated': JsonObject
  'organization.deleted': { name: string; slug: string }
  'organization.ownership_transferred': { from: string; to: string }
  /**
   * Every way a membership is created fires this one event: a direct add, an accepted
   * invitation (`invitationId`), creating an organization (its owner) and a personal
   * organization (`via`).
   */
  'member.added': {
    role: string
    via: 'direct' | 'invitation' | 'organization' | 'personal' | 'domain' | 'join_request' | 'link'
    invitationId?: string
    /** `via: 'domain'`: the verified domain the user joined through. */
    domain?: string
    joinRequestId?: string
    linkId?: string
  }
  'member.updated': { role: Change<string> }
  'member.removed': { role: string; revokedApiKeys?: number }
  'member.left': { role: string }
  'invitation.created': { email: string; role: string; teamIds?: string[] }
  'invitation.resent': { expiresAt: string }
  'invitation.revoked': { email: string }
  'invitation.accepted': { role: string; teamIds?: string[] }
  'invitation.declined': JsonObject
  'apikey.created': { name: string; role: string | null; permissions: string[] }
  'apikey.revoked': { name: string }
  'team.created': { name: string; slug: string }
  /** Each changed field `{ from, to }`. */
  'team.updated': JsonObject
  'team.deleted': { name: string; slug: string; memberCount: number }
  'team_member.added': { teamId: string; role: string }
  'team_member.updated': { teamId: string; role: Change<string> }
  'team_member.removed': { teamId: string; role: string }
  'role.created': { key: string; permissions: string[]; shadowsSystemRole: boolean }
  'role.updated': {
    key: string
    name?: Change<string>
    description?: Change<string | null>
    permissions?: Change<string[]>
  }
  'role.deleted': {
    key: string
    reassignedTo?: string
    reassignedMembers?: number
    /** API keys holding the role, revoked with it. */
    revokedApiKeys?: number
    /** Pending invitations granting the role, revoked with it. */
    revokedInvitations?: number
    /** Invitation links granting the role, revoked with it. */
    revokedInvitationLinks?: number
    /** Domains granting the role, closed (enrollment `none`, the default role) with it. */
    closedDomains?: number
  }
  'domain.added': { domain: string }
  'domain.verified': { domain: string }
  'domain.updated': { domain: string; enrollment?: Change<'none' | 'suggest' | 'auto'>; role?: Change<string> }
  'domain.removed': { domain: string; status: 'pending' | 'verified' }
  'join_request.created': { userId: string; domain: string }
  'join_request.approved': { userId: string; role: string }
  'join_request.denied': { userId: string }
  'join_request.withdrawn': { userId: string }
  'invitation_link.created': { role: string; expiresAt?: string; maxUses?: number; domain?: string }
  'invitation_link.revoked': { uses: number }
}

export type OrgkitEventAction = keyof OrgkitEventMap

/** One event, typed by its action. */
export type OrgkitEvent<A extends OrgkitEventAction = OrgkitEventAction> = A extends OrgkitEventAction
  ? Omit<AuditEventRecord, 'action' | 'changes'> & { action: A; changes: OrgkitEventMap[A] }
  : never

/**
 * What a `before` hook receives besides the event: the storage's handle on the mutation's
 * transaction (a Kysely `Transaction` with `kyselyStorage`). Writes made through it commit or
 * roll back with the mutation; writes made any other way do not.
 */
export interface HookContext<Transaction = unknown> {
  transaction: Transaction
}

/** A `before` hook: throwing vetoes the operation (nothing is written). */
export type BeforeHook<A extends OrgkitEventAction, Transaction = unknown> = (
  event: OrgkitEvent<A>,
  context: HookContext<Transaction>,
) => void | Promise<void>

export type BeforeHooks<Transaction = unknown> = { [A in OrgkitEventAction]?: BeforeHook<A, Transaction> }

export interface HookRunner {
  add<A extends OrgkitEventAction>(action: A, hook: BeforeHook<A>): () => void
  /** Runs the hooks of `event.action` in the order they were added; the first throw vetoes. */
  run(event: AuditEventRecord, context: HookContext): Promise<void>
  /** Whether a hook is registered for `action` now. */
  has(action: string): boolean
}

/** The action names, for checking what a host passes at run time. */
export const EVENT_ACTIONS: readonly OrgkitEventAction[] = [
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'organization.ownership_transferred',
  'member.added',
  'member.updated',
  'member.removed',
  'member.left',
  'invitation.created',
  'invitation.resent',
  'invitation.revoked',
  'invitation.accepted',
  'invitation.declined',
  'apikey.created',
  'apikey.revoked',
  'team.created',
  'team.updated',
  'team.deleted',
  'team_member.added',
  'team_member.updated',
  'team_member.removed',
  'role.created',
  'role.updated',
  'role.deleted',
  'domain.added',
  'domain.verified',
  'domain.updated',
  'domain.removed',
  'join_request.created',
  'join_request.approved',
  'join_request.denied',
  'join_request.withdrawn',
  'invitation_link.created',
  'invitation_link.revoked',
]

type StoredHook = (event: AuditEventRecord, context: HookContext) => void | Promise<void>

export function createHookRunner(initial: BeforeHooks = {}): HookRunner {
  const hooks = new Map<string, StoredHook[]>()
  const add = (action: string, hook: unknown) => {
    if (!EVENT_ACTIONS.includes(action as OrgkitEventAction)) {
      throw new TypeError(
        `@orgkit/core: "${action}" is not an orgkit event; hooks take one of ${EVENT_ACTIONS.join(', ')}`,
      )
    }
    if (typeof hook !== 'function')
      throw new TypeError(`@orgkit/core: the before hook for "${action}" must be a function`)
    const list = hooks.get(action) ?? []
    hooks.set(action, list)
    const entry = hook as StoredHook
    list.push(entry)
    return () => {
      const at = list.indexOf(entry)
      if (at !== -1) list.splice(at, 1)
    }
  }
  for (const [action, hook] of Object.entries(initial)) if (hook !== undefined) add(action, hook)
  return {
    add: (action, hook) => add(action, hook),
    has: (action) => (hooks.get(action)?.length ?? 0) > 0,
    async run(event, context) {
      const list = hooks.get(event.action)
      if (list === undefined) return
      for (const hook of [...list]) {
        // A frozen copy: a hook reads the event, it cannot edit what gets written.
        await hook(Object.freeze({ ...event, changes: structuredClone(event.changes) }), context)
      }
    },
  }
}
