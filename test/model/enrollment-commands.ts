/**
 * Enrollment's operations as model commands: domains (claimed, proven through the test's DNS,
 * opened to `suggest` or `auto` with a role, released), discovery and joining by domain, join
 * requests, invitation links and bulk invitations. Built on the same `Step` as the other
 * commands (`commands.ts`); the rules they expect are stated here from the spec and
 * docs/enrollment.md:
 *
 * - a domain is normalized (lower case, no trailing dot) and refused (400) when it is a
 *   public suffix, an IP address, a single label or a consumer mail provider, before anything
 *   else is looked at; one organization holds it verified at a time (409 to the others);
 *   only a verified domain leaves `none` (409 `domain_unverified`); its role is a grant: never
 *   `owner`, and one the manager may grant;
 * - only a user whose verified address is on a domain an organization holds verified with
 *   enrollment `suggest` or `auto` finds it and joins it; to everyone else it answers exactly
 *   as a nonexistent organization (404);
 * - one pending request per user and organization; approving grants the role given, else the
 *   domain's role as it is then (the default role when the domain is gone), and only what the
 *   approver may grant; of approve, deny and withdraw only the first decision holds;
 * - a link grants its role (never `owner`) until revoked, past its expiry or used `maxUses`
 *   times, and only what its creator could grant at the time of use;
 * - deleting a custom role revokes the links granting it and closes the domains granting it
 *   (enrollment `none`, the default role): a role created later under the key reaches
 *   nobody through them;
 * - a bulk invitation answers each item as the single invitation would have.
 */
import fc from 'fast-check'
import {
  type ActorRef,
  actor,
  type Bound,
  belongs,
  CallerList,
  type LocalRef,
  local,
  localRef,
  OrgList,
  org,
  orgName,
  orgRef,
  pick,
  role,
  Step,
  sameInstant,
  type TargetRef,
  target,
  targetOf,
  via,
  type Who,
  WorldStep,
} from './commands'
import {
  assignable,
  authenticate,
  authorize,
  decide,
  type EnrollmentMode,
  emailDomainOf,
  INVITATION_TTL_MS,
  invitationExpired,
  type Model,
  type ModelActor,
  type ModelDomain,
  type ModelInvitation,
  type ModelLink,
  type ModelOrg,
  type ModelUser,
  mayGrant,
  OWNER,
  refuse,
  requireUser,
  roleExists,
  rolePermissions,
} from './model'
import type { Caller, Channel, DomainPatch, Driver, LinkInput } from './system'

/** The role a domain grants until one is set, and what approval grants when the domain is gone. */
const DEFAULT_ROLE = 'member'
const RECORD_LABEL = '_orgkit-verification'

/**
 * How a command spells a domain: the sequence's two (the first also as `Name.COM.`), and
 * names nobody may claim.
 */
const SPELLINGS = ['one', 'two', 'ONE.', 'gmail.com', 'mail.gmail.com', 'co.uk', '127.0.0.1', 'localhost'] as const
type Spelling = (typeof SPELLINGS)[number]

function spell(model: Model, spelling: Spelling): string {
  const [one, two] = model.domainNames
  if (spelling === 'one') return one
  if (spelling === 'two') return two
  if (spelling === 'ONE.') return `${one.toUpperCase()}.`
  return spelling
}

/** The domain a spelling names after normalization, or `null` for one that cannot be claimed. */
function claimable(model: Model, spelling: Spelling): string | null {
  const name = spell(model, spelling).trim().toLowerCase().replace(/\.$/, '')
  return model.domainNames.includes(name) ? name : null
}

const domainOf = (model: Model, org: ModelOrg, name: string | null): ModelDomain | undefined =>
  model.domains.find((d) => d.orgId === org.id && d.name === name)

/** A domain of the organization, found by a spelling: `not_found` when it has none such. */
function ownDomain(model: Model, org: ModelOrg, spelling: Spelling): ModelDomain {
  return domainOf(model, org, claimable(model, spelling)) ?? refuse('not_found')
}

const verifiedHolder = (model: Model, name: string): ModelDomain | undefined =>
  model.domains.find((d) => d.name === name && d.status === 'verified')

