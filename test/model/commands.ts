/**
 * The operations of the model-based test, as fast-check commands. Each one names what it
 * acts on by small indices (the nth user, organization, team, invitation, key of the
 * sequence so far), so that shrinking keeps sequences meaningful; `check` skips a command
 * whose index has nothing to point at yet.
 *
 * A command's `run` asks the model what should happen (`expect`), makes the call through
 * the core or HTTP, compares, applies a success to the model, checks that what came back
 * belongs to the addressed organization, and then checks the invariants (`invariants.ts`).
 */
import fc from 'fast-check'
import { checkInvariants, type Real } from './invariants'
import {
  assignable,
  authenticate,
  authorize,
  decide,
  dropMember,
  type Expected,
  emailDomainOf,
  expand,
  holds,
  INVITATION_TTL_MS,
  invitationExpired,
  keyPermissions,
  type Model,
  type ModelActor,
  type ModelInvitation,
  type ModelKey,
  type ModelOrg,
  type ModelTeam,
  type ModelUser,
  mayGrant,
  modelCan,
  OWNER,
  orgOf,
  ownerRemains,
  PERMISSIONS,
  type PermissionSet,
  refuse,
  requireUser,
  roleExists,
  rolePermissions,
  SYSTEM_ROLES,
  TEAM_ROLES,
} from './model'
import type { Caller, Channel, Driver, Outcome } from './system'

// ── What commands point at ──────────────────────────────────────────────────────────

/**
 * Who acts, relative to what the command addresses, so that sequences reach deep states
 * rather than being refused at the door: an owner, admin or plain member of the addressed
 * organization, a lead of the addressed team, the addressee of the invitation, any user
 * (u5 starts outside every organization), an API key of the organization, or any API key.
 * When nobody fits, the nth user acts instead.
 */
export type ActorKind =
  | 'owner'
  | 'admin'
  | 'member'
  | 'lead'
  | 'invitee'
  | 'requester'
  | 'domainUser'
  | 'user'
  | 'orgKey'
  | 'key'
export interface ActorRef {
  kind: ActorKind
  n: number
}

export interface Scope {
  org?: ModelOrg | undefined
  team?: ModelTeam | undefined
  invitation?: ModelInvitation | undefined
  /** The user who asked to join, for `requester`. */
  requester?: string | undefined
}
export type Who = (scope: Scope) => ModelActor | undefined

export const pick = <T>(items: readonly T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[index % items.length]

function actorOf(model: Model, ref: ActorRef, scope: Scope): ModelActor | undefined {
  const { org, team, invitation } = scope
  const users = (ids: Iterable<string>) => model.users.filter((u) => [...ids].includes(u.id))
  let candidates: ModelActor[] = []
  const asUsers = (list: typeof model.users) => list.map((user): ModelActor => ({ kind: 'user', user }))
  switch (ref.kind) {
    case 'owner':
    case 'admin':
    case 'member': {
      if (!org) break
      const wanted = (role: string) => (ref.kind === 'member' ? role !== OWNER && role !== 'admin' : role === ref.kind)
      candidates = asUsers(users([...org.members].filter(([, role]) => wanted(role)).map(([id]) => id)))
      break
    }
    case 'lead': {
      const teams = team ? [team] : model.teams.filter((t) => t.orgId === org?.id)
      const leads = teams.flatMap((t) => [...t.members].filter(([, role]) => role === 'lead').map(([id]) => id))
      candidates = asUsers(users(leads))
      break
    }
    case 'invitee':
      candidates = asUsers(model.users.filter((u) => u.email === invitation?.email))
      break
    case 'requester':
      candidates = asUsers(model.users.filter((u) => u.id === scope.requester))
      break
    case 'domainUser':
      // Users with an address on one of the sequence's domains, verified or not.
      return {
        kind: 'user',
        user: pick(
          model.users.filter((u) => model.domainNames.includes(emailDomainOf(u.email))),
          ref.n,
        )!,
      }
    case 'orgKey':
      candidates = model.keys.filter((k) => k.orgId === org?.id).map((key): ModelActor => ({ kind: 'key', key }))
      break
    case 'key':
      return model.keys.length === 0 ? undefined : { kind: 'key', key: pick(model.keys, ref.n)! }
    case 'user':
      break
  }
  if (candidates.length === 0 && org && ref.kind !== 'user') candidates = asUsers(users(org.members.keys()))
  return pick(candidates, ref.n) ?? { kind: 'user', user: pick(model.users, ref.n)! }
}

/** A team, invitation or key: mostly one of the addressed organization, sometimes any (another's). */
export interface LocalRef {
  n: number
  foreign: boolean
}

export function local<T extends { orgId: string }>(
  all: readonly T[],
  org: ModelOrg | undefined,
  ref: LocalRef,
): T | undefined {
  if (ref.foreign || !org) return pick(all, ref.n)
  return (
    pick(
      all.filter((item) => item.orgId === org.id),
      ref.n,
    ) ?? pick(all, ref.n)
  )
}

/**
 * A user the command acts on: mostly a member of the organization (or of the team), or one
 * who is not, as the command calls for; sometimes anyone; for invitations, a stranger.
 */
export interface TargetRef {
  n: number
  among: 'members' | 'creators' | 'others' | 'team' | 'anyone' | 'stranger'
}

export function targetOf(
  model: Model,
  ref: TargetRef,
  org: ModelOrg | undefined,
  team?: ModelTeam,
): ModelUser | undefined {
  const fits = (user: ModelUser) => {
    switch (ref.among) {
      case 'members':
        return org?.members.has(user.id) ?? false
      case 'creators':
        // Members whose live keys or pending invitations depend on their role.
        return (
          model.keys.some((k) => k.orgId === org?.id && k.createdBy === user.id && !k.revoked) ||
          model.invitations.some((i) => i.orgId === org?.id && i.invitedBy === user.id && i.status === 'pending')
        )
      case 'others':
        return !(org?.members.has(user.id) ?? false)
      case 'team':
        return team?.members.has(user.id) ?? false
      default:
        return true
    }
  }
  return pick(model.users.filter(fits), ref.n) ?? pick(model.users, ref.n)
}

/** The organization and user a member command addresses, for its label. */
function memberLabel(model: Model, command: { org: number; target: TargetRef }): string {
  const org = pick(model.orgs, command.org)
  return `${orgName(model, org!)} u${model.users.indexOf(targetOf(model, command.target, org)!)}`
}

function callerOf(actor: ModelActor): Caller {
  return actor.kind === 'user'
    ? { kind: 'user', userId: actor.user.id, email: actor.user.email, emailVerified: actor.user.verified }
    : { kind: 'key', secret: actor.key.secret }
}

function actorName(model: Model, actor: ModelActor): string {
  if (actor.kind === 'user') return `u${model.users.indexOf(actor.user)}`
  return `key${model.keys.indexOf(actor.key)}`
}

/** An organization by id or by slug: both must address it alike. */
export function orgRef(org: ModelOrg, bySlug: boolean): string {
  return bySlug ? org.slug : org.id
}

export const orgName = (model: Model, org: ModelOrg) => `org${model.orgs.indexOf(org)}`
const teamName = (model: Model, team: ModelTeam) => `team${model.teams.indexOf(team)}`

/** Fails the step when the real answer is not what the model allows. */
function compare(step: string, expected: Expected, outcome: Outcome): void {
  if (expected.ok && outcome.ok) return
  if (!expected.ok && !outcome.ok && (expected.codes as string[]).includes(outcome.code)) return
  const want = expected.ok ? 'success' : expected.codes.join(' | ')
  const got = outcome.ok
    ? `success ${JSON.stringify(outcome.value)?.slice(0, 300)}`
    : `${outcome.code} (${outcome.message})`
  throw new Error(`${step}: the model expects ${want}, the system answered ${got}`)
}

/** Every record an operation returns must belong to the organization it addressed. */
export function belongs(step: string, value: unknown, field: string, want: string): void {
  const got = (value as Record<string, unknown> | undefined)?.[field]
  if (got !== want) throw new Error(`${step}: returned ${field} ${String(got)}, expected ${want}`)
}

/** How often each command ran and what it answered, printed after a run: a suite whose steps all fail proves little. */
/** Milliseconds spent in calls (per channel) and in invariant checks, printed after a run. */
export const timing = new Map<string, number>()
export const stats = new Map<string, Map<string, number>>()
function tally(command: string, outcome: Outcome | 'ok'): void {
  const answers = stats.get(command) ?? new Map<string, number>()
  const answer = outcome === 'ok' || outcome.ok ? 'ok' : outcome.code
  answers.set(answer, (answers.get(answer) ?? 0) + 1)
  stats.set(command, answers)
}

export function formatStats(): string {
  return [...stats]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([command, answers]) => `  ${command}: ${[...answers].map(([answer, n]) => `${answer} ${n}`).join(', ')}`)
    .join('\n')
}

