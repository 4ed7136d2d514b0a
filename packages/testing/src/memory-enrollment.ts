/**
 * The enrollment repositories of the in-memory storage (see memory-storage.ts, whose
 * transaction and copy rules they live under): domains with the global "verified by"
 * lookup, and join requests.
 */
import type {
  DomainPatch,
  DomainRecord,
  DomainRepository,
  InvitationLinkRecord,
  InvitationLinkRepository,
  JoinRequestRecord,
  JoinRequestRepository,
  JoinRequestStatus,
  Page,
  PageInput,
} from '@orgkit/core'

export interface EnrollmentTables {
  /** Keyed (organization, domain). */
  domains: Map<string, DomainRecord>
  /** The global verified domain → organization lookup. */
  verifiedDomains: Map<string, { organizationId: string }>
  /** Keyed (organization, id). */
  joinRequests: Map<string, JoinRequestRecord>
  /** Keyed (organization, id). */
  invitationLinks: Map<string, InvitationLinkRecord>
  /** The global token hash → link lookup. */
  invitationLinkTokens: Map<string, { organizationId: string; id: string }>
}

export function emptyEnrollmentTables(): EnrollmentTables {
  return {
    domains: new Map(),
    verifiedDomains: new Map(),
    joinRequests: new Map(),
    invitationLinks: new Map(),
    invitationLinkTokens: new Map(),
  }
}

/** What the enrollment repositories borrow from the storage they are part of. */
export interface MemoryTools {
  op: <A extends unknown[], R>(body: (...args: A) => R) => (...args: A) => Promise<R>
  store: <T extends object>(row: T) => T
  key: (...parts: string[]) => string
  keysetPage: <T>(
    rows: T[],
    page: PageInput,
    order: 'asc' | 'desc',
    keyOf: (row: T) => { at: Date; id: string },
  ) => Page<T>
}

