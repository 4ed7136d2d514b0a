import type { DomainRecord, DomainRepository, DomainStatus, EnrollmentMode, PageInput } from '@orgkit/core'
import type { Kysely, Selectable, Updateable } from 'kysely'
import { affected } from '../codec'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import { type KeysetRead, readKeysetPage } from '../keyset'
import type { DomainsTable, OrgkitDatabase } from '../schema'

/**
 * An organization's domains live in its own table, `domains`; `verified_domains` holds each
 * verified domain once, with the organization holding it. Its primary key is the domain, so
 * "one organization holds a domain verified" is the database's constraint: of two
 * organizations verifying one domain at once, exactly one insert succeeds. Discovery reads
 * it first (one global key) and then the organization's row: two single-shard statements.
 */
export function domainRepository(context: StorageContext): DomainRepository {
  const { db, dialect, atomic } = context
  /** The organization's row of `domain`, locked until the transaction ends: what a change of it starts from. */
  const lockDomain = (trx: Kysely<OrgkitDatabase>, organizationId: string, domain: string) =>
    dialect
      .forUpdate(
        trx
          .selectFrom('domains')
          .selectAll()
          .where('organization_id', '=', organizationId)
          .where('domain', '=', domain),
      )
      .executeTakeFirst()
  const toRecord = (row: Selectable<DomainsTable>) => domainFromRow(row, dialect)

  return {
    async insert(domain) {
      return dialect.insertUnlessExists(
        db.insertInto('domains').values({
          organization_id: domain.organizationId,
          domain: domain.domain,
          status: domain.status,
          enrollment: domain.enrollment,
          role: domain.role,
          verification_value: domain.verificationValue,
          verified_at: domain.verifiedAt === null ? null : dialect.toTimestamp(domain.verifiedAt),
          created_at: dialect.toTimestamp(domain.createdAt),
          updated_at: dialect.toTimestamp(domain.updatedAt),
        }),
      )
    },

    async find(organizationId, domain) {
      const row = await db
        .selectFrom('domains')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('domain', '=', domain)
        .executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    list: (organizationId, page) => readKeysetPage(domainPage(context, organizationId, page), dialect),

    markVerified: (organizationId, domain, now) =>
      atomic(async (trx) => {
        const current = await lockDomain(trx, organizationId, domain)
        if (current === undefined) return null
        if (current.status === 'verified') return toRecord(current)
        // The claim: the domain's one row in the global table. A concurrent claim by another
        // organization waits on the key and then finds it taken.
        const claimed = await dialect.insertUnlessExists(
          trx.insertInto('verified_domains').values({ domain, organization_id: organizationId }),
        )
        if (!claimed) {
          const holder = await trx
            .selectFrom('verified_domains')
            .select('organization_id')
            .where('domain', '=', domain)
            .executeTakeFirst()
          if (holder?.organization_id !== organizationId) return 'taken' as const
        }
        const changed = {
          status: 'verified',
          verified_at: dialect.toTimestamp(now),
          updated_at: dialect.toTimestamp(now),
        }
        await trx
          .updateTable('domains')
          .set(changed)
          .where('organization_id', '=', organizationId)
          .where('domain', '=', domain)
          .execute()
        return toRecord({ ...current, ...changed })
      }),

    update: (organizationId, domain, patch, now) =>
      atomic(async (trx) => {
        const current = await lockDomain(trx, organizationId, domain)
        if (current === undefined) return null
        const changed: Updateable<DomainsTable> = { updated_at: dialect.toTimestamp(now) }
        if (patch.enrollment !== undefined) changed.enrollment = patch.enrollment
        if (patch.role !== undefined) changed.role = patch.role
        await trx
          .updateTable('domains')
          .set(changed)
          .where('organization_id', '=', organizationId)
          .where('domain', '=', domain)
          .execute()
        return toRecord({ ...current, ...changed } as Selectable<DomainsTable>)
      }),

    async closeWithRole(organizationId, role, fallbackRole, now) {
      const result = await db
        .updateTable('domains')
        .set({ enrollment: 'none', role: fallbackRole, updated_at: dialect.toTimestamp(now) })
        .where('organization_id', '=', organizationId)
        .where('role', '=', role)
        .executeTakeFirst()
      return affected(result.numUpdatedRows)
    },

    delete: (organizationId, domain) =>
      atomic(async (trx) => {
        const removed = await trx
          .deleteFrom('domains')
          .where('organization_id', '=', organizationId)
          .where('domain', '=', domain)
          .executeTakeFirst()
        if (affected(removed.numDeletedRows) === 0) return false
        // The claim is released with the domain: another organization may verify it now.
        await trx
          .deleteFrom('verified_domains')
          .where('domain', '=', domain)
          .where('organization_id', '=', organizationId)
          .execute()
        return true
      }),

    async findVerifiedHolder(domain) {
      const row = await db
        .selectFrom('verified_domains')
        .select('organization_id')
        .where('domain', '=', domain)
        .executeTakeFirst()
      return row?.organization_id ?? null
    },
  }
}

/** A page of the organization's domains, oldest first. */
export function domainPage(
  context: StorageContext,
  organizationId: string,
  page: PageInput,
): KeysetRead<Selectable<DomainsTable>, DomainRecord> {
  return {
    query: context.db.selectFrom('domains as d').selectAll('d').where('d.organization_id', '=', organizationId),
    sort: { time: 'd.created_at', id: 'd.domain', order: 'asc' },
    page,
    toRecord: (row) => domainFromRow(row, context.dialect),
    keyOf: (record) => ({ at: record.createdAt, id: record.domain }),
  }
}

export function domainFromRow(row: Selectable<DomainsTable>, dialect: StorageDialect): DomainRecord {
  return {
    organizationId: row.organization_id,
    domain: row.domain,
    status: row.status as DomainStatus,
    enrollment: row.enrollment as EnrollmentMode,
    role: row.role,
    verificationValue: row.verification_value,
    verifiedAt: row.verified_at === null ? null : dialect.fromTimestamp(row.verified_at),
    createdAt: dialect.fromTimestamp(row.created_at),
    updatedAt: dialect.fromTimestamp(row.updated_at),
  }
}