// ── The base of every command ──────────────────────────────────────────────────────

export abstract class Step implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly via: Channel,
    readonly actor: ActorRef,
  ) {}

  /** Whether the step may change domains, join requests or links: their lists are then checked too. */
  readonly enrollment: boolean = false

  /** What the command resolves to in this model, or `null` when it has nothing to act on. */
  protected abstract bind(model: Model, who: Who): Bound | null
  abstract label(model: Model): string

  private bound(model: Model): (Bound & { scope: Scope }) | null {
    let seen: Scope = {}
    const bound = this.bind(model, (scope) => {
      seen = scope
      return actorOf(model, this.actor, scope)
    })
    return bound && { ...bound, scope: seen }
  }

  check(model: Readonly<Model>): boolean {
    return this.bound(model as Model) !== null
  }

  async run(model: Model, real: Real): Promise<void> {
    const bound = this.bound(model)!
    const { actor } = bound
    const step = `${this.label(model)} [${actorName(model, actor)} via ${this.via === 'http' ? real.adapter : 'core'}]`
    const orgsBefore = model.orgs.length
    const expected = decide(() => bound.expect())
    const t0 = performance.now()
    const outcome = await bound.call(real.drivers[this.via], callerOf(actor))
    timing.set(`calls via ${this.via}`, (timing.get(`calls via ${this.via}`) ?? 0) + performance.now() - t0)
    tally(this.constructor.name, outcome)
    compare(step, expected, outcome)
    // A refusal changes nothing: the model stays as it was, and the invariants compare it.
    if (outcome.ok) bound.apply(outcome.value, step)
    // The organizations the step addressed; the others are checked at the end of the sequence.
    const { org, team, invitation } = bound.scope
    const touched = new Set<string>()
    for (const id of [org?.id, team?.orgId, invitation?.orgId, actor.kind === 'key' ? actor.key.orgId : undefined]) {
      if (id !== undefined) touched.add(id)
    }
    for (const created of model.orgs.slice(orgsBefore)) touched.add(created.id)
    const t1 = performance.now()
    await checkInvariants(model, real, step, touched, this.enrollment)
    timing.set('invariant checks', (timing.get('invariant checks') ?? 0) + performance.now() - t1)
  }

  toString(): string {
    return `${this.constructor.name}(${JSON.stringify({ via: this.via, actor: this.actor, ...this.args() })})`
  }

  protected abstract args(): Record<string, unknown>
}

/** One command bound to a model state: its decision, its call and its effect. */
export interface Bound {
  actor: ModelActor
  /** Throws a refusal (`refuse`) for the error the model expects; returns for success. */
  expect(): void
  call(driver: Driver, caller: Caller): Promise<Outcome>
  apply(value: unknown, step: string): void
}

/**
 * A step the test takes on the world around the system, not a call to it: the clock moves,
 * a DNS record is published. It changes what the next calls answer, so the model and the
 * system see it alike; nothing is checked.
 */
export abstract class WorldStep implements fc.AsyncCommand<Model, Real> {
  /** What to do to the model's world, or `null` when there is nothing to do. */
  protected abstract change(model: Model): (() => void) | null
  protected abstract args(): Record<string, unknown>

  check(model: Readonly<Model>): boolean {
    return this.change(model as Model) !== null
  }

  async run(model: Model): Promise<void> {
    this.change(model)!()
    tally(this.constructor.name, 'ok')
  }

  toString(): string {
    return `${this.constructor.name}(${JSON.stringify(this.args())})`
  }
}

/** Moves the shared clock: by a step, or to the instant a pending invitation or a link expires (or 1 ms before). */
class AdvanceTime extends WorldStep {
  constructor(readonly by: { ms: number } | { to: 'invitation' | 'link'; n: number; offset: number }) {
    super()
  }
  args = () => this.by
  change(model: Model): (() => void) | null {
    let next: number | undefined
    if ('ms' in this.by) next = model.clock.now + this.by.ms
    else {
      const instants =
        this.by.to === 'invitation'
          ? model.invitations.filter((i) => i.status === 'pending').map((i) => i.expiresAt)
          : model.links.flatMap((link) => (link.expiresAt === null ? [] : [link.expiresAt]))
      const at = pick(instants, this.by.n)
      next = at === undefined ? undefined : at + this.by.offset
    }
    if (next === undefined || next <= model.clock.now) return null
    const to = next
    return () => {
      model.clock.now = to
    }
  }
}

// ── Organizations and members ──────────────────────────────────────────────────────

export const MAX_ORGS = 4