export function enrollmentRepositories(
  t: EnrollmentTables,
  { op, store, key, keysetPage }: MemoryTools,
): { domains: DomainRepository; joinRequests: JoinRequestRepository; invitationLinks: InvitationLinkRepository } {
  const findRequestById = (id: string) => [...t.joinRequests.values()].find((request) => request.id === id)
  return {
    domains: {
      insert: op((domain: DomainRecord) => {
        if (t.domains.has(key(domain.organizationId, domain.domain))) return false
        t.domains.set(key(domain.organizationId, domain.domain), store(domain))
        return true
      }),
      find: op((organizationId: string, domain: string) => t.domains.get(key(organizationId, domain)) ?? null),
      list: op((organizationId: string, page: PageInput) =>
        keysetPage(
          [...t.domains.values()].filter((row) => row.organizationId === organizationId),
          page,
          'asc',
          (row) => ({ at: row.createdAt, id: row.domain }),
        ),
      ),
      markVerified: op((organizationId: string, domain: string, now: Date) => {
        const current = t.domains.get(key(organizationId, domain))
        if (current === undefined) return null
        if (current.status === 'verified') return current
        const holder = t.verifiedDomains.get(domain)
        if (holder !== undefined && holder.organizationId !== organizationId) return 'taken' as const
        t.verifiedDomains.set(domain, store({ organizationId }))
        const verified = store({ ...current, status: 'verified' as const, verifiedAt: now, updatedAt: now })
        t.domains.set(key(organizationId, domain), verified)
        return verified
      }),
      update: op((organizationId: string, domain: string, patch: DomainPatch, now: Date) => {
        const current = t.domains.get(key(organizationId, domain))
        if (current === undefined) return null
        const updated = store({
          ...current,
          ...(patch.enrollment === undefined ? {} : { enrollment: patch.enrollment }),
          ...(patch.role === undefined ? {} : { role: patch.role }),
          updatedAt: now,
        })
        t.domains.set(key(organizationId, domain), updated)
        return updated
      }),
      closeWithRole: op((organizationId: string, role: string, fallbackRole: string, now: Date) => {
        const granting = [...t.domains.values()].filter(
          (row) => row.organizationId === organizationId && row.role === role,
        )
        for (const row of granting) {
          t.domains.set(
            key(organizationId, row.domain),
            store({ ...row, enrollment: 'none' as const, role: fallbackRole, updatedAt: now }),
          )
        }
        return granting.length
      }),
      delete: op((organizationId: string, domain: string) => {
        if (!t.domains.delete(key(organizationId, domain))) return false
        if (t.verifiedDomains.get(domain)?.organizationId === organizationId) t.verifiedDomains.delete(domain)
        return true
      }),
      findVerifiedHolder: op((domain: string) => t.verifiedDomains.get(domain)?.organizationId ?? null),
    },

    joinRequests: {
      insert: op((request: JoinRequestRecord) => {
        const pending = [...t.joinRequests.values()].some(
          (other) =>
            other.organizationId === request.organizationId &&
            other.userId === request.userId &&
            other.status === 'pending',
        )
        if ((request.status === 'pending' && pending) || findRequestById(request.id)) return false
        t.joinRequests.set(key(request.organizationId, request.id), store(request))
        return true
      }),
      find: op((organizationId: string, id: string) => t.joinRequests.get(key(organizationId, id)) ?? null),
      locate: op((id: string) => findRequestById(id)?.organizationId ?? null),
      list: op((organizationId: string, filter: { status?: JoinRequestStatus | undefined }, page: PageInput) =>
        keysetPage(
          [...t.joinRequests.values()].filter(
            (row) =>
              row.organizationId === organizationId && (filter.status === undefined || row.status === filter.status),
          ),
          page,
          'desc',
          (row) => ({ at: row.createdAt, id: row.id }),
        ),
      ),
      listForUser: op((userId: string, page: PageInput) =>
        keysetPage(
          [...t.joinRequests.values()].filter((row) => row.userId === userId),
          page,
          'desc',
          (row) => ({ at: row.createdAt, id: row.id }),
        ),
      ),
      decide: op(
        (
          organizationId: string,
          id: string,
          change: { to: 'approved' | 'denied' | 'withdrawn'; role: string | null; decidedBy: string; now: Date },
        ) => {
          const current = t.joinRequests.get(key(organizationId, id))
          if (current === undefined || current.status !== 'pending') return false
          t.joinRequests.set(
            key(organizationId, id),
            store({
              ...current,
              status: change.to,
              role: change.role,
              decidedBy: change.decidedBy,
              decidedAt: change.now,
              updatedAt: change.now,
            }),
          )
          return true
        },
      ),
    },

    invitationLinks: {
      insert: op((link: InvitationLinkRecord) => {
        t.invitationLinks.set(key(link.organizationId, link.id), store(link))
        t.invitationLinkTokens.set(link.tokenHash, store({ organizationId: link.organizationId, id: link.id }))
      }),
      find: op((organizationId: string, id: string) => t.invitationLinks.get(key(organizationId, id)) ?? null),
      locate: op((tokenHash: string) => t.invitationLinkTokens.get(tokenHash) ?? null),
      list: op((organizationId: string, page: PageInput) =>
        keysetPage(
          [...t.invitationLinks.values()].filter((row) => row.organizationId === organizationId),
          page,
          'desc',
          (row) => ({ at: row.createdAt, id: row.id }),
        ),
      ),
      revoke: op((organizationId: string, id: string, now: Date) => {
        const current = t.invitationLinks.get(key(organizationId, id))
        if (current === undefined) return null
        if (current.revokedAt !== null) return current
        const revoked = store({ ...current, revokedAt: now })
        t.invitationLinks.set(key(organizationId, id), revoked)
        return revoked
      }),
      revokeWithRole: op((organizationId: string, role: string, now: Date) => {
        const granting = [...t.invitationLinks.values()].filter(
          (row) => row.organizationId === organizationId && row.role === role && row.revokedAt === null,
        )
        for (const row of granting)
          t.invitationLinks.set(key(organizationId, row.id), store({ ...row, revokedAt: now }))
        return granting.length
      }),
      consume: op((organizationId: string, id: string, now: Date) => {
        const current = t.invitationLinks.get(key(organizationId, id))
        if (
          current === undefined ||
          current.revokedAt !== null ||
          (current.expiresAt !== null && current.expiresAt.getTime() <= now.getTime()) ||
          (current.maxUses !== null && current.uses >= current.maxUses)
        ) {
          return false
        }
        t.invitationLinks.set(key(organizationId, id), store({ ...current, uses: current.uses + 1 }))
        return true
      }),
    },
  }
}
