import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely'
import { storageDialect } from '../dialects'
import { type OrgkitTablesOptions, physicalTableNames, resolveDialect, resolvePrefix } from '../options'
import { tableNamesPlugin } from '../table-names-plugin'
import { initialMigration } from './0001-initial'
import { teamsAndRolesMigration } from './0002-teams-and-roles'
import { singleShardLookupsMigration } from './0003-single-shard-lookups'
import { enrollmentMigration } from './0004-enrollment'
import { invitationLinksMigration } from './0005-invitation-links'

/**
 * orgkit's migrations, in order. Names sort as Kysely runs them; a later schema change
 * (teams, for one) is a new entry `0002_…`, never an edit of a shipped one.
 */
const MIGRATIONS = {
  '0001_initial': initialMigration,
  '0002_teams_and_roles': teamsAndRolesMigration,
  '0003_single_shard_lookups': singleShardLookupsMigration,
  '0004_enrollment': enrollmentMigration,
  '0005_invitation_links': invitationLinksMigration,
} as const

/** The names of orgkit's own migration tables, kept apart from the host's. */
export function orgkitMigrationTables(options?: OrgkitTablesOptions): {
  migrationTableName: string
  migrationLockTableName: string
} {
  const prefix = resolvePrefix(options)
  return { migrationTableName: `${prefix}migrations`, migrationLockTableName: `${prefix}migrations_lock` }
}

/**
 * A Kysely `MigrationProvider` for orgkit's tables. Use it with a `Migrator` of its own,
 * on orgkit's migration tables (`orgkitMigrationTables`), or simply call `migrateToLatest`.
 */
export function orgkitMigrations(options?: OrgkitTablesOptions): MigrationProvider {
  const prefix = resolvePrefix(options)
  const plugin = tableNamesPlugin(physicalTableNames(prefix))
  return {
    async getMigrations() {
      const migrations: Record<string, Migration> = {}
      for (const [name, create] of Object.entries(MIGRATIONS)) {
        // The dialect is read from the Kysely instance the migration runs on.
        migrations[name] = {
          up: (db) => create(prefix, storageDialect(resolveDialect(db, options))).up(db.withPlugin(plugin)),
          down: (db) => create(prefix, storageDialect(resolveDialect(db, options))).down(db.withPlugin(plugin)),
        }
      }
      return migrations
    },
  }
}

/**
 * Brings orgkit's tables up to date, Kysely-style: it resolves to `{ error, results }`
 * and does not throw. Safe to run on every start; concurrent runs wait for Kysely's
 * migration lock.
 *
 * ```ts
 * const { error, results } = await migrateToLatest(db)
 * if (error) throw error
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: accepts any host Kysely<DB>.
export async function migrateToLatest(db: Kysely<any>, options?: OrgkitTablesOptions): Promise<MigrationResultSet> {
  try {
    const schema = resolveDialect(db, options) === 'postgres' ? await currentSchema(db) : undefined
    const migrator = new Migrator({
      db,
      provider: orgkitMigrations(options),
      ...orgkitMigrationTables(options),
      ...(schema === undefined ? {} : { migrationTableSchema: schema }),
    })
    for (let attempt = 1; ; attempt++) {
      const result = await migrator.migrateToLatest()
      if (schema === undefined || attempt === MIGRATION_ATTEMPTS || !anotherSchemaVanished(result.error, schema)) {
        return result
      }
    }
  } catch (error) {
    return { error }
  }
}

/** How many times `migrateToLatest` runs when another schema disappears under it. */
export const MIGRATION_ATTEMPTS = 5

/**
 * Kysely's migrator looks for its tables by reading the catalog of every schema of the
 * database, naming each in a privilege check. A schema dropped by another connection while
 * that statement runs fails it with "schema … does not exist" (SQLSTATE 3F000), though this
 * migration never touches it: nothing was changed yet, so the run starts again. An error
 * about the migration's own schema is returned as it is.
 */
function anotherSchemaVanished(error: unknown, ownSchema: string): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  return code === '3F000' && typeof message === 'string' && !message.includes(`"${ownSchema}"`)
}

/**
 * On PostgreSQL the migration tables are pinned to the current schema: Kysely looks for
 * them by name across all schemas, and would otherwise take another schema's
 * `orgkit_migrations` (a second installation, or a parallel test) for its own.
 */
async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db)
  const schema = rows[0]?.schema
  if (schema === undefined || schema === null) throw new Error('@orgkit/kysely: no current schema on search_path.')
  return schema
}