class CreateOrganization extends Step {
  label = (model: Model) => `createOrganization #${model.orgs.length}`
  args = () => ({})
  bind(model: Model, who: Who): Bound | null {
    if (model.orgs.length >= MAX_ORGS) return null
    const actor = who({})
    if (!actor) return null
    let user = ''
    return {
      actor,
      expect: () => {
        user = requireUser(model, actor).id
      },
      call: (d, c) => d.createOrganization(c, `Model ${model.namespace} ${model.orgs.length}`),
      apply: (value) => {
        const org = value as { id: string; slug: string; role: string }
        model.orgs.push({ id: org.id, slug: org.slug, members: new Map([[user, OWNER]]), custom: new Map() })
      },
    }
  }
}

class DeleteOrganization extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly bySlug: boolean,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, bySlug: this.bySlug })
  label = (model: Model) => `deleteOrganization ${orgName(model, pick(model.orgs, this.org)!)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    if (!org) return null
    const actor = who({ org })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'organization.delete')
      },
      call: (d, c) => d.deleteOrganization(c, orgRef(org, this.bySlug)),
      // Everything it owns goes with it, in one transaction; the invariants then ask that its
      // id answers not_found and its keys no longer authenticate.
      apply: () => {
        model.orgs.splice(model.orgs.indexOf(org), 1)
        model.teams = model.teams.filter((team) => team.orgId !== org.id)
        model.invitations = model.invitations.filter((invitation) => invitation.orgId !== org.id)
        model.domains = model.domains.filter((domain) => domain.orgId !== org.id)
        model.joinRequests = model.joinRequests.filter((request) => request.orgId !== org.id)
        model.links = model.links.filter((link) => link.orgId !== org.id)
        for (const key of model.keys) if (key.orgId === org.id) model.deleted.keySecrets.push(key.secret)
        model.keys = model.keys.filter((key) => key.orgId !== org.id)
        model.deleted.orgIds.push(org.id)
      },
    }
  }
}

class AddMember extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly bySlug: boolean,
    readonly target: TargetRef,
    readonly role: string,
    /** How the caller names the user: the directory resolves a username or an email. */
    readonly by: 'userId' | 'username' | 'email' = 'userId',
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, bySlug: this.bySlug, target: this.target, role: this.role, by: this.by })
  label = (model: Model) => `addMember ${memberLabel(model, this)} by ${this.by} as ${this.role}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const target = targetOf(model, this.target, org)
    if (!org || !target) return null
    const actor = who({ org })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'members.add')
        mayGrant(access, this.role, assignable(org, this.role))
        if (org.members.has(target.id)) refuse('conflict')
      },
      call: (d, c) =>
        d.addMember(
          c,
          orgRef(org, this.bySlug),
          this.by === 'username'
            ? { username: target.username }
            : this.by === 'email'
              ? { email: target.email.toUpperCase() }
              : { userId: target.id },
          this.role,
        ),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        belongs(step, value, 'userId', target.id)
        org.members.set(target.id, this.role)
      },
    }
  }
}

class UpdateMember extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly target: TargetRef,
    readonly role: string,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, target: this.target, role: this.role })
  label = (model: Model) => `updateMember ${memberLabel(model, this)} to ${this.role}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const target = targetOf(model, this.target, org)
    if (!org || !target) return null
    const actor = who({ org })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'members.update')
        const current = org.members.get(target.id)
        if (current === undefined) return refuse('not_found')
        const next = assignable(org, this.role)
        if (current === this.role) return
        mayGrant(access, current, rolePermissions(org, current))
        mayGrant(access, this.role, next)
        ownerRemains(org, current)
      },
      call: (d, c) => d.updateMember(c, org.id, target.id, this.role),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        belongs(step, value, 'role', this.role)
        org.members.set(target.id, this.role)
      },
    }
  }
}

class RemoveMember extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly target: TargetRef,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, target: this.target })
  label = (model: Model) => `removeMember ${memberLabel(model, this)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const target = targetOf(model, this.target, org)
    if (!org || !target) return null
    const actor = who({ org })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'members.remove')
        const current = org.members.get(target.id)
        if (current === undefined) return refuse('not_found')
        mayGrant(access, current, rolePermissions(org, current))
        ownerRemains(org, current)
      },
      call: (d, c) => d.removeMember(c, org.id, target.id),
      apply: () => dropMember(model, org, target.id),
    }
  }
}

class Leave extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org })
  label = (model: Model) => `leave ${orgName(model, pick(model.orgs, this.org)!)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    if (!org) return null
    const actor = who({ org })
    if (!actor) return null
    let userId = ''
    return {
      actor,
      expect: () => {
        userId = requireUser(model, actor).id
        authorize(model, actor, org, 'member')
        ownerRemains(org, org.members.get(userId)!)
      },
      call: (d, c) => d.leave(c, org.id),
      apply: () => dropMember(model, org, userId),
    }
  }
}

class TransferOwnership extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly target: TargetRef,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, target: this.target })
  label = (model: Model) =>
    `transferOwnership ${orgName(model, pick(model.orgs, this.org)!)} to u${model.users.indexOf(targetOf(model, this.target, pick(model.orgs, this.org))!)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const target = targetOf(model, this.target, org)
    if (!org || !target) return null
    const actor = who({ org })
    if (!actor) return null
    let userId = ''
    return {
      actor,
      expect: () => {
        userId = requireUser(model, actor).id
        authorize(model, actor, org, 'owner')
        if (target.id === userId) refuse('validation_failed')
        if (!org.members.has(target.id)) refuse('not_found')
      },
      call: (d, c) => d.transferOwnership(c, org.id, target.id),
      apply: (value, step) => {
        belongs(step, value, 'id', org.id)
        org.members.set(target.id, OWNER)
        org.members.set(userId, 'admin')
      },
    }
  }
}

// ── Invitations ────────────────────────────────────────────────────────────────────

