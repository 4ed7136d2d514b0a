/**
 * What must hold after every step, checked against the real system (through the core, on
 * the same database the step used):
 * - every organization has at least one owner, and exactly the members the model has;
 * - every listed record (member, invitation, team, API key) belongs to the organization
 *   it was listed under;
 * - nobody holds a permission the model does not give them: each user's
 *   `organizations.permissions(org)` (organization role and team roles) equals the model's,
 *   and a non-member gets `not_found`; each API key authenticates to exactly the model's
 *   permissions, or not at all;
 * - each invitation has the model's status, expiry and `expired` flag: consumed at most
 *   once, never brought back;
 * - enrollment: each organization has the model's domains (status, enrollment, role; never
 *   `owner`), join requests (one pending per user at most) and invitation links (uses never
 *   past `maxUses`); no domain is verified by two organizations; the member count the
 *   organization reports is its members'.
 */
import { type Actor, isOrgkitError, type Orgkit } from '@orgkit/core'
import type { AdapterName, TestApp } from '../http/harness'
import {
  invitationExpired,
  keyPermissions,
  type Model,
  OWNER,
  ownerCount,
  roleExists,
  rolePermissions,
  TEAM_ROLES,
} from './model'
import type { Channel, Driver } from './system'

export interface Real {
  app: TestApp
  adapter: AdapterName
  drivers: Record<Channel, Driver>
}

const SYSTEM: Actor = { type: 'system' }
const PAGE = { limit: 100 }

const sorted = (items: Iterable<string>) => [...items].sort().join(' ')

function same(step: string, what: string, got: string, want: string): void {
  if (got !== want)
    throw new Error(`${step}: ${what} is ${JSON.stringify(got)}, the model says ${JSON.stringify(want)}`)
}

/**
 * Checks the organizations in `only` (all when omitted) and their API keys; their domains,
 * join requests and links when `enrollment` (a step that may change them), and always when
 * every organization is checked.
 */
export async function checkInvariants(
  model: Model,
  real: Real,
  step: string,
  only?: ReadonlySet<string>,
  enrollment = true,
): Promise<void> {
  const { orgkit } = real.app
  const system = orgkit.as(SYSTEM)
  for (const [index, org] of model.orgs.entries()) {
    if (only && !only.has(org.id)) continue
    const where = `org${index}`
    const none = { data: [] }
    const withEnrollment = enrollment || !only
    const [members, invitations, teams, keys, domains, requests, links, summary] = await Promise.all([
      system.members.list(org.id, PAGE),
      system.invitations.list(org.id, PAGE),
      system.teams.list(org.id, PAGE),
      system.apiKeys.list(org.id, PAGE),
      withEnrollment ? system.domains.list(org.id, PAGE) : none,
      withEnrollment ? system.joinRequests.list(org.id, PAGE) : none,
      withEnrollment ? system.invitationLinks.list(org.id, PAGE) : none,
      system.organizations.get(org.id),
    ])
    for (const record of [
      ...members.data,
      ...invitations.data,
      ...teams.data,
      ...keys.data,
      ...domains.data,
      ...requests.data,
      ...links.data,
    ]) {
      same(step, `${where}: a listed record's organizationId`, record.organizationId, org.id)
    }
    // SPEC §2 rule 3, on the real rows.
    const owners = members.data.filter((member) => member.role === OWNER).length
    if (owners < 1) throw new Error(`${step}: ${where} has no owner`)
    same(step, `${where} owners`, String(owners), String(ownerCount(org)))
    same(
      step,
      `${where} members`,
      sorted(members.data.map((m) => `${m.userId}:${m.role}`)),
      sorted([...org.members].map(([userId, role]) => `${userId}:${role}`)),
    )
    same(step, `${where} memberCount`, String(summary.memberCount), String(org.members.size))
    // However a member came in (added, invited, by domain, request or link), their role is one of the organization's.
    for (const member of members.data) {
      if (!roleExists(org, member.role)) throw new Error(`${step}: ${where} member ${member.userId} holds no role`)
    }
    // SPEC §2 rule 4: an invitation's status only ever moves on from pending, once; it expires at its date.
    same(
      step,
      `${where} invitations`,
      sorted(invitations.data.map((i) => `${i.id}:${i.status}:${i.expired}:${i.expiresAt.getTime()}`)),
      sorted(
        model.invitations
          .filter((i) => i.orgId === org.id)
          .map((i) => `${i.id}:${i.status}:${invitationExpired(model, i)}:${i.expiresAt}`),
      ),
    )
    same(
      step,
      `${where} teams`,
      sorted(teams.data.map((t) => t.id)),
      sorted(model.teams.filter((t) => t.orgId === org.id).map((t) => t.id)),
    )
    same(
      step,
      `${where} API keys`,
      sorted(keys.data.map((k) => `${k.id}:${k.revokedAt === null ? 'live' : 'revoked'}`)),
      sorted(model.keys.filter((k) => k.orgId === org.id).map((k) => `${k.id}:${k.revoked ? 'revoked' : 'live'}`)),
    )
    if (withEnrollment) checkEnrollment(model, org.id, where, step, domains.data, requests.data, links.data)
    // Nobody holds a permission the model does not give them, nor lacks one it does. Asked of
    // the model's members only: that nobody else is a member is the members check above, and a
    // non-member's answer is `not_found` by rule 1 (checked on every non-member at the end of a
    // sequence).
    await Promise.all(
      model.users.map(async (user, u) => {
        if (only && !org.members.has(user.id)) return
        const want = wantedSummary(model, org.id, user.id)
        const got = await summaryOf(
          orgkit,
          { type: 'user', userId: user.id, email: user.email, emailVerified: true },
          org.id,
        )
        same(step, `u${u}'s permissions in ${where}`, got, want)
      }),
    )
  }
  // One organization at most holds a domain verified (the model's rule; each organization's
  // domains were compared above).
  const verified = model.domains.filter((d) => d.status === 'verified').map((d) => d.name)
  if (new Set(verified).size !== verified.length) throw new Error(`${step}: a domain is verified twice`)
  // What a deleted organization owned is gone: its id is not found, its keys authenticate no more.
  await Promise.all([
    ...model.deleted.orgIds.map(async (id) => {
      const gone = await system.organizations.get(id).then(
        () => 'found',
        (error: unknown) => (isOrgkitError(error) ? error.code : 'thrown'),
      )
      same(step, `deleted organization ${id}`, gone, 'not_found')
    }),
    ...model.deleted.keySecrets.map(async (secret, k) => {
      const answer = await orgkit.authenticateApiKey(secret).then(
        () => 'authenticated',
        (error: unknown) => (isOrgkitError(error) ? error.code : 'thrown'),
      )
      same(step, `deleted organization's key${k}`, answer, 'unauthenticated')
    }),
  ])
  await Promise.all(
    model.keys.map(async (key, k) => {
      if (only && !only.has(key.orgId)) return
      const want = keyPermissions(model, key)
      let got: string | null
      try {
        got = sorted((await orgkit.authenticateApiKey(key.secret)).permissions)
      } catch (error) {
        if (!isOrgkitError(error) || error.code !== 'unauthenticated') throw error
        got = null
      }
      same(step, `key${k}'s permissions`, String(got), String(want === null ? null : sorted(want)))
    }),
  )
}