/** A grant of `key` by `access`: a role of the organization (400), never owner, one the granter may grant (403). */
function grantable(access: ReturnType<typeof authorize>, key: string): void {
  const permissions = assignable(access.org, key)
  if (key === OWNER) refuse('forbidden')
  mayGrant(access, key, permissions)
}

/** Whether `creatorId`, as a member now, could grant `key`: the check a link repeats at every use. */
function couldGrant(org: ModelOrg, creatorId: string, key: string): boolean {
  const creatorRole = org.members.get(creatorId)
  if (creatorRole === undefined || !roleExists(org, key) || key === OWNER) return false
  const ceiling = rolePermissions(org, creatorRole)
  return [...rolePermissions(org, key)].every((permission) => ceiling.has(permission))
}

/** Who a call is made on behalf of: the user, or an API key's creator. */
const onBehalfOf = (actor: ModelActor): string => (actor.kind === 'user' ? actor.user.id : actor.key.createdBy)

/** A step whose domains, join requests and links the invariants check after it. */
abstract class EnrollmentStep extends Step {
  override readonly enrollment = true
}

/** An organization command: the organization by index, its actor chosen relative to it. */
abstract class OrgStep extends EnrollmentStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
  ) {
    super(via, actor)
  }
  protected where = (model: Model) => orgName(model, pick(model.orgs, this.org)!)
  protected bind(model: Model, who: Who): Bound | null {
    const org = pick(model.orgs, this.org)
    if (!org) return null
    const actor = who({ org })
    return actor ? this.bindIn(model, org, actor) : null
  }
  protected abstract bindIn(model: Model, org: ModelOrg, actor: ModelActor): Bound | null
}

// ── Domains ────────────────────────────────────────────────────────────────────────

class AddDomain extends OrgStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    org: number,
    readonly spelling: Spelling,
  ) {
    super(via, actor, org)
  }
  args = () => ({ org: this.org, spelling: this.spelling })
  label = (model: Model) => `addDomain ${this.where(model)} ${spell(model, this.spelling)}`
  bindIn(model: Model, org: ModelOrg, actor: ModelActor): Bound {
    const name = claimable(model, this.spelling)
    return {
      actor,
      expect: () => {
        authenticate(model, actor)
        if (name === null) refuse('validation_failed')
        authorize(model, actor, org, 'domains.manage')
        if (domainOf(model, org, name)) refuse('conflict')
        if (verifiedHolder(model, name!)) refuse('conflict')
      },
      call: (d, c) => d.addDomain(c, orgRef(org, false), spell(model, this.spelling)),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        belongs(step, value, 'domain', name!)
        belongs(step, value, 'status', 'pending')
        const record = (value as { verification: { name: string; value: string } }).verification
        belongs(step, record, 'name', `${RECORD_LABEL}.${name}`)
        model.domains.push({
          orgId: org.id,
          name: name!,
          status: 'pending',
          enrollment: 'none',
          role: DEFAULT_ROLE,
          record: { name: record.name, value: record.value },
        })
      },
    }
  }
}

/** The organization that claimed a domain publishes its record, or a wrong value at the same name. */
class PublishRecord extends WorldStep {
  constructor(
    readonly domain: number,
    readonly correct: boolean,
  ) {
    super()
  }
  args = () => ({ domain: this.domain, correct: this.correct })
  change(model: Model): (() => void) | null {
    const domain = pick(model.domains, this.domain)
    if (!domain) return null
    return () => {
      model.dns.set(domain.record.name, [this.correct ? domain.record.value : 'orgkit-verification=not-this-one'])
    }
  }
}

class VerifyDomain extends OrgStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    org: number,
    readonly spelling: Spelling,
  ) {
    super(via, actor, org)
  }
  args = () => ({ org: this.org, spelling: this.spelling })
  label = (model: Model) => `verifyDomain ${this.where(model)} ${spell(model, this.spelling)}`
  bindIn(model: Model, org: ModelOrg, actor: ModelActor): Bound {
    let domain: ModelDomain | undefined
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'domains.manage')
        domain = ownDomain(model, org, this.spelling)
        if (domain.status === 'verified') return
        if (verifiedHolder(model, domain.name)) refuse('conflict')
        if (!(model.dns.get(domain.record.name) ?? []).includes(domain.record.value)) refuse('domain_unverified')
      },
      call: (d, c) => d.verifyDomain(c, org.id, spell(model, this.spelling)),
      apply: (value, step) => {
        belongs(step, value, 'status', 'verified')
        domain!.status = 'verified'
      },
    }
  }
}