class CreateInvitation extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    /** A user's index, or past the last user: an address nobody has yet. */
    readonly invitee: TargetRef,
    readonly role: string,
    readonly team: LocalRef | null,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, invitee: this.invitee, role: this.role, team: this.team })
  label = (model: Model) =>
    `createInvitation ${orgName(model, pick(model.orgs, this.org)!)} for ${this.invitee.among === 'stranger' ? 'stranger' : `u${model.users.indexOf(targetOf(model, this.invitee, pick(model.orgs, this.org))!)}`} as ${this.role}${this.team === null ? '' : ` into team${model.teams.indexOf(local(model.teams, pick(model.orgs, this.org), this.team)!)}`}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const team = this.team === null ? null : local(model.teams, pick(model.orgs, this.org), this.team)
    if (!org || team === undefined) return null
    const actor = who({ org, team: team ?? undefined })
    if (!actor) return null
    const invitee = this.invitee.among === 'stranger' ? undefined : targetOf(model, this.invitee, org)
    const email = invitee?.email ?? model.strangerEmail
    let invitedBy = ''
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'invitations.create')
        mayGrant(access, this.role, assignable(org, this.role))
        if (team && team.orgId !== org.id) refuse('not_found')
        if (invitee && org.members.has(invitee.id)) refuse('conflict')
        // Only an unexpired pending invitation holds the address.
        if (pendingFor(model, org, email).some((i) => !invitationExpired(model, i))) refuse('conflict')
        invitedBy = actor.kind === 'user' ? actor.user.id : actor.key.createdBy
      },
      call: (d, c) => d.createInvitation(c, org.id, email, this.role, team ? [team.id] : []),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        const created = value as { id: string; token: string; expiresAt: string | Date }
        sameInstant(step, 'expiresAt', created.expiresAt, model.clock.now + INVITATION_TTL_MS)
        // The one past its date it replaces is expired for good.
        for (const old of pendingFor(model, org, email)) old.status = 'expired'
        model.invitations.push({
          id: created.id,
          token: created.token,
          orgId: org.id,
          email,
          role: this.role,
          teamIds: team ? [team.id] : [],
          invitedBy,
          status: 'pending',
          expiresAt: model.clock.now + INVITATION_TTL_MS,
        })
      },
    }
  }
}

/** The organization's invitations stored `pending` for `email` (one at most, perhaps past its date). */
function pendingFor(model: Model, org: ModelOrg, email: string): ModelInvitation[] {
  return model.invitations.filter((i) => i.orgId === org.id && i.email === email && i.status === 'pending')
}

/** A date the system answered (a `Date` from the core, ISO text over HTTP) must be the model's instant. */
export function sameInstant(step: string, field: string, got: unknown, want: number | null): void {
  const instant = got === null || got === undefined ? null : new Date(got as string).getTime()
  if (instant !== want) {
    throw new Error(
      `${step}: ${field} is ${String(got)}, the model says ${want === null ? null : new Date(want).toISOString()}`,
    )
  }
}

/** Why an invitation that is no longer pending cannot change: revoked, used, or expired. */
function settled(invitation: ModelInvitation): void {
  if (invitation.status === 'revoked') refuse('invitation_revoked')
  if (invitation.status === 'expired') refuse('invitation_expired')
  if (invitation.status !== 'pending') refuse('invitation_used')
}

/**
 * Accepting and declining: addressed to the caller, by token or by public id; accepting
 * also needs the address verified. A pending invitation past its date is refused, and, as
 * every refusal, changes nothing: it stays pending, so a resend still revives it.
 */
function addressed(model: Model, actor: ModelActor, invitation: ModelInvitation, byToken: boolean, accepting: boolean) {
  const user = requireUser(model, actor)
  if (user.email !== invitation.email) refuse(byToken ? 'email_mismatch' : 'not_found')
  if (accepting && !user.verified) refuse('email_unverified')
  if (invitation.status === 'pending' && invitationExpired(model, invitation)) refuse('invitation_expired')
  settled(invitation)
  return user
}

class AcceptInvitation extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly invitation: number,
    readonly byToken: boolean,
  ) {
    super(via, actor)
  }
  args = () => ({ invitation: this.invitation, byToken: this.byToken })
  label = (model: Model) =>
    `acceptInvitation inv${this.invitation % Math.max(1, model.invitations.length)} by ${this.byToken ? 'token' : 'id'}`
  bind(model: Model, who: Who): Bound | null {
    const invitation = pick(model.invitations, this.invitation)
    if (!invitation) return null
    const actor = who({ invitation })
    if (!actor) return null
    const org = orgOf(model, invitation.orgId)
    let userId = ''
    return {
      actor,
      expect: () => {
        userId = addressed(model, actor, invitation, this.byToken, true).id
        // At accept time the inviter must still be able to grant the role (SPEC §2 rule 2).
        const inviterRole = org.members.get(invitation.invitedBy)
        if (inviterRole === undefined || !roleExists(org, invitation.role)) return refuse('forbidden')
        if (invitation.role === OWNER && inviterRole !== OWNER) refuse('forbidden')
        const ceiling = rolePermissions(org, inviterRole)
        for (const permission of rolePermissions(org, invitation.role)) {
          if (!ceiling.has(permission)) refuse('forbidden')
        }
        if (org.members.has(userId)) refuse('conflict')
      },
      call: (d, c) => d.acceptInvitation(c, this.byToken ? { token: invitation.token } : { id: invitation.id }),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        belongs(step, value, 'role', invitation.role)
        invitation.status = 'accepted'
        org.members.set(userId, invitation.role)
        for (const team of model.teams) if (invitation.teamIds.includes(team.id)) team.members.set(userId, 'member')
      },
    }
  }
}

class DeclineInvitation extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly invitation: number,
    readonly byToken: boolean,
  ) {
    super(via, actor)
  }
  args = () => ({ invitation: this.invitation, byToken: this.byToken })
  label = (model: Model) =>
    `declineInvitation inv${this.invitation % Math.max(1, model.invitations.length)} by ${this.byToken ? 'token' : 'id'}`
  bind(model: Model, who: Who): Bound | null {
    const invitation = pick(model.invitations, this.invitation)
    if (!invitation) return null
    const actor = who({ invitation })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        addressed(model, actor, invitation, this.byToken, false)
      },
      call: (d, c) => d.declineInvitation(c, this.byToken ? { token: invitation.token } : { id: invitation.id }),
      apply: () => {
        invitation.status = 'declined'
      },
    }
  }
}

class RevokeInvitation extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly invitation: LocalRef,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, invitation: this.invitation })
  label = (model: Model) =>
    `revokeInvitation ${orgName(model, pick(model.orgs, this.org)!)} inv${model.invitations.indexOf(local(model.invitations, pick(model.orgs, this.org), this.invitation)!)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const invitation = local(model.invitations, pick(model.orgs, this.org), this.invitation)
    if (!org || !invitation) return null
    const actor = who({ org, invitation })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'invitations.revoke')
        if (invitation.orgId !== org.id) refuse('not_found')
        // Revoking twice is revoking once; anything else no longer pending, or past its date, stays as it is.
        if (invitation.status === 'revoked') return
        if (invitationExpired(model, invitation)) refuse('invitation_expired')
        settled(invitation)
      },
      call: (d, c) => d.revokeInvitation(c, org.id, invitation.id),
      apply: () => {
        invitation.status = 'revoked'
      },
    }
  }
}

