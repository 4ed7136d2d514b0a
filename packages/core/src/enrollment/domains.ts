import type { Access } from '../authorization/access'
import { assertMayGrant, assignableRole, authorize, authorizedPage, authorizeForUpdate } from '../authorization/access'
import { OWNER_ROLE } from '../authorization/permissions'
import type { RoleSet } from '../authorization/resolver'
import type { Context } from '../runtime/context'
import { mutate } from '../runtime/unit-of-work'
import { notFound, OrgkitError } from '../shared/errors'
import { type Page, pageInput } from '../shared/pagination'
import { randomSecret } from '../shared/secrets'
import type { Actor } from '../shared/types'
import { parseInput } from '../shared/validate'
import type { DomainPatch, DomainRecord, DomainStatus, EnrollmentMode } from '../storage/enrollment'
import { canonicalDomain, claimableDomain } from './domain-name'
import { enrollmentRules } from './rules'
import {
  type AddDomainInput,
  addDomainSchema,
  type ListDomainsInput,
  listDomainsSchema,
  type UpdateDomainInput,
  updateDomainSchema,
} from './schemas'

/** A domain as callers see it, with the TXT record that proves it. */
export interface DomainView {
  organizationId: string
  domain: string
  status: DomainStatus
  enrollment: EnrollmentMode
  role: string
  verification: { type: 'dns_txt'; name: string; value: string }
  verifiedAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** The verification value: 128 random bits, recognizable in a zone file. */
const verificationValue = () => `orgkit-verification=${randomSecret(16)}`

export function toDomainView(ctx: Context, record: DomainRecord): DomainView {
  return {
    organizationId: record.organizationId,
    domain: record.domain,
    status: record.status,
    enrollment: record.enrollment,
    role: record.role,
    verification: {
      type: 'dns_txt',
      name: `${ctx.enrollment.verificationRecordName}.${record.domain}`,
      value: record.verificationValue,
    },
    verifiedAt: record.verifiedAt,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  }
}

/** `{domain}` in a path: normalized as it was when added, so `Acme.com.` names `acme.com`; anything else is no domain of ours. */
function domainKey(input: string): string {
  const domain = canonicalDomain(input)
  if (domain === null) throw notFound('Domain not found.')
  return domain
}

/**
 * The role a domain grants, checked as any grant is: a role of the organization, never
 * `owner` (nobody becomes an owner by having an address), and one the manager holds every
 * permission of (no escalation through a domain).
 */
export function assertDomainRole(access: Access, roles: RoleSet, key: string): string {
  const role = assignableRole(roles, key)
  if (role.key === OWNER_ROLE) throw new OrgkitError('forbidden', 'A domain cannot grant the owner role.')
  assertMayGrant(access, role)
  return role.key
}

export async function listDomains(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: ListDomainsInput = {},
): Promise<Page<DomainView>> {
  const { limit, cursor } = parseInput(listDomainsSchema, input)
  const page = pageInput({ limit, cursor })
  const read = { list: 'domains', input: [page] } as const
  const found = await authorizedPage(ctx, ctx.storage, actor, ref, enrollmentRules.listDomains, read)
  return { ...found, data: found.data.map((record) => toDomainView(ctx, record)) }
}

export async function addDomain(ctx: Context, actor: Actor, ref: string, input: AddDomainInput): Promise<DomainView> {
  const data = parseInput(addDomainSchema, input)
  const domain = claimableDomain(data.domain, ctx.enrollment.consumerMailDomains)
  const added = await mutate(ctx, actor, async ({ tx, now, record }) => {
    const { organization } = await authorizeForUpdate(ctx, tx, actor, ref, enrollmentRules.addDomain)
    if (organization.type === 'personal') {
      throw new OrgkitError('conflict', 'A personal organization has no other members to enroll.')
    }
    const holder = await tx.domains.findVerifiedHolder(domain)
    if (holder !== null && holder !== organization.id) {
      throw new OrgkitError('conflict', `${domain} is verified by another organization.`)
    }
    const created: DomainRecord = {
      organizationId: organization.id,
      domain,
      status: 'pending',
      enrollment: 'none',
      role: ctx.defaultRole,
      verificationValue: verificationValue(),
      verifiedAt: null,
      createdAt: now,
      updatedAt: now,
    }
    if (!(await tx.domains.insert(created))) {
      throw new OrgkitError('conflict', `${domain} is already one of this organization's domains.`)
    }
    await record({
      organizationId: organization.id,
      action: 'domain.added',
      target: { type: 'domain', id: domain },
      changes: { domain },
    })
    return created
  })
  return toDomainView(ctx, added)
}

/** The TXT values found at `name`, each record's strings joined as DNS means them. */
async function txtValues(ctx: Context, name: string): Promise<string[]> {
  try {
    return (await ctx.enrollment.resolveTxt(name)).map((chunks) => chunks.join(''))
  } catch (error) {
    ctx.reportError(error, { action: 'domain.verify' })
    throw new OrgkitError('domain_unverified', `The DNS lookup of ${name} failed; try again later.`)
  }
}

export async function verifyDomain(ctx: Context, actor: Actor, ref: string, input: string): Promise<DomainView> {
  const domain = domainKey(input)
  // Checked and read before the lookup: the DNS query runs outside any transaction, so a
  // slow name server holds no lock.
  const { organization } = await authorize(ctx, ctx.storage, actor, ref, enrollmentRules.verifyDomain)
  const current = await ctx.storage.domains.find(organization.id, domain)
  if (!current) throw notFound('Domain not found.')
  if (current.status === 'verified') return toDomainView(ctx, current)
  const name = `${ctx.enrollment.verificationRecordName}.${domain}`
  const found = await txtValues(ctx, name)
  if (!found.includes(current.verificationValue)) {
    throw new OrgkitError(
      'domain_unverified',
      found.length === 0
        ? `No TXT record was found at ${name}.`
        : `The TXT records at ${name} do not include the expected value.`,
      { details: found.slice(0, 10).map((value, index) => ({ path: `found.${index}`, message: value })) },
    )
  }
  const verified = await mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, organization.id, enrollmentRules.verifyDomain)
    const row = await tx.domains.find(access.organization.id, domain)
    // Removed and added again meanwhile: the record found proves the old value, not the new one.
    if (!row || row.verificationValue !== current.verificationValue) throw notFound('Domain not found.')
    if (row.status === 'verified') return row
    // The global claim decides between organizations verifying one domain at once.
    const marked = await tx.domains.markVerified(access.organization.id, domain, now)
    if (marked === null) throw notFound('Domain not found.')
    if (marked === 'taken') throw new OrgkitError('conflict', `${domain} is verified by another organization.`)
    await record({
      organizationId: access.organization.id,
      action: 'domain.verified',
      target: { type: 'domain', id: domain },
      changes: { domain },
    })
    return marked
  })
  return toDomainView(ctx, verified)
}