class UpdateDomain extends OrgStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    org: number,
    readonly spelling: Spelling,
    readonly patch: DomainPatch,
  ) {
    super(via, actor, org)
  }
  args = () => ({ org: this.org, spelling: this.spelling, patch: this.patch })
  label = (model: Model) =>
    `updateDomain ${this.where(model)} ${spell(model, this.spelling)} ${JSON.stringify(this.patch)}`
  bindIn(model: Model, org: ModelOrg, actor: ModelActor): Bound {
    let domain: ModelDomain | undefined
    const { enrollment, role } = this.patch
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'domains.manage')
        domain = ownDomain(model, org, this.spelling)
        // Setting the role, opening the domain, or making it grant without approval (auto)
        // grants its role to whoever comes: a grant like any other.
        const next = enrollment ?? domain.enrollment
        const opening = next !== 'none' && domain.enrollment === 'none'
        if (role !== undefined || opening || (next === 'auto' && domain.enrollment !== 'auto')) {
          grantable(access, role ?? domain.role)
        }
        if (next !== 'none' && domain.status !== 'verified') refuse('domain_unverified')
      },
      call: (d, c) => d.updateDomain(c, org.id, spell(model, this.spelling), this.patch),
      apply: (value, step) => {
        if (enrollment !== undefined) domain!.enrollment = enrollment
        if (role !== undefined) domain!.role = role
        belongs(step, value, 'enrollment', domain!.enrollment)
        belongs(step, value, 'role', domain!.role)
      },
    }
  }
}

class RemoveDomain extends OrgStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    org: number,
    readonly spelling: Spelling,
  ) {
    super(via, actor, org)
  }
  args = () => ({ org: this.org, spelling: this.spelling })
  label = (model: Model) => `removeDomain ${this.where(model)} ${spell(model, this.spelling)}`
  bindIn(model: Model, org: ModelOrg, actor: ModelActor): Bound {
    let domain: ModelDomain | undefined
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'domains.manage')
        domain = ownDomain(model, org, this.spelling)
      },
      call: (d, c) => d.removeDomain(c, org.id, spell(model, this.spelling)),
      // Released for other organizations; requests made through it stay to be decided.
      apply: () => {
        model.domains.splice(model.domains.indexOf(domain!), 1)
      },
    }
  }
}

// ── Discovery and joining ──────────────────────────────────────────────────────────

/** The domain through which `user` may join `org`, if any: a verified address on a domain it holds verified and open. */
function openTo(model: Model, org: ModelOrg, user: ModelUser): ModelDomain | undefined {
  if (!user.verified) return undefined
  const domain = domainOf(model, org, emailDomainOf(user.email))
  return domain && domain.status === 'verified' && domain.enrollment !== 'none' ? domain : undefined
}

/** The organizations open to the caller's verified address that they are not in yet. */
class Discover extends CallerList {
  list = (d: Driver, c: Caller) => d.discoverable(c)
  wanted = (model: Model, user: ModelUser) =>
    model.orgs.filter((o) => openTo(model, o, user) && !o.members.has(user.id)).map((o) => o.id)
}