class ResendInvitation extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly invitation: LocalRef,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, invitation: this.invitation })
  label = (model: Model) =>
    `resendInvitation ${orgName(model, pick(model.orgs, this.org)!)} inv${model.invitations.indexOf(local(model.invitations, pick(model.orgs, this.org), this.invitation)!)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const invitation = local(model.invitations, pick(model.orgs, this.org), this.invitation)
    if (!org || !invitation) return null
    const actor = who({ org, invitation })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'invitations.create')
        if (invitation.orgId !== org.id) refuse('not_found')
        // Re-issuing is granting again: the resender must be able to grant the role.
        mayGrant(access, invitation.role, rolePermissions(org, invitation.role))
        // A pending one past its date comes back to life; one marked expired is final.
        settled(invitation)
      },
      call: (d, c) => d.resendInvitation(c, org.id, invitation.id),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        belongs(step, value, 'id', invitation.id)
        const resent = value as { token: string; expiresAt: string | Date; expired: boolean }
        invitation.expiresAt = model.clock.now + INVITATION_TTL_MS
        sameInstant(step, 'expiresAt', resent.expiresAt, invitation.expiresAt)
        if (resent.expired) throw new Error(`${step}: a resent invitation answers expired`)
        // The old token stops working: later accepts by token use the new one.
        invitation.token = resent.token
      },
    }
  }
}

/** What a list call answered, as its ids in order of the model's choosing. */
export function idsOf(value: unknown): string {
  const items = Array.isArray(value) ? value : (value as { data: { id: string }[] }).data
  return (items as { id: string }[])
    .map((item) => item.id)
    .sort()
    .join(' ')
}

/** Fails the step when a list does not hold exactly the model's ids. */
export function sameIds(step: string, what: string, value: unknown, want: Iterable<string>): void {
  const got = idsOf(value)
  const wanted = [...want].sort().join(' ')
  if (got !== wanted) throw new Error(`${step}: ${what} lists [${got}], the model says [${wanted}]`)
}

/**
 * A page an organization lists (`{ data }`), filtered by `status` when given, compared whole
 * with the model's ids: the caller needs `permission`.
 */
export abstract class OrgList extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly status: string | null,
  ) {
    super(via, actor)
  }
  protected abstract readonly permission: string
  protected abstract list(driver: Driver, caller: Caller, orgId: string, status: string | undefined): Promise<Outcome>
  /** The ids the model says the list holds. */
  protected abstract wanted(model: Model, org: ModelOrg): string[]
  args = () => ({ org: this.org, status: this.status })
  label = (model: Model) =>
    `${this.constructor.name} ${orgName(model, pick(model.orgs, this.org)!)} ${this.status ?? 'all'}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    if (!org) return null
    const actor = who({ org })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, this.permission)
      },
      call: (d, c) => this.list(d, c, org.id, this.status ?? undefined),
      apply: (value, step) => sameIds(step, 'the list', value, this.wanted(model, org)),
    }
  }
}

/**
 * An organization's invitations by status: `pending` are those stored pending and not yet
 * past their date, `expired` those marked expired or pending past their date.
 */
class ListInvitations extends OrgList {
  permission = 'invitations.read'
  list = (d: Driver, c: Caller, orgId: string, status: string | undefined) => d.listInvitations(c, orgId, status)
  wanted(model: Model, org: ModelOrg): string[] {
    const listed = (i: ModelInvitation) => {
      const expired = invitationExpired(model, i)
      if (this.status === 'pending') return i.status === 'pending' && !expired
      if (this.status === 'expired') return expired
      return this.status === null || i.status === this.status
    }
    return model.invitations.filter((i) => i.orgId === org.id && listed(i)).map((i) => i.id)
  }
}

/** What a signed-in user lists of their own (any organization), compared whole with the model's ids. */
export abstract class CallerList extends Step {
  protected abstract list(driver: Driver, caller: Caller): Promise<Outcome>
  /** The ids the model says the list holds for `user`. */
  protected abstract wanted(model: Model, user: ModelUser): string[]
  args = () => ({})
  label = () => this.constructor.name
  bind(model: Model, who: Who): Bound | null {
    const actor = who({})
    if (!actor) return null
    let user: ModelUser | undefined
    return {
      actor,
      expect: () => {
        user = requireUser(model, actor)
      },
      call: (d, c) => this.list(d, c),
      apply: (value, step) => sameIds(step, 'the list', value, this.wanted(model, user!)),
    }
  }
}

/** `mine`: the pending, unexpired invitations addressed to the caller, in every organization. */
class MyInvitations extends CallerList {
  list = (d: Driver, c: Caller) => d.myInvitations(c)
  wanted = (model: Model, user: ModelUser) =>
    model.invitations
      .filter((i) => i.email === user.email && i.status === 'pending' && !invitationExpired(model, i))
      .map((i) => i.id)
}

/** `me`: an API key's own organization; a user whose host names no current organization has none. */
class Me extends Step {
  label = () => 'permissions me'
  args = () => ({})
  bind(model: Model, who: Who): Bound | null {
    const actor = who({})
    if (!actor) return null
    return {
      actor,
      expect: () => {
        authenticate(model, actor)
        if (actor.kind === 'user') refuse('not_found')
      },
      call: (d, c) => d.permissions(c, 'me'),
      apply: (value, step) => {
        if (actor.kind !== 'key') throw new Error(`${step}: a user without a current organization got an answer`)
        const summary = value as { permissions: string[] }
        const want = keyPermissions(model, actor.key) ?? new Set<string>()
        const sorted = (items: Iterable<string>) => [...items].sort().join(' ')
        if (sorted(summary.permissions) !== sorted(want)) {
          throw new Error(`${step}: permissions ${sorted(summary.permissions)}, the model says ${sorted(want)}`)
        }
      },
    }
  }
}

// ── Teams ──────────────────────────────────────────────────────────────────────────

export const MAX_TEAMS = 6