export async function updateDomain(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: string,
  patchInput: UpdateDomainInput,
): Promise<DomainView> {
  const domain = domainKey(input)
  const data = parseInput(updateDomainSchema, patchInput)
  const updated = await mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, enrollmentRules.updateDomain)
    const current = await tx.domains.find(access.organization.id, domain)
    if (!current) throw notFound('Domain not found.')
    const enrollment = data.enrollment ?? current.enrollment
    // Whoever opens the domain, makes it grant its role without an approval (auto), or
    // changes what it grants, must be able to grant its role: under suggest each request is
    // approved by someone who may grant it, under auto nobody looks again.
    const grants =
      data.role !== undefined ||
      (enrollment !== 'none' && current.enrollment === 'none') ||
      (enrollment === 'auto' && current.enrollment !== 'auto')
    const role = grants ? assertDomainRole(access, access.roles, data.role ?? current.role) : current.role
    if (enrollment !== 'none' && current.status !== 'verified') {
      throw new OrgkitError('domain_unverified', 'Only a verified domain can let users join or ask to join.')
    }
    const patch: DomainPatch = {}
    const changes: { domain: string; enrollment?: { from: EnrollmentMode; to: EnrollmentMode } } & {
      role?: { from: string; to: string }
    } = { domain }
    if (enrollment !== current.enrollment) {
      patch.enrollment = enrollment
      changes.enrollment = { from: current.enrollment, to: enrollment }
    }
    if (role !== current.role) {
      patch.role = role
      changes.role = { from: current.role, to: role }
    }
    if (patch.enrollment === undefined && patch.role === undefined) return current
    const next = await tx.domains.update(access.organization.id, domain, patch, now)
    if (!next) throw notFound('Domain not found.')
    await record({
      organizationId: access.organization.id,
      action: 'domain.updated',
      target: { type: 'domain', id: domain },
      changes,
    })
    return next
  })
  return toDomainView(ctx, updated)
}

export async function removeDomain(ctx: Context, actor: Actor, ref: string, input: string): Promise<void> {
  const domain = domainKey(input)
  await mutate(ctx, actor, async ({ tx, record }) => {
    const { organization } = await authorizeForUpdate(ctx, tx, actor, ref, enrollmentRules.removeDomain)
    const current = await tx.domains.find(organization.id, domain)
    if (!current || !(await tx.domains.delete(organization.id, domain))) throw notFound('Domain not found.')
    await record({
      organizationId: organization.id,
      action: 'domain.removed',
      target: { type: 'domain', id: domain },
      changes: { domain, status: current.status },
    })
  })
}

/** An organization's email domains, as `orgkit.as(actor).domains`. */
export function domainsApi(ctx: Context, actor: Actor) {
  return {
    /** The organization's domains, oldest first, each with its TXT record. Needs `domains.read`. */
    list: (org: string, input?: ListDomainsInput): Promise<Page<DomainView>> => listDomains(ctx, actor, org, input),
    /**
     * Claims a domain (pending until verified). Refuses public suffixes, IP addresses, single
     * labels and consumer mail providers (400), and a domain another organization holds verified (409).
     */
    add: (org: string, input: AddDomainInput): Promise<DomainView> => addDomain(ctx, actor, org, input),
    /** Looks the TXT record up now: verified, or `domain_unverified` with what was found. */
    verify: (org: string, domain: string): Promise<DomainView> => verifyDomain(ctx, actor, org, domain),
    /** Sets the enrollment (`none`, `suggest`, `auto`; only a verified domain leaves `none`) and the role. */
    update: (org: string, domain: string, input: UpdateDomainInput): Promise<DomainView> =>
      updateDomain(ctx, actor, org, domain, input),
    /** Removes the domain and releases its verification for other organizations. */
    remove: (org: string, domain: string): Promise<void> => removeDomain(ctx, actor, org, domain),
  }
}

export type DomainsApi = ReturnType<typeof domainsApi>