class Join extends OrgStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    org: number,
    readonly bySlug: boolean,
  ) {
    super(via, actor, org)
  }
  args = () => ({ org: this.org, bySlug: this.bySlug })
  label = (model: Model) => `join ${this.where(model)}`
  bindIn(model: Model, org: ModelOrg, actor: ModelActor): Bound {
    let user: ModelUser | undefined
    let domain: ModelDomain | undefined
    return {
      actor,
      expect: () => {
        user = requireUser(model, actor)
        domain = openTo(model, org, user) ?? refuse('not_found')
        if (org.members.has(user.id)) refuse('conflict')
        const pending = model.joinRequests.some(
          (r) => r.orgId === org.id && r.userId === user!.id && r.status === 'pending',
        )
        if (domain.enrollment === 'suggest' && pending) refuse('conflict')
      },
      call: (d, c) => d.join(c, orgRef(org, this.bySlug)),
      apply: (value, step) => {
        const { joined, requested } = value as { joined?: unknown; requested?: { id: string } }
        if (domain!.enrollment === 'auto') {
          if (!joined) throw new Error(`${step}: an auto domain answered with a join request`)
          belongs(step, joined, 'role', domain!.role)
          org.members.set(user!.id, domain!.role)
        } else {
          if (!requested) throw new Error(`${step}: a suggest domain answered with a membership`)
          belongs(step, requested, 'status', 'pending')
          belongs(step, requested, 'organizationId', org.id)
          model.joinRequests.push({
            id: requested.id,
            orgId: org.id,
            userId: user!.id,
            domain: domain!.name,
            status: 'pending',
          })
        }
      },
    }
  }
}

// ── Join requests ──────────────────────────────────────────────────────────────────

class ListJoinRequests extends OrgList {
  permission = 'members.add'
  list = (d: Driver, c: Caller, orgId: string, status: string | undefined) => d.listJoinRequests(c, orgId, status)
  wanted = (model: Model, org: ModelOrg) =>
    model.joinRequests
      .filter((r) => r.orgId === org.id && (this.status === null || r.status === this.status))
      .map((r) => r.id)
}

/** A join request command: the organization addressed, and a request mostly of it. */
abstract class RequestStep extends EnrollmentStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly org: number,
    readonly request: LocalRef,
  ) {
    super(via, actor)
  }
  protected refs(model: Model) {
    const org = pick(model.orgs, this.org)
    return { org, request: local(model.joinRequests, org, this.request) }
  }
  protected name(model: Model): string {
    const { org, request } = this.refs(model)
    return `${orgName(model, org!)} request${model.joinRequests.indexOf(request!)}`
  }
}

class ApproveJoinRequest extends RequestStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    org: number,
    request: LocalRef,
    readonly role: string | null,
  ) {
    super(via, actor, org, request)
  }
  args = () => ({ org: this.org, request: this.request, role: this.role })
  label = (model: Model) => `approveJoinRequest ${this.name(model)}${this.role === null ? '' : ` as ${this.role}`}`
  bind(model: Model, who: Who): Bound | null {
    const { org, request } = this.refs(model)
    if (!org || !request) return null
    const actor = who({ org })
    if (!actor) return null
    let granted = ''
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'members.add')
        if (request.orgId !== org.id) refuse('not_found')
        if (request.status !== 'pending') refuse('conflict')
        const domain = domainOf(model, org, request.domain)
        granted = this.role ?? domain?.role ?? DEFAULT_ROLE
        const permissions = assignable(org, granted)
        mayGrant(access, granted, permissions)
        if (org.members.has(request.userId)) refuse('conflict')
      },
      call: (d, c) => d.approveJoinRequest(c, org.id, request.id, this.role ?? undefined),
      apply: (value, step) => {
        belongs(step, value, 'userId', request.userId)
        belongs(step, value, 'role', granted)
        request.status = 'approved'
        org.members.set(request.userId, granted)
      },
    }
  }
}

class DenyJoinRequest extends RequestStep {
  args = () => ({ org: this.org, request: this.request })
  label = (model: Model) => `denyJoinRequest ${this.name(model)}`
  bind(model: Model, who: Who): Bound | null {
    const { org, request } = this.refs(model)
    if (!org || !request) return null
    const actor = who({ org })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'members.add')
        if (request.orgId !== org.id) refuse('not_found')
        // Denying twice is denying once; a request decided otherwise stays so.
        if (request.status !== 'pending' && request.status !== 'denied') refuse('conflict')
      },
      call: (d, c) => d.denyJoinRequest(c, org.id, request.id),
      apply: () => {
        request.status = 'denied'
      },
    }
  }
}