class CreateTeam extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org })
  label = (model: Model) => `createTeam in ${orgName(model, pick(model.orgs, this.org)!)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    if (!org || model.teams.length >= MAX_TEAMS) return null
    const actor = who({ org })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'teams.create')
      },
      call: (d, c) => d.createTeam(c, org.id, `Team ${model.teams.length}`),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        model.teams.push({ id: (value as { id: string }).id, orgId: org.id, members: new Map() })
      },
    }
  }
}

/** The organization, team and user a team-member command addresses (any may be missing). */
function teamMemberRefs(model: Model, command: { org: number; team: LocalRef; target: TargetRef }) {
  const org = pick(model.orgs, command.org)
  const team = local(model.teams, org, command.team)
  return { org, team, target: targetOf(model, command.target, org, team) }
}

function teamMemberLabel(model: Model, command: { org: number; team: LocalRef; target: TargetRef }): string {
  const { org, team, target } = teamMemberRefs(model, command)
  return `${orgName(model, org!)} ${teamName(model, team!)} u${model.users.indexOf(target!)}`
}

/** The caller holds every permission of the team role (through its organization or team role). */
export function holdsAll(access: ReturnType<typeof authorize>, permissions: PermissionSet): void {
  for (const permission of permissions) if (!holds(access, permission)) refuse('forbidden')
}

class AddTeamMember extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly team: LocalRef,
    readonly target: TargetRef,
    readonly role: string,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, team: this.team, target: this.target, role: this.role })
  label = (model: Model) => `addTeamMember ${teamMemberLabel(model, this)} as ${this.role}`
  bind(model: Model, who: Who): Bound | null {
    const { org, team, target } = teamMemberRefs(model, this)
    if (!org || !team || !target) return null
    const actor = who({ org, team })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'teams.update', team)
        holdsAll(access, TEAM_ROLES.get(this.role)!)
        if (!org.members.has(target.id)) refuse('not_found')
        if (team.members.has(target.id)) refuse('conflict')
      },
      call: (d, c) => d.addTeamMember(c, org.id, team.id, target.id, this.role),
      apply: (value, step) => {
        belongs(step, value, 'teamId', team.id)
        team.members.set(target.id, this.role)
      },
    }
  }
}

class UpdateTeamMember extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly team: LocalRef,
    readonly target: TargetRef,
    readonly role: string,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, team: this.team, target: this.target, role: this.role })
  label = (model: Model) => `updateTeamMember ${teamMemberLabel(model, this)} to ${this.role}`
  bind(model: Model, who: Who): Bound | null {
    const { org, team, target } = teamMemberRefs(model, this)
    if (!org || !team || !target) return null
    const actor = who({ org, team })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'teams.update', team)
        const current = team.members.get(target.id)
        if (current === undefined) return refuse('not_found')
        if (current === this.role) return
        holdsAll(access, TEAM_ROLES.get(current)!)
        holdsAll(access, TEAM_ROLES.get(this.role)!)
      },
      call: (d, c) => d.updateTeamMember(c, org.id, team.id, target.id, this.role),
      apply: (value, step) => {
        belongs(step, value, 'teamId', team.id)
        team.members.set(target.id, this.role)
      },
    }
  }
}

class DeleteTeam extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly team: LocalRef,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, team: this.team })
  label = (model: Model) =>
    `deleteTeam ${orgName(model, pick(model.orgs, this.org)!)} team${model.teams.indexOf(local(model.teams, pick(model.orgs, this.org), this.team)!)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const team = local(model.teams, pick(model.orgs, this.org), this.team)
    if (!org || !team) return null
    const actor = who({ org, team })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'teams.delete', team)
      },
      call: (d, c) => d.deleteTeam(c, org.id, team.id),
      // The team goes with its memberships; an invitation naming it later joins no team.
      apply: () => {
        model.teams.splice(model.teams.indexOf(team), 1)
      },
    }
  }
}

class RemoveTeamMember extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly team: LocalRef,
    readonly target: TargetRef,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, team: this.team, target: this.target })
  label = (model: Model) => `removeTeamMember ${teamMemberLabel(model, this)}`
  bind(model: Model, who: Who): Bound | null {
    const { org, team, target } = teamMemberRefs(model, this)
    if (!org || !team || !target) return null
    const actor = who({ org, team })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'teams.update', team)
        const current = team.members.get(target.id)
        if (current === undefined) return refuse('not_found')
        holdsAll(access, TEAM_ROLES.get(current)!)
      },
      call: (d, c) => d.removeTeamMember(c, org.id, team.id, target.id),
      apply: () => {
        team.members.delete(target.id)
      },
    }
  }
}

// ── Custom roles ───────────────────────────────────────────────────────────────────

class CreateRole extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly key: string,
    readonly grants: string[],
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, key: this.key, grants: this.grants })
  label = (model: Model) =>
    `createRole ${orgName(model, pick(model.orgs, this.org)!)} ${this.key} [${this.grants.join(' ')}]`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    if (!org) return null
    const actor = who({ org })
    if (!actor) return null
    const permissions = expand(this.grants)
    return {
      actor,
      expect: () => {
        authenticate(model, actor)
        if (this.key === OWNER) refuse('forbidden')
        const access = authorize(model, actor, org, 'roles.create')
        if (org.custom.has(this.key)) refuse('conflict')
        holdsAll(access, permissions)
        // A shadow changes what every holder of the system role can do.
        const shadowed = SYSTEM_ROLES.get(this.key)
        if (shadowed) mayGrant(access, this.key, shadowed)
      },
      call: (d, c) => d.createRole(c, org.id, this.key, this.grants),
      apply: () => {
        org.custom.set(this.key, permissions)
      },
    }
  }
}

/** `*existing` stands for a custom role the organization has (its first), else `deployer`. */
export const EXISTING = '*existing'
function roleKeyIn(org: ModelOrg | undefined, key: string): string {
  if (key !== EXISTING) return key
  return [...(org?.custom.keys() ?? [])][0] ?? 'deployer'
}

/** The custom role `key` to change: `owner` never, a system role without a shadow is configured, not edited. */
function customRole(org: ModelOrg, key: string): PermissionSet {
  if (key === OWNER) refuse('forbidden')
  const role = org.custom.get(key)
  if (role) return role
  return refuse(SYSTEM_ROLES.has(key) ? 'conflict' : 'not_found')
}

class UpdateRole extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly roleKey: string,
    readonly grants: string[],
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, key: this.roleKey, grants: this.grants })
  label = (model: Model) =>
    `updateRole ${orgName(model, pick(model.orgs, this.org)!)} ${roleKeyIn(pick(model.orgs, this.org), this.roleKey)} [${this.grants.join(' ')}]`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    if (!org) return null
    const actor = who({ org })
    if (!actor) return null
    const key = roleKeyIn(org, this.roleKey)
    const permissions = expand(this.grants)
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'roles.update')
        mayGrant(access, key, customRole(org, key))
        holdsAll(access, permissions)
      },
      call: (d, c) => d.updateRole(c, org.id, key, this.grants),
      apply: () => {
        org.custom.set(key, permissions)
      },
    }
  }
}