type Listed<K extends 'domains' | 'joinRequests' | 'invitationLinks'> = Awaited<
  ReturnType<ReturnType<Orgkit['as']>[K]['list']>
>['data']

/**
 * An organization's domains (never granting `owner`), join requests (one pending per user at
 * most) and links (never used past `maxUses`) against the model's.
 */
function checkEnrollment(
  model: Model,
  orgId: string,
  where: string,
  step: string,
  domains: Listed<'domains'>,
  requests: Listed<'joinRequests'>,
  links: Listed<'invitationLinks'>,
): void {
  same(
    step,
    `${where} domains`,
    sorted(domains.map((d) => `${d.domain}:${d.status}:${d.enrollment}:${d.role}`)),
    sorted(
      model.domains.filter((d) => d.orgId === orgId).map((d) => `${d.name}:${d.status}:${d.enrollment}:${d.role}`),
    ),
  )
  if (domains.some((d) => d.role === OWNER)) throw new Error(`${step}: ${where} has a domain granting owner`)
  same(
    step,
    `${where} join requests`,
    sorted(requests.map((r) => `${r.id}:${r.userId}:${r.status}`)),
    sorted(model.joinRequests.filter((r) => r.orgId === orgId).map((r) => `${r.id}:${r.userId}:${r.status}`)),
  )
  const pendingRequesters = requests.filter((r) => r.status === 'pending').map((r) => r.userId)
  if (new Set(pendingRequesters).size !== pendingRequesters.length) {
    throw new Error(`${step}: ${where} has two pending join requests from one user`)
  }
  same(
    step,
    `${where} invitation links`,
    sorted(links.map((l) => `${l.id}:${l.role}:${l.uses}:${l.revokedAt === null ? 'live' : 'revoked'}`)),
    sorted(
      model.links
        .filter((l) => l.orgId === orgId)
        .map((l) => `${l.id}:${l.role}:${l.uses}:${l.revoked ? 'revoked' : 'live'}`),
    ),
  )
  for (const link of links) {
    if (link.maxUses !== null && link.uses > link.maxUses) throw new Error(`${step}: ${where} link used past maxUses`)
  }
}

/** `role | permissions | teamId:teamRole:permissions…`, or `not_found`. */
async function summaryOf(orgkit: Orgkit, actor: Actor, orgId: string): Promise<string> {
  try {
    const summary = await orgkit.as(actor).organizations.permissions(orgId)
    const teams = summary.teams.map((t) => `${t.teamId}:${t.role}:${sorted(t.permissions)}`)
    return `${summary.role} | ${sorted(summary.permissions)} | ${sorted(teams)}`
  } catch (error) {
    if (isOrgkitError(error)) return error.code
    throw error
  }
}

function wantedSummary(model: Model, orgId: string, userId: string): string {
  const org = model.orgs.find((o) => o.id === orgId)!
  const role = org.members.get(userId)
  if (role === undefined) return 'not_found'
  const teams = model.teams
    .filter((t) => t.orgId === orgId && t.members.has(userId))
    .map((t) => {
      const teamRole = t.members.get(userId)!
      return `${t.id}:${teamRole}:${sorted(TEAM_ROLES.get(teamRole) ?? [])}`
    })
  return `${role} | ${sorted(rolePermissions(org, role))} | ${sorted(teams)}`
}
