/**
 * The enrollment repositories of the storage port (`domains`, `joinRequests`, invitation
 * links) held to their doc comments: part of the storage conformance suite.
 */
import {
  createId,
  type DomainRecord,
  hashSecret,
  type InvitationLinkRecord,
  type JoinRequestRecord,
  type OrganizationRecord,
  pageInput,
  type Storage,
} from '@orgkit/core'
import { describe, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { at, organization as sharedOrganization, T0 } from './fixtures'

/** An organization record with empty metadata, as enrollment's cases create them. */
const organization = (slug: string): OrganizationRecord =>
  sharedOrganization(slug, { metadata: {}, privateMetadata: {} })

export function domainRecord(
  organizationId: string,
  domain: string,
  overrides: Partial<DomainRecord> = {},
): DomainRecord {
  return {
    organizationId,
    domain,
    status: 'pending',
    enrollment: 'none',
    role: 'member',
    verificationValue: `orgkit-verification=${domain}`,
    verifiedAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

export function joinRequestRecord(
  organizationId: string,
  userId: string,
  overrides: Partial<JoinRequestRecord> = {},
): JoinRequestRecord {
  return {
    id: createId('joinRequest'),
    organizationId,
    userId,
    email: `${userId}@acme.com`,
    domain: 'acme.com',
    status: 'pending',
    role: null,
    decidedBy: null,
    decidedAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

export function invitationLinkRecord(
  organizationId: string,
  overrides: Partial<InvitationLinkRecord> = {},
): InvitationLinkRecord {
  return {
    id: createId('invitationLink'),
    organizationId,
    role: 'member',
    tokenHash: hashSecret(createId('invitationLink')),
    expiresAt: null,
    maxUses: null,
    uses: 0,
    domain: null,
    createdBy: 'ann',
    createdAt: T0,
    revokedAt: null,
    ...overrides,
  }
}

/** Registers the enrollment checks on the storage `current()` returns (set up by the caller's `beforeAll`). */
/** Verified domains, join requests and invitation links. */
export function enrollmentConformance(t: ConformanceContext): void {
  runEnrollmentConformance(() => t.storage)
}

function runEnrollmentConformance(current: () => Storage): void {
  const page = (limit = 20, cursor?: string) => pageInput({ limit, cursor })
  const newOrganization = async (slug: string) => {
    const org = organization(slug)
    expect(await current().organizations.insert(org)).toBe('inserted')
    return org
  }

  describe('domains', () => {
    it('one row per (organization, domain), listed oldest first, scoped to the organization', async () => {
      const storage = current()
      const a = await newOrganization('dom-a')
      const b = await newOrganization('dom-b')
      expect(await storage.domains.insert(domainRecord(a.id, 'acme.com', { createdAt: at(2), updatedAt: at(2) }))).toBe(
        true,
      )
      expect(await storage.domains.insert(domainRecord(a.id, 'acme.com'))).toBe(false)
      expect(await storage.domains.insert(domainRecord(a.id, 'acme.org', { createdAt: at(1), updatedAt: at(1) }))).toBe(
        true,
      )
      expect(await storage.domains.insert(domainRecord(b.id, 'acme.com'))).toBe(true)
      expect(await storage.domains.find(a.id, 'acme.com')).toEqual(
        domainRecord(a.id, 'acme.com', { createdAt: at(2), updatedAt: at(2) }),
      )
      expect(await storage.domains.find(b.id, 'acme.org')).toBeNull()
      const first = await storage.domains.list(a.id, page(1))
      expect(first.data.map((d) => d.domain)).toEqual(['acme.org'])
      const second = await storage.domains.list(a.id, page(1, first.nextCursor ?? undefined))
      expect(second.data.map((d) => d.domain)).toEqual(['acme.com'])
      expect(second.hasMore).toBe(false)

      const updated = await storage.domains.update(a.id, 'acme.com', { enrollment: 'suggest', role: 'admin' }, at(5))
      expect(updated).toMatchObject({ enrollment: 'suggest', role: 'admin', updatedAt: at(5), status: 'pending' })
      expect(await storage.domains.find(b.id, 'acme.com')).toMatchObject({ enrollment: 'none', role: 'member' })
      expect(await storage.domains.update(b.id, 'acme.org', { role: 'admin' }, at(5))).toBeNull()
    })

    it('of concurrent verifications of one domain by different organizations exactly one holds it', async () => {
      const storage = current()
      const orgs = await Promise.all(['ver-a', 'ver-b', 'ver-c', 'ver-d'].map((slug) => newOrganization(slug)))
      for (const org of orgs) await storage.domains.insert(domainRecord(org.id, 'contested.com'))
      const outcomes = await Promise.all(
        orgs.map((org) => storage.domains.markVerified(org.id, 'contested.com', at(9))),
      )
      const winners = outcomes.filter((outcome) => outcome !== 'taken' && outcome !== null)
      expect(winners).toHaveLength(1)
      expect(outcomes.filter((outcome) => outcome === 'taken')).toHaveLength(orgs.length - 1)
      const holder = await storage.domains.findVerifiedHolder('contested.com')
      expect(holder).toBe((winners[0] as DomainRecord).organizationId)
      expect(winners[0]).toMatchObject({ status: 'verified', verifiedAt: at(9) })
      // Verifying again returns the row as it is; a missing domain is null.
      expect(await storage.domains.markVerified(holder as string, 'contested.com', at(20))).toMatchObject({
        verifiedAt: at(9),
      })
      expect(await storage.domains.markVerified(holder as string, 'missing.com', at(20))).toBeNull()

      // Deleting a loser's row releases nothing; deleting the holder's releases the claim.
      const loser = orgs.find((org) => org.id !== holder) as OrganizationRecord
      expect(await storage.domains.delete(loser.id, 'contested.com')).toBe(true)
      expect(await storage.domains.findVerifiedHolder('contested.com')).toBe(holder)
      expect(await storage.domains.delete(holder as string, 'contested.com')).toBe(true)
      expect(await storage.domains.delete(holder as string, 'contested.com')).toBe(false)
      expect(await storage.domains.findVerifiedHolder('contested.com')).toBeNull()
      const next = orgs.find((org) => org.id !== holder && org.id !== loser.id) as OrganizationRecord
      expect(await storage.domains.markVerified(next.id, 'contested.com', at(30))).toMatchObject({ status: 'verified' })
    })
  })

  describe('join requests', () => {
    it('one pending request per (organization, user), even under concurrency; decided by exactly one caller', async () => {
      const storage = current()
      const org = await newOrganization('jr-a')
      const other = await newOrganization('jr-b')
      const attempts = await Promise.all(
        Array.from({ length: 6 }, () => storage.joinRequests.insert(joinRequestRecord(org.id, 'bob'))),
      )
      expect(attempts.filter(Boolean)).toHaveLength(1)
      expect(await storage.joinRequests.insert(joinRequestRecord(other.id, 'bob'))).toBe(true)
      const [pending] = (await storage.joinRequests.list(org.id, { status: 'pending' }, page())).data
      expect(pending).toMatchObject({ userId: 'bob', status: 'pending', organizationId: org.id })
      const id = (pending as JoinRequestRecord).id
      expect(await storage.joinRequests.locate(id)).toBe(org.id)
      expect(await storage.joinRequests.find(other.id, id)).toBeNull()

      const decisions = await Promise.all([
        storage.joinRequests.decide(org.id, id, { to: 'approved', role: 'member', decidedBy: 'ann', now: at(3) }),
        storage.joinRequests.decide(org.id, id, { to: 'denied', role: null, decidedBy: 'ann', now: at(3) }),
        storage.joinRequests.decide(org.id, id, { to: 'withdrawn', role: null, decidedBy: 'bob', now: at(3) }),
      ])
      expect(decisions.filter(Boolean)).toHaveLength(1)
      expect((await storage.joinRequests.find(org.id, id))?.status).not.toBe('pending')
      // Decided, the slot is free: a new request may be made.
      expect(
        await storage.joinRequests.insert(joinRequestRecord(org.id, 'bob', { createdAt: at(4), updatedAt: at(4) })),
      ).toBe(true)
      expect(
        await storage.joinRequests.decide(other.id, id, { to: 'denied', role: null, decidedBy: 'ann', now: at(5) }),
      ).toBe(false)
    })

    it("lists an organization's requests and a user's own, newest first", async () => {
      const storage = current()
      const a = await newOrganization('jr-list-a')
      const b = await newOrganization('jr-list-b')
      const first = joinRequestRecord(a.id, 'cat', { createdAt: at(1), updatedAt: at(1) })
      const second = joinRequestRecord(b.id, 'cat', { createdAt: at(2), updatedAt: at(2) })
      const third = joinRequestRecord(a.id, 'dan', { createdAt: at(3), updatedAt: at(3) })
      for (const request of [first, second, third]) expect(await storage.joinRequests.insert(request)).toBe(true)
      expect((await storage.joinRequests.list(a.id, {}, page())).data.map((r) => r.id)).toEqual([third.id, first.id])
      await storage.joinRequests.decide(a.id, first.id, { to: 'denied', role: null, decidedBy: 'ann', now: at(4) })
      expect((await storage.joinRequests.list(a.id, { status: 'denied' }, page())).data.map((r) => r.id)).toEqual([
        first.id,
      ])
      const mine = await storage.joinRequests.listForUser('cat', page(1))
      expect(mine.data.map((r) => r.id)).toEqual([second.id])
      const rest = await storage.joinRequests.listForUser('cat', page(1, mine.nextCursor ?? undefined))
      expect(rest.data).toMatchObject([{ id: first.id, status: 'denied', decidedBy: 'ann', decidedAt: at(4) }])
    })

    it('invitation links: a token lookup, a revoke, and uses counted up to maxUses under concurrency', async () => {
      const storage = current()
      const org = await newOrganization('links-a')
      const other = await newOrganization('links-b')
      const link = invitationLinkRecord(org.id, { maxUses: 3 })
      await storage.invitationLinks.insert(link)
      expect(await storage.invitationLinks.find(org.id, link.id)).toEqual(link)
      expect(await storage.invitationLinks.find(other.id, link.id)).toBeNull()
      expect(await storage.invitationLinks.locate(link.tokenHash)).toEqual({ organizationId: org.id, id: link.id })
      expect(await storage.invitationLinks.locate('missing')).toBeNull()

      const uses = await Promise.all(
        Array.from({ length: 8 }, () => storage.invitationLinks.consume(org.id, link.id, at(1))),
      )
      expect(uses.filter(Boolean)).toHaveLength(3)
      expect((await storage.invitationLinks.find(org.id, link.id))?.uses).toBe(3)
      expect(await storage.invitationLinks.consume(other.id, link.id, at(1))).toBe(false)

      const open = invitationLinkRecord(org.id, { createdAt: at(5), expiresAt: at(10) })
      await storage.invitationLinks.insert(open)
      expect(await storage.invitationLinks.consume(org.id, open.id, at(9))).toBe(true)
      expect(await storage.invitationLinks.consume(org.id, open.id, at(10))).toBe(false)
      const listed = await storage.invitationLinks.list(org.id, page(1))
      expect(listed.data.map((l) => l.id)).toEqual([open.id])
      expect(
        (await storage.invitationLinks.list(org.id, page(1, listed.nextCursor ?? undefined))).data.map((l) => l.id),
      ).toEqual([link.id])

      const unlimited = invitationLinkRecord(org.id)
      await storage.invitationLinks.insert(unlimited)
      expect(await storage.invitationLinks.revoke(other.id, unlimited.id, at(2))).toBeNull()
      expect(await storage.invitationLinks.revoke(org.id, unlimited.id, at(2))).toMatchObject({ revokedAt: at(2) })
      expect(await storage.invitationLinks.revoke(org.id, unlimited.id, at(3))).toMatchObject({ revokedAt: at(2) })
      expect(await storage.invitationLinks.consume(org.id, unlimited.id, at(3))).toBe(false)
    })

    it('a deleted role: revokeWithRole revokes the links granting it, closeWithRole closes the domains, in one organization', async () => {
      const storage = current()
      const org = await newOrganization('stale-role-a')
      const other = await newOrganization('stale-role-b')
      const granting = invitationLinkRecord(org.id, { role: 'billing' })
      const revoked = invitationLinkRecord(org.id, { role: 'billing', revokedAt: at(1) })
      const members = invitationLinkRecord(org.id)
      const elsewhere = invitationLinkRecord(other.id, { role: 'billing' })
      for (const link of [granting, revoked, members, elsewhere]) await storage.invitationLinks.insert(link)
      expect(await storage.invitationLinks.revokeWithRole(org.id, 'billing', at(9))).toBe(1)
      expect(await storage.invitationLinks.revokeWithRole(org.id, 'billing', at(10))).toBe(0)
      expect(await storage.invitationLinks.find(org.id, granting.id)).toMatchObject({ revokedAt: at(9) })
      expect(await storage.invitationLinks.find(org.id, revoked.id)).toMatchObject({ revokedAt: at(1) })
      expect(await storage.invitationLinks.find(org.id, members.id)).toMatchObject({ revokedAt: null })
      expect(await storage.invitationLinks.find(other.id, elsewhere.id)).toMatchObject({ revokedAt: null })

      const open = { enrollment: 'auto' as const, role: 'billing' }
      await storage.domains.insert(domainRecord(org.id, 'billing-a.com', open))
      await storage.domains.insert(domainRecord(org.id, 'members-a.com', { enrollment: 'suggest' }))
      await storage.domains.insert(domainRecord(other.id, 'billing-b.com', open))
      expect(await storage.domains.closeWithRole(org.id, 'billing', 'member', at(11))).toBe(1)
      expect(await storage.domains.find(org.id, 'billing-a.com')).toMatchObject({
        enrollment: 'none',
        role: 'member',
        updatedAt: at(11),
      })
      expect(await storage.domains.find(org.id, 'members-a.com')).toMatchObject({
        enrollment: 'suggest',
        role: 'member',
      })
      expect(await storage.domains.find(other.id, 'billing-b.com')).toMatchObject({
        enrollment: 'auto',
        role: 'billing',
      })
      expect(await storage.domains.closeWithRole(org.id, 'billing', 'member', at(12))).toBe(0)
    })

    it('deleting an organization removes its domains, claims and join requests, lookups included', async () => {
      const storage = current()
      const org = await newOrganization('enroll-doomed')
      await storage.domains.insert(domainRecord(org.id, 'doomed.com'))
      await storage.domains.markVerified(org.id, 'doomed.com', at(1))
      const request = joinRequestRecord(org.id, 'zed')
      await storage.joinRequests.insert(request)
      const link = invitationLinkRecord(org.id)
      await storage.invitationLinks.insert(link)
      expect(await storage.organizations.delete(org.id)).toBe(true)
      expect(await storage.invitationLinks.locate(link.tokenHash)).toBeNull()
      expect(await storage.invitationLinks.find(org.id, link.id)).toBeNull()
      expect(await storage.domains.find(org.id, 'doomed.com')).toBeNull()
      expect(await storage.domains.findVerifiedHolder('doomed.com')).toBeNull()
      expect(await storage.joinRequests.locate(request.id)).toBeNull()
      expect((await storage.joinRequests.listForUser('zed', page())).data).toEqual([])
    })
  })
}
