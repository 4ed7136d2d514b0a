import type { Kysely, Migration } from 'kysely'
import type { StorageDialect } from '../dialects'

/**
 * Invitation links: shareable tokens that let anyone holding one join, within the link's
 * limits. `invitation_links` belongs to its organization (distributed by `organization_id`
 * on Citus); `invitation_link_tokens` is a global lookup with one key, the token hash.
 */
export function invitationLinksMigration(prefix: string, dialect: StorageDialect): Required<Migration> {
  const name = (suffix: string) => `${prefix}${suffix}`
  const { timestamp } = dialect.columnTypes
  const id = 'varchar(64)' as const
  const tokenHash = 'varchar(128)' as const

  return {
    async up(db: Kysely<unknown>) {
      const schema = db.schema
      await dialect
        .finishCreateTable(
          schema
            .createTable('invitation_links')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('id', id, (col) => col.notNull())
            .addColumn('role', 'varchar(48)', (col) => col.notNull())
            .addColumn('token_hash', tokenHash, (col) => col.notNull())
            .addColumn('expires_at', timestamp)
            .addColumn('max_uses', 'integer')
            .addColumn('uses', 'integer', (col) => col.notNull().defaultTo(0))
            .addColumn('domain', 'varchar(253)')
            .addColumn('created_by', 'varchar(255)', (col) => col.notNull())
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addColumn('revoked_at', timestamp)
            .addPrimaryKeyConstraint(name('invitation_links_pkey'), ['organization_id', 'id']),
        )
        .execute()
      // The organization's links, newest first.
      await schema
        .createIndex(name('invitation_links_created_idx'))
        .on('invitation_links')
        .columns(['organization_id', 'created_at', 'id'])
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('invitation_link_tokens')
            .addColumn('token_hash', tokenHash, (col) => col.primaryKey())
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('link_id', id, (col) => col.notNull()),
        )
        .execute()
      await schema
        .createIndex(name('invitation_link_tokens_org_idx'))
        .on('invitation_link_tokens')
        .column('organization_id')
        .execute()
    },

    async down(db: Kysely<unknown>) {
      for (const table of ['invitation_link_tokens', 'invitation_links']) await db.schema.dropTable(table).execute()
    },
  }
}