class WithdrawJoinRequest extends EnrollmentStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly request: number,
  ) {
    super(via, actor)
  }
  args = () => ({ request: this.request })
  label = (model: Model) => `withdrawJoinRequest request${this.request % Math.max(1, model.joinRequests.length)}`
  bind(model: Model, who: Who): Bound | null {
    const request = pick(model.joinRequests, this.request)
    if (!request) return null
    const actor = who({ org: model.orgs.find((o) => o.id === request.orgId), requester: request.userId })
    if (!actor) return null
    return {
      actor,
      expect: () => {
        const user = requireUser(model, actor)
        // Someone else's request is as unknown as a nonexistent one.
        if (user.id !== request.userId) refuse('not_found')
        if (request.status !== 'pending' && request.status !== 'withdrawn') refuse('conflict')
      },
      call: (d, c) => d.withdrawJoinRequest(c, request.id),
      apply: () => {
        request.status = 'withdrawn'
      },
    }
  }
}

/** The caller's own join requests, in every organization. */
class MyJoinRequests extends CallerList {
  list = (d: Driver, c: Caller) => d.myJoinRequests(c)
  wanted = (model: Model, user: ModelUser) => model.joinRequests.filter((r) => r.userId === user.id).map((r) => r.id)
}

// ── Invitation links ───────────────────────────────────────────────────────────────

/** A link's expiry relative to the clock: none, already past (refused), soon, or later. */
type Expiry = 'none' | 'past' | 'hour' | 'week'
const EXPIRY_MS: Record<Exclude<Expiry, 'none'>, number> = {
  past: -1000,
  hour: 60 * 60_000,
  week: INVITATION_TTL_MS,
}

class CreateLink extends OrgStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    org: number,
    readonly role: string,
    readonly maxUses: number | null,
    readonly expiry: Expiry,
    readonly domain: 'one' | 'two' | null,
  ) {
    super(via, actor, org)
  }
  args = () => ({ org: this.org, role: this.role, maxUses: this.maxUses, expiry: this.expiry, domain: this.domain })
  label = (model: Model) =>
    `createLink ${this.where(model)} as ${this.role} uses ${this.maxUses ?? '∞'} expiry ${this.expiry}${this.domain === null ? '' : ` for ${this.domain}`}`
  bindIn(model: Model, org: ModelOrg, actor: ModelActor): Bound {
    const expiresAt = this.expiry === 'none' ? null : model.clock.now + EXPIRY_MS[this.expiry]
    const domain = this.domain === null ? null : claimable(model, this.domain)
    const input: LinkInput = {
      role: this.role,
      ...(expiresAt === null ? {} : { expiresAt: new Date(expiresAt).toISOString() }),
      ...(this.maxUses === null ? {} : { maxUses: this.maxUses }),
      ...(domain === null ? {} : { domain }),
    }
    return {
      actor,
      expect: () => {
        const access = authorize(model, actor, org, 'invitations.create')
        grantable(access, this.role)
        if (expiresAt !== null && expiresAt <= model.clock.now) refuse('validation_failed')
        if (domain !== null && domainOf(model, org, domain)?.status !== 'verified') refuse('domain_unverified')
      },
      call: (d, c) => d.createLink(c, org.id, input),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        const created = value as { id: string; token: string; expiresAt: unknown }
        sameInstant(step, 'expiresAt', created.expiresAt, expiresAt)
        model.links.push({
          id: created.id,
          token: created.token,
          orgId: org.id,
          role: this.role,
          createdBy: onBehalfOf(actor),
          expiresAt,
          maxUses: this.maxUses,
          uses: 0,
          domain,
          revoked: false,
        })
      },
    }
  }
}