class DeleteRole extends Step {
  // Links and domains granting the role go with it.
  override readonly enrollment = true
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly roleKey: string,
    readonly reassignTo: string | null,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, key: this.roleKey, reassignTo: this.reassignTo })
  label = (model: Model) =>
    `deleteRole ${orgName(model, pick(model.orgs, this.org)!)} ${roleKeyIn(pick(model.orgs, this.org), this.roleKey)}${this.reassignTo === null ? '' : ` reassigning to ${this.reassignTo}`}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    if (!org) return null
    const actor = who({ org })
    if (!actor) return null
    const key = roleKeyIn(org, this.roleKey)
    const reassignTo = this.reassignTo
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'roles.delete')
        mayGrant(access, key, customRole(org, key))
        const holders = [...org.members.values()].filter((role) => role === key).length
        if (reassignTo !== null) {
          if (reassignTo === key) refuse('validation_failed')
          mayGrant(access, reassignTo, assignable(org, reassignTo))
        } else if (!SYSTEM_ROLES.has(key) && holders > 0) {
          // A shadow's holders fall back to the system role; anyone else's need a new role.
          refuse('conflict')
        }
      },
      call: (d, c) => d.deleteRole(c, org.id, key, reassignTo ?? undefined),
      apply: () => {
        if (reassignTo !== null) {
          for (const [userId, role] of org.members) if (role === key) org.members.set(userId, reassignTo)
        }
        // Keys and pending invitations naming a deleted role are revoked with it, so that a role
        // created later under its key gives them nothing; a shadow's fall back to the system role.
        if (!SYSTEM_ROLES.has(key)) {
          for (const k of model.keys) if (k.orgId === org.id && k.role === key) k.revoked = true
          // Links granting it are revoked too; domains granting it close, back to the default role.
          for (const link of model.links) if (link.orgId === org.id && link.role === key) link.revoked = true
          for (const domain of model.domains) {
            if (domain.orgId === org.id && domain.role === key)
              Object.assign(domain, { enrollment: 'none', role: 'member' })
          }
          for (const invitation of model.invitations) {
            if (invitation.orgId === org.id && invitation.role === key && invitation.status === 'pending') {
              invitation.status = 'revoked'
            }
          }
        }
        org.custom.delete(key)
      },
    }
  }
}

// ── API keys ───────────────────────────────────────────────────────────────────────

export const MAX_KEYS = 8

class CreateApiKey extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly grant: { role: string } | { permissions: string[] },
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, grant: this.grant })
  label = (model: Model) =>
    `createApiKey ${orgName(model, pick(model.orgs, this.org)!)} ${'role' in this.grant ? `role ${this.grant.role}` : `[${this.grant.permissions.join(' ')}]`}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    if (!org || model.keys.length >= MAX_KEYS) return null
    const actor = who({ org })
    if (!actor) return null
    const grant = this.grant
    const explicit = 'permissions' in grant ? expand(grant.permissions) : new Set<string>()
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'apikeys.create')
        if ('role' in grant) mayGrant(access, grant.role, assignable(org, grant.role))
        else mayGrant(access, null, explicit)
      },
      call: (d, c) => d.createApiKey(c, org.id, grant),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        const created = value as { id: string; secret: string }
        const key: ModelKey = {
          id: created.id,
          secret: created.secret,
          orgId: org.id,
          createdBy: actor.kind === 'user' ? actor.user.id : actor.key.createdBy,
          role: 'role' in grant ? grant.role : null,
          permissions: explicit,
          revoked: false,
        }
        model.keys.push(key)
      },
    }
  }
}

