import type { Storage, TransactionRepositories } from '@orgkit/core'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { CompiledQueryCache } from './compiled'
import type { HostUsers, StorageContext } from './context'
import { type DialectName, storageDialect } from './dialects'
import { hostIdSql, inspectUsersTable } from './host-users'
import {
  type KyselyStorageOptions,
  physicalTableNames,
  resolveDialect,
  resolvePrefix,
  resolveUsersTable,
  type UsersTableMapping,
} from './options'
import { resolveOrganizationTables } from './organization-tables'
import { apiKeyRepository } from './repositories/api-keys'
import { auditRepository } from './repositories/audit'
import { invitationRepository } from './repositories/invitations'
import { memberRepository } from './repositories/members'
import { organizationRepository } from './repositories/organizations'
import { customRoleRepository } from './repositories/roles'
import { teamMemberRepository } from './repositories/team-members'
import { teamRepository } from './repositories/teams'
import { userDirectory } from './repositories/users'
import type { OrgkitDatabase } from './schema'
import { tableNamesPlugin } from './table-names-plugin'
import { runTransaction } from './transaction'

/**
 * orgkit's storage on the host's Kysely instance: PostgreSQL, MySQL/MariaDB or SQLite.
 * Run `migrateToLatest` (or the `orgkitMigrations` provider) with the same `tablePrefix`
 * first.
 *
 * ```ts
 * const storage = kyselyStorage(db, { users: { table: 'users', columns: { id: 'id', email: 'email' } } })
 * ```
 */
// The host's database type is its own business; orgkit only needs the tables it names.
// biome-ignore lint/suspicious/noExplicitAny: accepts any host Kysely<DB>.
export function kyselyStorage<DB = any>(db: Kysely<DB>, options: KyselyStorageOptions<DB>): Storage<Transaction<DB>> {
  const physicalNames = physicalTableNames(resolvePrefix(options))
  const organizationTables = resolveOrganizationTables(options?.organizationTables, new Set(physicalNames.values()))
  const users = resolveUsersTable(options?.users)
  physicalNames.set('host_users', users.table)
  const tableNames = tableNamesPlugin(physicalNames)
  const orgkitDb: Kysely<OrgkitDatabase> = db.withPlugin(tableNames) as unknown as Kysely<OrgkitDatabase>
  const dialect = storageDialect(resolveDialect(db as Kysely<unknown>, options))
  const hostUsers = hostUsersOf(dialect.name, users, options?.logger ?? console)
  const distributed = distributionOf(dialect.name, options?.distributed)
  /**
   * A transaction on the host's instance (the host's plugins, its tables' names as they are)
   * and the same transaction as orgkit's repositories see it (its tables renamed): one
   * connection, one commit.
   */
  const transaction = <T>(fn: (trx: Kysely<OrgkitDatabase>, host: Transaction<DB>) => Promise<T>) =>
    runTransaction(db, dialect, (host) => fn(host.withPlugin(tableNames) as unknown as Kysely<OrgkitDatabase>, host))

  const compiled: CompiledQueryCache = new Map()
  const repositories = createRepositories({
    db: orgkitDb,
    dialect,
    users: users.columns,
    hostUsers,
    atomic: transaction,
    organizationTables,
    distributed,
    compiled,
  })

  // Outside a transaction the repositories lack what only a transaction can do (`lock`,
  // `lockWithMember`, `lockForAcceptance`, `claimCreatorSlot`): at run time as in the types.
  const {
    lock: _lock,
    lockWithMember: _lockWithMember,
    lockForAcceptance: _lockForAcceptance,
    claimCreatorSlot: _claim,
    ...organizations
  } = repositories.organizations
  return {
    ...repositories,
    organizations,
    transaction: (fn) =>
      transaction((trx, host) =>
        fn({
          // Inside, multi-statement methods join this transaction instead of opening one.
          ...createRepositories({
            db: trx,
            dialect,
            users: users.columns,
            hostUsers,
            atomic: (inner) => inner(trx, host),
            organizationTables,
            distributed,
            compiled,
          }),
          // What the host's `before` hooks receive: its own instance, on this transaction.
          transaction: host,
        }),
      ),
  }
}

/**
 * The users table's id comparisons, and its catalog read once: when the catalog cannot be
 * read (permissions, a view), the email lookup keeps the form the options give.
 */
function hostUsersOf(
  dialect: DialectName,
  users: { table: string; columns: UsersTableMapping },
  logger: { warn(message: string): void },
): HostUsers {
  let inspected: Promise<void> | undefined
  const hostUsers: HostUsers = {
    id: hostIdSql(dialect, users.columns.idType),
    emailLookup: users.columns.emailNormalized ? 'column' : 'lower',
    ready(db) {
      inspected ??= inspectUsersTable(db as Kysely<unknown>, dialect, users.table, users.columns).then(
        (inspection) => {
          hostUsers.emailLookup = inspection.emailLookup
          for (const warning of inspection.warnings) logger.warn(warning)
        },
        (error: unknown) => {
          logger.warn(`@orgkit/kysely: could not read the catalog of the users table ${users.table}: ${String(error)}`)
        },
      )
      return inspected
    },
  }
  return hostUsers
}

/**
 * Whether orgkit's tables are distributed: as the host says, or, on PostgreSQL, whether the
 * `citus` extension is installed, read once (a catalog read no privilege is needed for).
 */
function distributionOf(dialect: DialectName, configured: boolean | undefined): StorageContext['distributed'] {
  if (configured !== undefined || dialect !== 'postgres') {
    const answer = Promise.resolve(configured ?? false)
    return () => answer
  }
  let found: Promise<boolean> | undefined
  return (db) =>
    (found ??= sql<{ citus: boolean }>`select exists (select 1 from pg_extension where extname = 'citus') as citus`
      .execute(db)
      .then((result) => result.rows[0]?.citus === true))
}

function createRepositories(context: StorageContext): Omit<TransactionRepositories, 'transaction'> {
  return {
    organizations: organizationRepository(context),
    members: memberRepository(context),
    invitations: invitationRepository(context),
    apiKeys: apiKeyRepository(context),
    audit: auditRepository(context),
    teams: teamRepository(context),
    teamMembers: teamMemberRepository(context),
    roles: customRoleRepository(context),
    users: userDirectory(context),
  }
}
