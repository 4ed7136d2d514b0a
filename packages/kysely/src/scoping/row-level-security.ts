import { type Kysely, sql, type Transaction } from 'kysely'
import { resolveScopedTables, type ScopedTable, type TenantScopeOptions } from './options'

/** The PostgreSQL setting that carries the current organization inside a transaction. */
export const ORGANIZATION_SETTING = 'orgkit.organization_id'

/** The name of the policy `enableRowLevelSecurity` creates on each table. */
export const ORGANIZATION_POLICY = 'orgkit_organization_isolation'

/** Column types the policy compares to the setting (a text): orgkit's organization ids are text. */
const TEXT_TYPES = new Set(['text', 'character varying', 'character'])

/**
 * Migration helper (PostgreSQL): turns Row Level Security on for each table, with `FORCE`
 * (so the table's owner is held by it too), and creates the policy that lets a statement
 * see and write only the rows of the organization in `orgkit.organization_id`:
 *
 * ```sql
 * create policy orgkit_organization_isolation on projects
 *   using (organization_id = current_setting('orgkit.organization_id', true))
 *   with check (organization_id = current_setting('orgkit.organization_id', true))
 * ```
 *
 * Without the setting (or after the transaction that set it), `current_setting` is null
 * or empty and no row matches: a forgotten setting reads nothing and writes nothing.
 * Run it again to replace the policy. The organization column must be text-like
 * (`text`, `varchar`, `char`), as orgkit's ids are; another type is refused, naming the table.
 */
export async function enableRowLevelSecurity(db: Kysely<unknown>, options: TenantScopeOptions): Promise<void> {
  const { tables } = resolveScopedTables(options, 'enableRowLevelSecurity')
  for (const table of tables) {
    const type = await columnType(db, table)
    if (type === undefined) {
      throw new Error(`@orgkit/kysely: enableRowLevelSecurity: ${table.name} has no column ${table.column}.`)
    }
    if (!TEXT_TYPES.has(type)) {
      throw new Error(
        `@orgkit/kysely: enableRowLevelSecurity: ${table.name}.${table.column} is ${type}; ` +
          'the policy compares it to a text setting, so it must be text, varchar or char.',
      )
    }
  }
  for (const table of tables) {
    const name = sql.table(table.name)
    const policy = sql.id(ORGANIZATION_POLICY)
    const matches = sql`${sql.ref(table.column)} = current_setting(${sql.lit(ORGANIZATION_SETTING)}, true)`
    await sql`alter table ${name} enable row level security`.execute(db)
    await sql`alter table ${name} force row level security`.execute(db)
    await sql`drop policy if exists ${policy} on ${name}`.execute(db)
    await sql`create policy ${policy} on ${name} as permissive for all using (${matches}) with check (${matches})`.execute(
      db,
    )
  }
}

/** Migration helper (PostgreSQL), the reverse of `enableRowLevelSecurity`: drops the policy, turns RLS off. */
export async function disableRowLevelSecurity(db: Kysely<unknown>, options: TenantScopeOptions): Promise<void> {
  const { tables } = resolveScopedTables(options, 'disableRowLevelSecurity')
  for (const table of tables) {
    const name = sql.table(table.name)
    await sql`drop policy if exists ${sql.id(ORGANIZATION_POLICY)} on ${name}`.execute(db)
    await sql`alter table ${name} no force row level security`.execute(db)
    await sql`alter table ${name} disable row level security`.execute(db)
  }
}

/**
 * Runs `fn` in a transaction whose statements PostgreSQL's policies see as the given
 * organization's: `set_config('orgkit.organization_id', id, true)` first. `true` makes the
 * setting transaction-local: it ends with the transaction, so a pooled connection never
 * carries it into the next request.
 */
export async function organizationTransaction<DB, T>(
  db: Kysely<DB>,
  organizationId: string,
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  if (typeof organizationId !== 'string' || organizationId === '') {
    throw new Error('@orgkit/kysely: organizationTransaction needs an organization id.')
  }
  return db.transaction().execute(async (trx) => {
    await sql`select set_config(${ORGANIZATION_SETTING}, ${organizationId}, true)`.execute(trx)
    return fn(trx)
  })
}

