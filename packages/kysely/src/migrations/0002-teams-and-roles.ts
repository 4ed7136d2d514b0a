import type { Kysely, Migration } from 'kysely'
import type { StorageDialect } from '../dialects'
import type { OrgkitDatabase } from '../schema'

/**
 * Teams, team members and custom roles; the member and team counts kept on the
 * organization row; and the per-user row `limits.organizationsPerUser` is enforced on.
 * Keeps the conventions of 0001: `organization_id` first in every key of an owned table,
 * no foreign keys, prefixed index names.
 */
export function teamsAndRolesMigration(prefix: string, dialect: StorageDialect): Required<Migration> {
  const name = (suffix: string) => `${prefix}${suffix}`
  const { timestamp, json } = dialect.columnTypes
  const id = 'varchar(64)' as const
  const userId = 'varchar(255)' as const

  return {
    async up(untyped: Kysely<unknown>) {
      const db = untyped as Kysely<OrgkitDatabase>
      const schema = db.schema

      // One column per statement: SQLite adds one at a time.
      await schema
        .alterTable('organizations')
        .addColumn('member_count', 'integer', (col) => col.notNull().defaultTo(0))
        .execute()
      await schema
        .alterTable('organizations')
        .addColumn('team_count', 'integer', (col) => col.notNull().defaultTo(0))
        .execute()
      await db
        .updateTable('organizations')
        .set((eb) => ({
          member_count: eb
            .selectFrom('members')
            .select((sub) => sub.fn.countAll<number>().as('n'))
            .whereRef('members.organization_id', '=', 'organizations.id'),
        }))
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('organization_creators')
            .addColumn('user_id', userId, (col) => col.primaryKey())
            .addColumn('organization_count', 'integer', (col) => col.notNull().defaultTo(0)),
        )
        .execute()
      await db
        .insertInto('organization_creators')
        .columns(['user_id', 'organization_count'])
        .expression((eb) =>
          eb
            .selectFrom('organizations')
            .select((sub) => ['created_by', sub.fn.countAll<number>().as('n')])
            .where('type', '=', 'team')
            .where('created_by', 'is not', null)
            .groupBy('created_by'),
        )
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('teams')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('id', id, (col) => col.notNull())
            .addColumn('slug', 'varchar(64)', (col) => col.notNull())
            .addColumn('name', 'varchar(255)', (col) => col.notNull())
            .addColumn('description', 'text')
            .addColumn('member_count', 'integer', (col) => col.notNull().defaultTo(0))
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addColumn('updated_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('teams_pkey'), ['organization_id', 'id'])
            .addUniqueConstraint(name('teams_slug_key'), ['organization_id', 'slug']),
        )
        .execute()
      await schema
        .createIndex(name('teams_created_idx'))
        .on('teams')
        .columns(['organization_id', 'created_at', 'id'])
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('team_members')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('team_id', id, (col) => col.notNull())
            .addColumn('user_id', userId, (col) => col.notNull())
            .addColumn('role', 'varchar(64)', (col) => col.notNull())
            .addColumn('joined_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('team_members_pkey'), ['organization_id', 'team_id', 'user_id']),
        )
        .execute()
      // A team's member page, in join order.
      await schema
        .createIndex(name('team_members_joined_idx'))
        .on('team_members')
        .columns(['organization_id', 'team_id', 'joined_at', 'user_id'])
        .execute()
      // One user's teams: the permission map, and removing a member from every team.
      await schema
        .createIndex(name('team_members_user_idx'))
        .on('team_members')
        .columns(['organization_id', 'user_id'])
        .execute()

      await dialect
        .finishCreateTable(
          schema
            .createTable('roles')
            .addColumn('organization_id', id, (col) => col.notNull())
            .addColumn('id', id, (col) => col.notNull())
            .addColumn('key', 'varchar(64)', (col) => col.notNull())
            .addColumn('name', 'varchar(255)', (col) => col.notNull())
            .addColumn('description', 'text')
            .addColumn('permissions', json, (col) => col.notNull())
            .addColumn('created_at', timestamp, (col) => col.notNull())
            .addColumn('updated_at', timestamp, (col) => col.notNull())
            .addPrimaryKeyConstraint(name('roles_pkey'), ['organization_id', 'id'])
            .addUniqueConstraint(name('roles_key_key'), ['organization_id', 'key']),
        )
        .execute()
    },

    async down(untyped: Kysely<unknown>) {
      const schema = (untyped as Kysely<OrgkitDatabase>).schema
      for (const table of ['roles', 'team_members', 'teams', 'organization_creators']) {
        await schema.dropTable(table).execute()
      }
      await schema.alterTable('organizations').dropColumn('team_count').execute()
      await schema.alterTable('organizations').dropColumn('member_count').execute()
    },
  }
}
