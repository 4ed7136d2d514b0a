import { type Kysely, type Migration, sql } from 'kysely'
import type { StorageDialect } from '../dialects'
import type { OrgkitDatabase } from '../schema'

/**
 * Every statement on one shard when the schema is distributed by `organization_id`
 * (docs/scaling.md):
 * - `invitation_lookups` carried two global keys (public id and token hash) and the email;
 *   it becomes two lookup tables with one global key each, `invitation_ids` and
 *   `invitation_tokens`, and the per-email index `email_invitations`;
 * - `user_memberships` answers "my organizations" by user id, without reading `members`
 *   across organizations.
 * The new tables are filled from the existing rows, then `invitation_lookups` is dropped.
 */
export function singleShardLookupsMigration(prefix: string, dialect: StorageDialect): Required<Migration> {
  const name = (suffix: string) => `${prefix}${suffix}`
  const { timestamp } = dialect.columnTypes
  const id = 'varchar(64)' as const
  const userId = 'varchar(255)' as const
  const email = 'varchar(320)' as const
  const tokenHash = 'varchar(128)' as const

  return {
    async up(untyped: Kysely<unknown>) {
      const db = untyped as Kysely<OrgkitDatabase>
      const schema = db.schema

      await dialect
        .finishCreateTable(
          schema
            .createTable('invitation_ids')
            .addColumn('id', id, (col) => col.primaryKey())
            .addColumn('organization_id', id, (col) => col.notNull()),
        )
        .execute()
      await schema.createIndex(name('invitation_ids_org_idx')).on('invitation_ids').column('organization_id').execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('invitation_tokens')
            .addColumn('token_hash', tokenHash, (col) => col.primaryKey())
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('invitation_id', id, (col) => col.notNull()),
        )
        .execute()
      await schema
        .createIndex(name('invitation_tokens_org_idx'))
        .on('invitation_tokens')
        .column('organization_id')
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('user_memberships')
            .addColumn('user_id', userId, (col) => col.notNull())
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('joined_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('user_memberships_pkey'), ['user_id', 'organization_id']),
        )
        .execute()
      // "My organizations", in the order the user joined them: the keyset page seeks here.
      await schema
        .createIndex(name('user_memberships_joined_idx'))
        .on('user_memberships')
        .columns(['user_id', 'joined_at', 'organization_id'])
        .execute()
      await schema
        .createIndex(name('user_memberships_org_idx'))
        .on('user_memberships')
        .column('organization_id')
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('email_invitations')
            .addColumn('email', email, (col) => col.notNull())
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('invitation_id', id, (col) => col.notNull())
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addColumn('expires_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('email_invitations_pkey'), ['email', 'organization_id', 'invitation_id']),
        )
        .execute()
      // "My invitations", newest first.
      await schema
        .createIndex(name('email_invitations_created_idx'))
        .on('email_invitations')
        .columns(['email', 'created_at', 'invitation_id'])
        .execute()
      await schema
        .createIndex(name('email_invitations_org_idx'))
        .on('email_invitations')
        .column('organization_id')
        .execute()

      // Backfill, from the organizations' own rows.
      await db
        .insertInto('invitation_ids')
        .columns(['id', 'organization_id'])
        .expression((eb) => eb.selectFrom('invitations').select(['id', 'organization_id']))
        .execute()
      await db
        .insertInto('invitation_tokens')
        .columns(['token_hash', 'organization_id', 'invitation_id'])
        .expression((eb) => eb.selectFrom('invitations').select(['token_hash', 'organization_id', 'id']))
        .execute()
      await db
        .insertInto('user_memberships')
        .columns(['user_id', 'organization_id', 'joined_at'])
        .expression((eb) => eb.selectFrom('members').select(['user_id', 'organization_id', 'joined_at']))
        .execute()
      await db
        .insertInto('email_invitations')
        .columns(['email', 'organization_id', 'invitation_id', 'created_at', 'expires_at'])
        .expression((eb) =>
          eb
            .selectFrom('invitations')
            .select(['email', 'organization_id', 'id', 'created_at', 'expires_at'])
            .where('status', '=', 'pending'),
        )
        .execute()

      await schema.dropTable('invitation_lookups').execute()
    },

    async down(untyped: Kysely<unknown>) {
      const db = untyped as Kysely<OrgkitDatabase>
      const schema = db.schema
      // 0001's table, filled again from the invitations.
      await dialect
        .finishCreateTable(
          schema
            .createTable('invitation_lookups')
            .addColumn('id', id, (col) => col.primaryKey())
            .addColumn('token_hash', tokenHash, (col) => col.notNull())
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
      await sql`insert into ${sql.table('invitation_lookups')} (id, token_hash, email, organization_id) select id, token_hash, email, organization_id from ${sql.table('invitations')}`.execute(
        db,
      )
      for (const table of ['email_invitations', 'user_memberships', 'invitation_tokens', 'invitation_ids']) {
        await schema.dropTable(table).execute()
      }
    },
  }
}