/** Options of `checkRowLevelSecurity`. */
export interface RowLevelSecurityCheckOptions extends TenantScopeOptions {
  /**
   * The connecting role may bypass Row Level Security (a superuser, or `BYPASSRLS`): the
   * policies then hold nothing, and only the scope plugin stands. Say so only on purpose.
   * @default false
   */
  allowBypassingRole?: boolean | undefined
}

/**
 * Start-up check (PostgreSQL): every scoped table exists, has Row Level Security enabled
 * and forced, and a policy that reads `orgkit.organization_id`, with no permissive policy
 * that does not (permissive policies are OR-ed: one `using (true)` opens the table); and
 * the connecting role does not bypass Row Level Security. Throws, naming each table and
 * what it lacks, otherwise.
 */
export async function checkRowLevelSecurity(db: Kysely<unknown>, options: RowLevelSecurityCheckOptions): Promise<void> {
  const { tables } = resolveScopedTables(options, 'checkRowLevelSecurity')
  const problems: string[] = []
  for (const table of tables) {
    const regclass = quotedName(table)
    const found = await sql<{ enabled: boolean; forced: boolean }>`
      select relrowsecurity as enabled, relforcerowsecurity as forced
      from pg_catalog.pg_class where oid = to_regclass(${regclass})`.execute(db)
    const state = found.rows[0]
    if (state === undefined) {
      problems.push(`${table.name} does not exist`)
      continue
    }
    if (!state.enabled) problems.push(`${table.name} has Row Level Security disabled`)
    if (!state.forced) problems.push(`${table.name} does not FORCE Row Level Security (its owner bypasses it)`)
    const policies = await sql<{ name: string; permissive: boolean; using: string | null; check: string | null }>`
      select polname as name, polpermissive as permissive,
        pg_catalog.pg_get_expr(polqual, polrelid) as using,
        pg_catalog.pg_get_expr(polwithcheck, polrelid) as check
      from pg_catalog.pg_policy where polrelid = to_regclass(${regclass})`.execute(db)
    const reads = (text: string | null) => text?.includes(ORGANIZATION_SETTING) === true
    if (!policies.rows.some((policy) => reads(policy.using))) {
      problems.push(`${table.name} has no policy that reads ${ORGANIZATION_SETTING}`)
    }
    for (const policy of policies.rows) {
      if (policy.permissive && (!reads(policy.using) || (policy.check !== null && !reads(policy.check)))) {
        problems.push(`${table.name} has a permissive policy ${policy.name} that does not read ${ORGANIZATION_SETTING}`)
      }
    }
  }
  if (options.allowBypassingRole !== true) {
    const role = await sql<{ name: string; superuser: boolean; bypass: boolean }>`
      select rolname as name, rolsuper as superuser, rolbypassrls as bypass
      from pg_catalog.pg_roles where rolname = current_user`.execute(db)
    const current = role.rows[0]
    if (current?.superuser)
      problems.push(`the connecting role ${current.name} is a superuser, which bypasses Row Level Security`)
    else if (current?.bypass) problems.push(`the connecting role ${current.name} has BYPASSRLS`)
  }
  if (problems.length > 0) {
    throw new Error(`@orgkit/kysely: Row Level Security is not in place: ${problems.join('; ')}.`)
  }
}

async function columnType(db: Kysely<unknown>, table: ScopedTable): Promise<string | undefined> {
  const found = await sql<{ type: string }>`
    select pg_catalog.format_type(a.atttypid, null) as type
    from pg_catalog.pg_attribute a
    where a.attrelid = to_regclass(${quotedName(table)}) and a.attname = ${table.column} and not a.attisdropped`.execute(
    db,
  )
  const type = found.rows[0]?.type
  // `character varying` and `character` come back as such without their length.
  return type === 'bpchar' ? 'character' : type
}

/** `"schema"."table"`, as `to_regclass` reads it (the names are checked identifiers). */
function quotedName(table: ScopedTable): string {
  return table.schema === undefined ? `"${table.table}"` : `"${table.schema}"."${table.table}"`
}