/** Anyone with the token: mostly users on the sequence's domains, sometimes anyone, sometimes a key. */
class AcceptLink extends EnrollmentStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly link: number,
  ) {
    super(via, actor)
  }
  args = () => ({ link: this.link })
  label = (model: Model) => `acceptLink link${this.link % Math.max(1, model.links.length)}`
  bind(model: Model, who: Who): Bound | null {
    const link = pick(model.links, this.link)
    if (!link) return null
    const org = model.orgs.find((o) => o.id === link.orgId)!
    const actor = who({ org })
    if (!actor) return null
    let userId = ''
    return {
      actor,
      expect: () => {
        const user = requireUser(model, actor)
        userId = user.id
        usable(model, link)
        if (link.domain !== null) {
          if (emailDomainOf(user.email) !== link.domain) refuse('email_mismatch')
          if (!user.verified) refuse('email_unverified')
        }
        if (org.members.has(user.id)) refuse('conflict')
        if (!couldGrant(org, link.createdBy, link.role)) refuse('forbidden')
      },
      call: (d, c) => d.acceptInvitation(c, { token: link.token }),
      apply: (value, step) => {
        belongs(step, value, 'organizationId', org.id)
        belongs(step, value, 'role', link.role)
        link.uses += 1
        org.members.set(userId, link.role)
      },
    }
  }
}

/**
 * What a token invites to, for any signed-in user: an invitation's status as stored, whether
 * it is past its date and until when; a link's state (revoked, expired or pending) and the
 * uses it has left.
 */
class Preview extends Step {
  constructor(
    via: Channel,
    actor: ActorRef,
    readonly of: 'invitation' | 'link',
    readonly n: number,
  ) {
    super(via, actor)
  }
  args = () => ({ of: this.of, n: this.n })
  label = (model: Model) =>
    `preview ${this.of}${this.n % Math.max(1, (this.of === 'link' ? model.links : model.invitations).length)}`
  bind(model: Model, who: Who): Bound | null {
    const item = pick<{ token: string; orgId: string }>(this.of === 'link' ? model.links : model.invitations, this.n)
    if (!item) return null
    const actor = who({})
    if (!actor) return null
    const summary = (value: {
      status: string
      expired: boolean
      role: string
      expiresAt: unknown
      link?: { usesLeft: number | null }
    }) =>
      `${value.role} ${value.status} expired:${value.expired} until:${value.expiresAt === null ? null : new Date(value.expiresAt as string).getTime()} left:${value.link?.usesLeft}`
    const wanted = (): string => {
      if (this.of === 'invitation') {
        const invitation = item as ModelInvitation
        const expired = invitationExpired(model, invitation)
        return summary({ ...invitation, expired })
      }
      const link = item as ModelLink
      const expired = link.expiresAt !== null && link.expiresAt <= model.clock.now
      const status = link.revoked ? 'revoked' : expired ? 'expired' : 'pending'
      const usesLeft = link.maxUses === null ? null : Math.max(0, link.maxUses - link.uses)
      return summary({ ...link, status, expired, link: { usesLeft } })
    }
    return {
      actor,
      expect: () => {
        requireUser(model, actor)
      },
      call: (d, c) => d.previewInvitation(c, item.token),
      apply: (value, step) => {
        const got = summary(value as Parameters<typeof summary>[0])
        if (got !== wanted()) throw new Error(`${step}: the preview says ${got}, the model says ${wanted()}`)
      },
    }
  }
}

/** Refuses a link that takes nobody any more: revoked, then past its date, then used up. */
function usable(model: Model, link: ModelLink): void {
  if (link.revoked) refuse('link_revoked')
  if (link.expiresAt !== null && link.expiresAt <= model.clock.now) refuse('link_expired')
  if (link.maxUses !== null && link.uses >= link.maxUses) refuse('link_exhausted')
}

class RevokeLink extends OrgStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    org: number,
    readonly link: LocalRef,
  ) {
    super(via, actor, org)
  }
  args = () => ({ org: this.org, link: this.link })
  label = (model: Model) =>
    `revokeLink ${this.where(model)} link${model.links.indexOf(local(model.links, pick(model.orgs, this.org), this.link)!)}`
  bindIn(model: Model, org: ModelOrg, actor: ModelActor): Bound | null {
    const link = local(model.links, org, this.link)
    if (!link) return null
    return {
      actor,
      expect: () => {
        authorize(model, actor, org, 'invitations.revoke')
        if (link.orgId !== org.id) refuse('not_found')
      },
      call: (d, c) => d.revokeLink(c, org.id, link.id),
      apply: () => {
        link.revoked = true
      },
    }
  }
}

