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
import { domainRepository } from './repositories/domains'
import { invitationLinkRepository } from './repositories/invitation-links'
import { invitationRepository } from './repositories/invitations'
import { joinRequestRepository } from './repositories/join-requests'
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
    inTransaction: false,
    atomic: transaction,
    organizationTables,
    distributed,
    compiled,
  })

  // Outside a transaction the repositories lack what only a transaction can do (`lock` and
  // the other locks, an invitation's `accept` and `insertUnlessMember`): at run time as in
  // the types.
  const {
    lock: _lock,
    lockWithMember: _lockWithMember,
    lockWithTarget: _lockWithTarget,
    lockWithMemberBySlug: _lockWithMemberBySlug,
    lockWithTargetBySlug: _lockWithTargetBySlug,
    lockForAcceptance: _lockForAcceptance,
    lockInvitationForAcceptance: _lockInvitationForAcceptance,
    ...organizations
  } = repositories.organizations
  const { accept: _accept, insertUnlessMember: _insertUnlessMember, ...invitations } = repositories.invitations
  return {
    ...repositories,
    organizations,
    invitations,
    transaction: (fn) =>
      transaction((trx, host) =>
        fn(
          // Inside, multi-statement methods join this transaction instead of opening one.
          transactionRepositories(
            {
              db: trx,
              dialect,
              users: users.columns,
              hostUsers,
              inTransaction: true,
              atomic: (inner) => inner(trx, host),
              organizationTables,
              distributed,
              compiled,
            },
            // What the host's `before` hooks receive: its own instance, on this transaction.
            host,
          ),
        ),
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

type Areas = Omit<TransactionRepositories, 'transaction'>

/** What a transaction's repositories hold of their own: the rest is read through `lazyAreas`. */
interface LazyState {
  context: StorageContext
  built: Partial<Areas>
}

/**
 * A transaction's repositories, each area built when first read and kept: a mutation uses
 * three or four of the twelve, and building all of them (a few hundred closures) for every
 * transaction cost about a tenth of a small write's time on SQLite. The getters live on one
 * shared prototype and every transaction's object has the same own fields, in the same
 * order, so the services' reads of it stay monomorphic.
 */
function transactionRepositories<T>(context: StorageContext, transaction: T): TransactionRepositories<T> {
  const repositories = Object.create(lazyAreas) as LazyState & { transaction: T }
  repositories.context = context
  repositories.built = {}
  repositories.transaction = transaction
  return repositories as unknown as TransactionRepositories<T>
}

const lazyAreas: ThisType<LazyState> & Areas = {
  get organizations() {
    this.built.organizations ??= organizationRepository(this.context)
    return this.built.organizations
  },
  get members() {
    this.built.members ??= memberRepository(this.context)
    return this.built.members
  },
  get invitations() {
    this.built.invitations ??= invitationRepository(this.context)
    return this.built.invitations
  },
  get apiKeys() {
    this.built.apiKeys ??= apiKeyRepository(this.context)
    return this.built.apiKeys
  },
  get audit() {
    this.built.audit ??= auditRepository(this.context)
    return this.built.audit
  },
  get teams() {
    this.built.teams ??= teamRepository(this.context)
    return this.built.teams
  },
  get teamMembers() {
    this.built.teamMembers ??= teamMemberRepository(this.context)
    return this.built.teamMembers
  },
  get roles() {
    this.built.roles ??= customRoleRepository(this.context)
    return this.built.roles
  },
  get users() {
    this.built.users ??= userDirectory(this.context)
    return this.built.users
  },
  get domains() {
    this.built.domains ??= domainRepository(this.context)
    return this.built.domains
  },
  get joinRequests() {
    this.built.joinRequests ??= joinRequestRepository(this.context)
    return this.built.joinRequests
  },
  get invitationLinks() {
    this.built.invitationLinks ??= invitationLinkRepository(this.context)
    return this.built.invitationLinks
  },
}

function createRepositories(context: StorageContext): Areas {
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
    domains: domainRepository(context),
    joinRequests: joinRequestRepository(context),
    invitationLinks: invitationLinkRepository(context),
  }
}
