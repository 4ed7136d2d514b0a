import type { Kysely, Migration } from 'kysely'
import type { StorageDialect } from '../dialects'

/**
 * Enrollment: an organization's email domains and the requests of users who ask to join.
 * The conventions of 0001 hold (organization first in every key of an owned table, no
 * foreign keys, prefixed index names), and so does the single-shard layout of 0003:
 * - `domains` and `join_requests` belong to their organization (distributed by
 *   `organization_id` on Citus, colocated with `organizations`);
 * - `verified_domains` is a global lookup with one key, the domain: it is what makes "one
 *   organization holds a domain verified" a constraint, and what discovery reads first;
 * - `join_request_ids` maps a request's public id to its organization (one global key);
 * - `user_join_requests` answers "my join requests" by user id (distributed by `user_id`).
 */
export function enrollmentMigration(prefix: string, dialect: StorageDialect): Required<Migration> {
  const name = (suffix: string) => `${prefix}${suffix}`
  const { timestamp } = dialect.columnTypes
  const id = 'varchar(64)' as const
  const userId = 'varchar(255)' as const
  const email = 'varchar(320)' as const
  /** A host name is at most 253 characters (RFC 1035), ASCII after IDNA. */
  const domain = 'varchar(253)' as const
  const role = 'varchar(48)' as const

  return {
    async up(db: Kysely<unknown>) {
      const schema = db.schema

      await dialect
        .finishCreateTable(
          schema
            .createTable('domains')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('domain', domain, (col) => col.notNull())
            .addColumn('status', 'varchar(16)', (col) => col.notNull())
            .addColumn('enrollment', 'varchar(16)', (col) => col.notNull())
            .addColumn('role', role, (col) => col.notNull())
            .addColumn('verification_value', 'varchar(128)', (col) => col.notNull())
            .addColumn('verified_at', timestamp)
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addColumn('updated_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('domains_pkey'), ['organization_id', 'domain']),
        )
        .execute()
      // The organization's domains, oldest first.
      await schema
        .createIndex(name('domains_created_idx'))
        .on('domains')
        .columns(['organization_id', 'created_at', 'domain'])
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('verified_domains')
            .addColumn('domain', domain, (col) => col.primaryKey())
            .addColumn('organization_id', id, (col) => col.notNull()),
        )
        .execute()
      await schema
        .createIndex(name('verified_domains_org_idx'))
        .on('verified_domains')
        .column('organization_id')
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('join_requests')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('id', id, (col) => col.notNull())
            .addColumn('user_id', userId, (col) => col.notNull())
            // The user while the request is pending, NULL after: UNIQUE with the organization,
            // so "one pending request per user" is a constraint (NULLs never collide).
            .addColumn('pending_user_id', userId)
            .addColumn('email', email, (col) => col.notNull())
            .addColumn('domain', domain, (col) => col.notNull())
            .addColumn('status', 'varchar(16)', (col) => col.notNull())
            .addColumn('role', role)
            .addColumn('decided_by', userId)
            .addColumn('decided_at', timestamp)
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addColumn('updated_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('join_requests_pkey'), ['organization_id', 'id'])
            .addUniqueConstraint(name('join_requests_pending_key'), ['organization_id', 'pending_user_id']),
        )
        .execute()
      // The organization's requests, newest first.
      await schema
        .createIndex(name('join_requests_created_idx'))
        .on('join_requests')
        .columns(['organization_id', 'created_at', 'id'])
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('join_request_ids')
            .addColumn('id', id, (col) => col.primaryKey())
            .addColumn('organization_id', id, (col) => col.notNull()),
        )
        .execute()
      await schema
        .createIndex(name('join_request_ids_org_idx'))
        .on('join_request_ids')
        .column('organization_id')
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('user_join_requests')
            .addColumn('user_id', userId, (col) => col.notNull())
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('join_request_id', id, (col) => col.notNull())
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('user_join_requests_pkey'), [
              'user_id',
              'organization_id',
              'join_request_id',
            ]),
        )
        .execute()
      // "My join requests", newest first.
      await schema
        .createIndex(name('user_join_requests_created_idx'))
        .on('user_join_requests')
        .columns(['user_id', 'created_at', 'join_request_id'])
        .execute()
      await schema
        .createIndex(name('user_join_requests_org_idx'))
        .on('user_join_requests')
        .column('organization_id')
        .execute()
    },

    async down(db: Kysely<unknown>) {
      for (const table of ['user_join_requests', 'join_request_ids', 'join_requests', 'verified_domains', 'domains']) {
        await db.schema.dropTable(table).execute()
      }
    },
  }
}