// ── Bulk invitations ───────────────────────────────────────────────────────────────

/** One item: a user (by the usual reference), a stranger, or text that is no email. */
type BulkItem = { to: TargetRef | 'stranger' | 'bad'; role: string }

class BulkInvite extends OrgStep {
  constructor(
    via: Channel,
    actor: ActorRef,
    org: number,
    readonly items: BulkItem[],
  ) {
    super(via, actor, org)
  }
  args = () => ({ org: this.org, items: this.items })
  label = (model: Model) => `bulkInvite ${this.where(model)} ×${this.items.length}`
  bindIn(model: Model, org: ModelOrg, actor: ModelActor): Bound {
    const emails = this.items.map((item) =>
      item.to === 'bad'
        ? 'not an email'
        : item.to === 'stranger'
          ? model.strangerEmail
          : targetOf(model, item.to, org)!.email,
    )
    let access: ReturnType<typeof authorize> | undefined
    return {
      actor,
      expect: () => {
        access = authorize(model, actor, org, 'invitations.create')
      },
      call: (d, c) =>
        d.bulkInvite(
          c,
          org.id,
          this.items.map((item, i) => ({ email: emails[i]!, role: item.role })),
        ),
      apply: (value, step) => {
        const answers = value as {
          email: string
          invitation?: { id: string; token: string }
          error?: { code: string }
        }[]
        if (answers.length !== this.items.length) throw new Error(`${step}: ${answers.length} answers`)
        this.items.forEach((item, i) => {
          const email = emails[i]!
          const pending = model.invitations.filter(
            (inv) => inv.orgId === org.id && inv.email === email && inv.status === 'pending',
          )
          const want = decideItem(() => {
            if (item.to === 'bad' || !roleExists(org, item.role)) refuse('validation_failed')
            mayGrant(access!, item.role, rolePermissions(org, item.role))
            if (model.users.some((u) => u.email === email && org.members.has(u.id))) refuse('conflict')
            if (pending.some((inv) => !invitationExpired(model, inv))) refuse('conflict')
          })
          const answer = answers[i]!
          const got = answer.invitation ? 'ok' : (answer.error?.code ?? 'nothing')
          if (got !== want)
            throw new Error(`${step}: item ${i} (${email} as ${item.role}) answered ${got}, the model says ${want}`)
          if (!answer.invitation) return
          for (const old of pending) old.status = 'expired'
          model.invitations.push({
            id: answer.invitation.id,
            token: answer.invitation.token,
            orgId: org.id,
            email,
            role: item.role,
            teamIds: [],
            invitedBy: onBehalfOf(actor),
            status: 'pending',
            expiresAt: model.clock.now + INVITATION_TTL_MS,
          })
        })
      },
    }
  }
}

/** One item's answer: `ok`, or the refusal's code. */
function decideItem(body: () => void): string {
  const expected = decide(body)
  return expected.ok ? 'ok' : expected.codes[0]!
}

// ── Generators ─────────────────────────────────────────────────────────────────────

/** For joining and links: mostly users with an address on the sequence's domains. */
/** Mostly the first organization, which starts with a domain open to requests. */
const orgWithDomain = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: org })
/** Roles an approval names: often more than a plain member may be given. */
const approvedAs = fc.constantFrom('owner', 'admin', 'admin', 'member', 'deployer', 'ghost')
const joiner: fc.Arbitrary<ActorRef> = fc.record({
  kind: fc.constantFrom<ActorRef['kind']>('domainUser', 'domainUser', 'domainUser', 'user', 'key'),
  n: fc.nat(6),
})
const requester: fc.Arbitrary<ActorRef> = fc.record({
  kind: fc.constantFrom<ActorRef['kind']>('requester', 'requester', 'requester', 'user'),
  n: fc.nat(6),
})
const spelling = fc.constantFrom<Spelling>('one', 'one', 'one', 'two', 'two', 'ONE.', ...SPELLINGS.slice(3))
const ownSpelling = fc.constantFrom<Spelling>('one', 'one', 'two', 'ONE.')
const enrollment = fc.constantFrom<EnrollmentMode>('none', 'suggest', 'suggest', 'auto', 'auto')

