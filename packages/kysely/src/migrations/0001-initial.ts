import type { Kysely, Migration } from 'kysely'
import type { StorageDialect } from '../dialects'

/**
 * The first schema. Conventions every later migration keeps:
 * - every table an organization owns has `organization_id` first in its primary key and in
 *   every unique constraint, so the schema can be distributed by `organization_id`
 *   (Citus); global lookups (slug, token hash, key prefix) have small tables of their own;
 * - no foreign keys: deletes are explicit in one transaction (`organizations.delete`), and
 *   a global lookup table could not reference a distributed table anyway;
 * - index and constraint names carry the prefix, because PostgreSQL and SQLite scope them
 *   to the schema, not the table.
 */
export function initialMigration(prefix: string, dialect: StorageDialect): Required<Migration> {
  const name = (suffix: string) => `${prefix}${suffix}`
  const { timestamp, json } = dialect.columnTypes
  const id = 'varchar(64)' as const
  /** Host user ids: orgkit does not know their shape. */
  const userId = 'varchar(255)' as const
  const email = 'varchar(320)' as const

  return {
    // `db` has the table-names plugin applied: tables are named logically here.
    async up(db: Kysely<unknown>) {
      const schema = db.schema

      await dialect
        .finishCreateTable(
          schema
            .createTable('organizations')
            .addColumn('id', id, (col) => col.primaryKey())
            .addColumn('slug', 'varchar(64)', (col) => col.notNull())
            .addColumn('name', 'varchar(255)', (col) => col.notNull())
            .addColumn('type', 'varchar(16)', (col) => col.notNull())
            .addColumn('description', 'text')
            .addColumn('logo_url', 'text')
            .addColumn('website_url', 'text')
            .addColumn('industry', 'varchar(100)')
            .addColumn('visibility', 'varchar(16)', (col) => col.notNull())
            .addColumn('contact_email', email)
            .addColumn('contact_phone', 'varchar(64)')
            .addColumn('timezone', 'varchar(64)')
            .addColumn('metadata', json, (col) => col.notNull())
            .addColumn('private_metadata', json, (col) => col.notNull())
            .addColumn('created_by', userId)
            .addColumn('roles_version', 'integer', (col) => col.notNull().defaultTo(0))
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addColumn('updated_at', timestamp, (col) => col.notNull()),
        )
        .execute()
      // `listAll` (oldest first) and `countCreatedBy`.
      await schema
        .createIndex(name('organizations_created_idx'))
        .on('organizations')
        .columns(['created_at', 'id'])
        .execute()
      await schema.createIndex(name('organizations_creator_idx')).on('organizations').column('created_by').execute()

      // The only place a slug is unique: claimed by insert, released by delete.
      await dialect
        .finishCreateTable(
          schema
            .createTable('organization_slugs')
            .addColumn('slug', 'varchar(64)', (col) => col.primaryKey())
            .addColumn('organization_id', id, (col) => col.notNull()),
        )
        .execute()
      await schema
        .createIndex(name('organization_slugs_org_idx'))
        .on('organization_slugs')
        .column('organization_id')
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('members')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('user_id', userId, (col) => col.notNull())
            .addColumn('role', 'varchar(64)', (col) => col.notNull())
            .addColumn('joined_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('members_pkey'), ['organization_id', 'user_id']),
        )
        .execute()
      // "My organizations", in the order the user joined them.
      await schema
        .createIndex(name('members_user_idx'))
        .on('members')
        .columns(['user_id', 'joined_at', 'organization_id'])
        .execute()
      // Member listing order, and counting owners.
      await schema
        .createIndex(name('members_joined_idx'))
        .on('members')
        .columns(['organization_id', 'joined_at', 'user_id'])
        .execute()
      await schema.createIndex(name('members_role_idx')).on('members').columns(['organization_id', 'role']).execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('invitations')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('id', id, (col) => col.notNull())
            .addColumn('email', email, (col) => col.notNull())
            // The email while pending, NULL otherwise: see the unique constraint below.
            .addColumn('pending_email', email)
            .addColumn('role', 'varchar(64)', (col) => col.notNull())
            .addColumn('team_ids', json, (col) => col.notNull())
            .addColumn('status', 'varchar(16)', (col) => col.notNull())
            .addColumn('token_hash', 'varchar(128)', (col) => col.notNull())
            .addColumn('expires_at', timestamp, (col) => col.notNull())
            .addColumn('invited_by', userId, (col) => col.notNull())
            .addColumn('responded_by', userId)
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addColumn('updated_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('invitations_pkey'), ['organization_id', 'id'])
            // At most one pending invitation per email and organization, enforced by the
            // database on all three dialects: NULLs (non-pending rows) never collide.
            .addUniqueConstraint(name('invitations_pending_key'), ['organization_id', 'pending_email']),
        )
        .execute()
      await schema
        .createIndex(name('invitations_created_idx'))
        .on('invitations')
        .columns(['organization_id', 'created_at', 'id'])
        .execute()
      await schema
        .createIndex(name('invitations_status_idx'))
        .on('invitations')
        .columns(['organization_id', 'status', 'expires_at'])
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('invitation_lookups')
            .addColumn('id', id, (col) => col.primaryKey())
            .addColumn('token_hash', 'varchar(128)', (col) => col.notNull())
            .addColumn('email', email, (col) => col.notNull())
            .addColumn('organization_id', id, (col) => col.notNull())
            .addUniqueConstraint(name('invitation_lookups_token_key'), ['token_hash']),
        )
        .execute()
      await schema.createIndex(name('invitation_lookups_email_idx')).on('invitation_lookups').column('email').execute()
      await schema
        .createIndex(name('invitation_lookups_org_idx'))
        .on('invitation_lookups')
        .column('organization_id')
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('api_keys')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('id', id, (col) => col.notNull())
            .addColumn('name', 'varchar(255)', (col) => col.notNull())
            .addColumn('prefix', 'varchar(64)', (col) => col.notNull())
            .addColumn('secret_hash', 'varchar(128)', (col) => col.notNull())
            .addColumn('role', 'varchar(64)')
            .addColumn('permissions', json, (col) => col.notNull())
            .addColumn('created_by', userId, (col) => col.notNull())
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addColumn('expires_at', timestamp)
            .addColumn('last_used_at', timestamp)
            .addColumn('revoked_at', timestamp)
            .addPrimaryKeyConstraint(name('api_keys_pkey'), ['organization_id', 'id']),
        )
        .execute()
      await schema
        .createIndex(name('api_keys_created_idx'))
        .on('api_keys')
        .columns(['organization_id', 'created_at', 'id'])
        .execute()
      await schema
        .createIndex(name('api_keys_creator_idx'))
        .on('api_keys')
        .columns(['organization_id', 'created_by'])
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('api_key_prefixes')
            .addColumn('prefix', 'varchar(64)', (col) => col.primaryKey())
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('key_id', id, (col) => col.notNull()),
        )
        .execute()
      await schema
        .createIndex(name('api_key_prefixes_org_idx'))
        .on('api_key_prefixes')
        .column('organization_id')
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('audit_events')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('id', id, (col) => col.notNull())
            .addColumn('action', 'varchar(100)', (col) => col.notNull())
            .addColumn('actor_type', 'varchar(16)', (col) => col.notNull())
            .addColumn('actor_id', userId)
            .addColumn('target_type', 'varchar(64)', (col) => col.notNull())
            .addColumn('target_id', 'varchar(255)', (col) => col.notNull())
            .addColumn('changes', json, (col) => col.notNull())
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('audit_events_pkey'), ['organization_id', 'id']),
        )
        .execute()
      // Newest first, per organization.
      await schema
        .createIndex(name('audit_events_created_idx'))
        .on('audit_events')
        .columns(['organization_id', 'created_at', 'id'])
        .execute()
    },

    async down(db: Kysely<unknown>) {
      for (const table of [
        'audit_events',
        'api_key_prefixes',
        'api_keys',
        'invitation_lookups',
        'invitations',
        'members',
        'organization_slugs',
        'organizations',
      ]) {
        await db.schema.dropTable(table).execute()
      }
    },
  }
}