class RevokeApiKey extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly key: LocalRef,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, key: this.key })
  label = (model: Model) =>
    `revokeApiKey ${orgName(model, pick(model.orgs, this.org)!)} key${model.keys.indexOf(local(model.keys, pick(model.orgs, this.org), this.key)!)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const key = local(model.keys, pick(model.orgs, this.org), this.key)
    if (!org || !key) return null
    const actor = who({ org })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'apikeys.revoke')
        if (key.orgId !== org.id) refuse('not_found')
      },
      call: (d, c) => d.revokeApiKey(c, org.id, key.id),
      apply: () => {
        key.revoked = true
      },
    }
  }
}

// ── Checks ─────────────────────────────────────────────────────────────────────────

/** `can(org, permission, { teamId? })` through the core; over HTTP, `GET …/permissions` compared whole. */
class Can extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly permission: string,
    readonly team: LocalRef | null,
  ) {
    super(via, actor)
  }
  args = () => ({ org: this.org, permission: this.permission, team: this.team })
  label = (model: Model) =>
    this.via === 'core'
      ? `can ${orgName(model, pick(model.orgs, this.org)!)} ${this.permission}${this.team === null ? '' : ` in team${model.teams.indexOf(local(model.teams, pick(model.orgs, this.org), this.team)!)}`}`
      : `permissions ${orgName(model, pick(model.orgs, this.org)!)}`
  bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    const team = this.team === null ? undefined : local(model.teams, pick(model.orgs, this.org), this.team)
    if (!org || (this.team !== null && !team)) return null
    const actor = who({ org, team })
    if (!actor) return null
    if (this.via === 'core') {
      return {
        actor,
        expect: () => authenticate(model, actor),
        call: (d, c) => d.can!(c, org.id, this.permission, team?.id),
        apply: (value, step) => {
          const want = modelCan(model, actor, org, this.permission, team)
          if (value !== want) throw new Error(`${step}: can() answered ${String(value)}, the model says ${want}`)
        },
      }
    }
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'member')
      },
      call: (d, c) => d.permissions(c, org.id),
      apply: (value, step) => {
        const summary = value as { role: string | null; permissions: string[] }
        const want =
          actor.kind === 'key'
            ? (keyPermissions(model, actor.key) ?? new Set<string>())
            : rolePermissions(org, org.members.get(actor.user.id)!)
        const sorted = (items: Iterable<string>) => [...items].sort().join(' ')
        if (sorted(summary.permissions) !== sorted(want)) {
          throw new Error(`${step}: permissions ${sorted(summary.permissions)}, the model says ${sorted(want)}`)
        }
      },
    }
  }
}

// ── Generators ─────────────────────────────────────────────────────────────────────

/** Keys for custom roles: two shadows of system roles, two of their own, and `owner` (refused). */
const CUSTOM_KEYS = ['member', 'admin', 'deployer', 'auditor', 'owner']
/** Grants for custom roles and keys: some the actor holds, some it may not. */
const GRANTS = [
  'members.read',
  'members.add',
  'members.update',
  'members.remove',
  'invitations.create',
  'invitations.read',
  'invitations.revoke',
  'roles.*',
  'teams.*',
  'teams.update',
  'apikeys.*',
  'apikeys.create',
  'projects.*',
  'projects.read',
  'organization.update',
  'organization.delete',
  'audit.read',
  '*',
]

/** The core more often than HTTP: the HTTP edge is a thin layer over it, and slower to drive. */
export const via = fc.constantFrom<Channel>('core', 'core', 'core', 'http', 'http')
/** Mostly members of the addressed organization, sometimes anyone, sometimes a key. */
export const actor: fc.Arbitrary<ActorRef> = fc.record({
  kind: fc.constantFrom<ActorKind>('owner', 'owner', 'admin', 'admin', 'member', 'lead', 'user', 'orgKey', 'key'),
  n: fc.nat(5),
})
/** For accepting and declining: mostly the addressee. */
const responder: fc.Arbitrary<ActorRef> = fc.record({
  kind: fc.constantFrom<ActorKind>('invitee', 'invitee', 'invitee', 'user', 'key'),
  n: fc.nat(5),
})
export const org = fc.nat(3)
export const localRef: fc.Arbitrary<LocalRef> = fc.record({
  n: fc.nat(5),
  foreign: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
})
export const target = (...among: TargetRef['among'][]): fc.Arbitrary<TargetRef> =>
  fc.record({ n: fc.nat(5), among: fc.constantFrom(...among) })
const member = target('members', 'members', 'creators', 'creators', 'anyone')
const nonMember = target('others', 'others', 'others', 'anyone')
const teamMember = target('team', 'team', 'team', 'anyone')
/** Mostly roles that exist; sometimes custom keys that may not, or one that never does. */
export const role = fc.constantFrom(
  'owner',
  'admin',
  'admin',
  'member',
  'member',
  'member',
  'deployer',
  'auditor',
  'ghost',
)
const teamRole = fc.constantFrom('lead', 'member')
const grants = fc.subarray(GRANTS, { maxLength: 4 })

/** Every command, some twice: those whose combinations reach the rules most worth breaking. */
export function commandArbitraries() {
  const all = [
    fc.record({ via, actor }).map((a) => new CreateOrganization(a.via, a.actor)),
    fc
      .record({ via, actor, org, bySlug: fc.boolean() })
      .map((a) => new DeleteOrganization(a.via, a.actor, a.org, a.bySlug)),
    fc
      .record({
        via,
        actor,
        org,
        bySlug: fc.boolean(),
        target: nonMember,
        role,
        by: fc.constantFrom('userId', 'userId', 'username', 'email') as fc.Arbitrary<'userId' | 'username' | 'email'>,
      })
      .map((a) => new AddMember(a.via, a.actor, a.org, a.bySlug, a.target, a.role, a.by)),
    fc
      .record({ via, actor, org, target: member, role })
      .map((a) => new UpdateMember(a.via, a.actor, a.org, a.target, a.role)),
    fc.record({ via, actor, org, target: member }).map((a) => new RemoveMember(a.via, a.actor, a.org, a.target)),
    fc.record({ via, actor, org }).map((a) => new Leave(a.via, a.actor, a.org)),
    fc.record({ via, actor, org, target: member }).map((a) => new TransferOwnership(a.via, a.actor, a.org, a.target)),
    fc
      .record({
        via,
        actor,
        org,
        invitee: target('others', 'others', 'others', 'anyone', 'stranger'),
        role,
        team: fc.option(localRef, { freq: 3 }),
      })
      .map((a) => new CreateInvitation(a.via, a.actor, a.org, a.invitee, a.role, a.team)),
    fc
      .record({ via, actor: responder, invitation: fc.nat(7), byToken: fc.boolean() })
      .map((a) => new AcceptInvitation(a.via, a.actor, a.invitation, a.byToken)),
    fc
      .record({ via, actor: responder, invitation: fc.nat(7), byToken: fc.boolean() })
      .map((a) => new DeclineInvitation(a.via, a.actor, a.invitation, a.byToken)),
    fc
      .record({ via, actor, org, invitation: localRef })
      .map((a) => new RevokeInvitation(a.via, a.actor, a.org, a.invitation)),
    fc.record({ via, actor, org }).map((a) => new CreateTeam(a.via, a.actor, a.org)),
    fc.record({ via, actor, org, team: localRef }).map((a) => new DeleteTeam(a.via, a.actor, a.org, a.team)),
    fc
      .record({ via, actor, org, team: localRef, target: member, role: teamRole })
      .map((a) => new AddTeamMember(a.via, a.actor, a.org, a.team, a.target, a.role)),
    fc
      .record({ via, actor, org, team: localRef, target: teamMember, role: teamRole })
      .map((a) => new UpdateTeamMember(a.via, a.actor, a.org, a.team, a.target, a.role)),
    fc
      .record({ via, actor, org, team: localRef, target: teamMember })
      .map((a) => new RemoveTeamMember(a.via, a.actor, a.org, a.team, a.target)),
    fc
      .record({ via, actor, org, key: fc.constantFrom(...CUSTOM_KEYS), grants })
      .map((a) => new CreateRole(a.via, a.actor, a.org, a.key, a.grants)),
    fc
      .record({ via, actor, org, key: fc.constantFrom(...CUSTOM_KEYS, EXISTING, EXISTING, EXISTING), grants })
      .map((a) => new UpdateRole(a.via, a.actor, a.org, a.key, a.grants)),
    fc
      .record({
        via,
        actor,
        org,
        key: fc.constantFrom(...CUSTOM_KEYS, EXISTING, EXISTING, EXISTING),
        reassignTo: fc.option(role, { freq: 2 }),
      })
      .map((a) => new DeleteRole(a.via, a.actor, a.org, a.key, a.reassignTo)),
    fc
      .record({
        via,
        actor,
        org,
        grant: fc.oneof(
          role.map((r) => ({ role: r })),
          fc.subarray(GRANTS, { minLength: 1, maxLength: 3 }).map((permissions) => ({ permissions })),
        ),
      })
      .map((a) => new CreateApiKey(a.via, a.actor, a.org, a.grant)),
    fc.record({ via, actor, org, key: localRef }).map((a) => new RevokeApiKey(a.via, a.actor, a.org, a.key)),
    fc
      .record({
        via,
        actor,
        org,
        permission: fc.constantFrom(...PERMISSIONS),
        team: fc.option(localRef, { freq: 2 }),
      })
      .map((a) => new Can(a.via, a.actor, a.org, a.permission, a.team)),
    fc
      .record({ via, actor, org, invitation: localRef })
      .map((a) => new ResendInvitation(a.via, a.actor, a.org, a.invitation)),
    fc.record({ via, actor }).map((a) => new Me(a.via, a.actor)),
    fc
      .record({ via, actor, org, status: fc.constantFrom('pending', 'expired', 'revoked', null) })
      .map((a) => new ListInvitations(a.via, a.actor, a.org, a.status)),
    fc.record({ via, actor: responder }).map((a) => new MyInvitations(a.via, a.actor)),
    // Small steps, and to the instant an invitation or link expires or the millisecond before.
    fc.constantFrom(60_000, 60 * 60_000, 24 * 60 * 60_000).map((ms) => new AdvanceTime({ ms })),
    fc
      .record({
        to: fc.constantFrom<'invitation' | 'link'>('invitation', 'link'),
        n: fc.nat(7),
        offset: fc.constantFrom(0, -1),
      })
      .map((by) => new AdvanceTime(by)),
  ]
  const twice = new Set([2, 3, 4, 7, 8, 19])
  return all.flatMap((arbitrary, index) => (twice.has(index) ? [arbitrary, arbitrary] : [arbitrary]))
}