export function enrollmentArbitraries() {
  const all = [
    fc.record({ via, actor, org, spelling }).map((a) => new AddDomain(a.via, a.actor, a.org, a.spelling)),
    fc.record({ domain: fc.nat(5), correct: fc.boolean() }).map((a) => new PublishRecord(a.domain, a.correct)),
    fc
      .record({ via, actor, org, spelling: ownSpelling })
      .map((a) => new VerifyDomain(a.via, a.actor, a.org, a.spelling)),
    fc
      .record({
        via,
        actor,
        org,
        spelling: ownSpelling,
        patch: fc.oneof(
          enrollment.map((e): DomainPatch => ({ enrollment: e })),
          fc.record({ enrollment, role }),
          role.map((r): DomainPatch => ({ role: r })),
        ),
      })
      .map((a) => new UpdateDomain(a.via, a.actor, a.org, a.spelling, a.patch)),
    fc
      .record({ via, actor, org, spelling: ownSpelling })
      .map((a) => new RemoveDomain(a.via, a.actor, a.org, a.spelling)),
    fc.record({ via, actor: joiner }).map((a) => new Discover(a.via, a.actor)),
    fc
      .record({ via, actor: joiner, org: orgWithDomain, bySlug: fc.boolean() })
      .map((a) => new Join(a.via, a.actor, a.org, a.bySlug)),
    fc
      .record({ via, actor, org, status: fc.constantFrom('pending', 'approved', 'denied', 'withdrawn', null) })
      .map((a) => new ListJoinRequests(a.via, a.actor, a.org, a.status)),
    fc
      .record({ via, actor, org: orgWithDomain, request: localRef, role: fc.option(approvedAs, { freq: 3 }) })
      .map((a) => new ApproveJoinRequest(a.via, a.actor, a.org, a.request, a.role)),
    fc
      .record({ via, actor, org: orgWithDomain, request: localRef })
      .map((a) => new DenyJoinRequest(a.via, a.actor, a.org, a.request)),
    fc
      .record({ via, actor: requester, request: fc.nat(5) })
      .map((a) => new WithdrawJoinRequest(a.via, a.actor, a.request)),
    fc.record({ via, actor: joiner }).map((a) => new MyJoinRequests(a.via, a.actor)),
    fc
      .record({
        via,
        actor,
        org,
        role,
        maxUses: fc.option(fc.constantFrom(1, 2), { freq: 2 }),
        expiry: fc.constantFrom<Expiry>('none', 'none', 'past', 'hour', 'week'),
        domain: fc.option(fc.constantFrom<'one' | 'two'>('one', 'two'), { freq: 2 }),
      })
      .map((a) => new CreateLink(a.via, a.actor, a.org, a.role, a.maxUses, a.expiry, a.domain)),
    fc.record({ via, actor: joiner, link: fc.nat(5) }).map((a) => new AcceptLink(a.via, a.actor, a.link)),
    fc
      .record({ via, actor: joiner, of: fc.constantFrom<'invitation' | 'link'>('invitation', 'link'), n: fc.nat(7) })
      .map((a) => new Preview(a.via, a.actor, a.of, a.n)),
    fc.record({ via, actor, org, link: localRef }).map((a) => new RevokeLink(a.via, a.actor, a.org, a.link)),
    fc
      .record({
        via,
        actor,
        org,
        items: fc.array(
          fc.record({
            to: fc.oneof(
              { weight: 4, arbitrary: target('others', 'others', 'members', 'anyone') },
              { weight: 1, arbitrary: fc.constantFrom<'stranger' | 'bad'>('stranger', 'bad') },
            ),
            role,
          }),
          { minLength: 1, maxLength: 4 },
        ),
      })
      .map((a) => new BulkInvite(a.via, a.actor, a.org, a.items)),
  ]
  // Twice: opening a domain, joining, approving and using links, the steps deep states need.
  const twice = new Set([3, 6, 8, 12, 13])
  return all.flatMap((arbitrary, index) => (twice.has(index) ? [arbitrary, arbitrary] : [arbitrary]))
}
