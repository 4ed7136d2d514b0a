/**
 * Two organizations' host data for the scope tests: projects and tasks (scoped), and
 * templates (not scoped). One of B's tasks points at one of A's projects, as a bug or an
 * attacker could make it, so a join that forgets a side shows it.
 */
import type { Kysely } from 'kysely'
import type { TestDialect } from '../../../../test/support/databases'

export const ORG_A = 'org_scope_a'
export const ORG_B = 'org_scope_b'
export const SCOPED_TABLES = ['projects', 'tasks'] as const

export interface ProjectRow {
  id: string
  organization_id: string
  name: string
  owner_id: string | null
}

export interface TaskRow {
  id: string
  organization_id: string
  project_id: string | null
  title: string
  points: number
}

export const PROJECTS: readonly ProjectRow[] = [
  { id: 'pa1', organization_id: ORG_A, name: 'Apollo', owner_id: 'u1' },
  { id: 'pa2', organization_id: ORG_A, name: 'Artemis', owner_id: 'u2' },
  { id: 'pb1', organization_id: ORG_B, name: 'Borealis', owner_id: 'u1' },
  { id: 'pb2', organization_id: ORG_B, name: 'Boreas', owner_id: null },
]

export const TASKS: readonly TaskRow[] = [
  { id: 'ta1', organization_id: ORG_A, project_id: 'pa1', title: 'design', points: 3 },
  { id: 'ta2', organization_id: ORG_A, project_id: 'pa1', title: 'build', points: 5 },
  { id: 'ta3', organization_id: ORG_A, project_id: null, title: 'triage', points: 1 },
  { id: 'tb1', organization_id: ORG_B, project_id: 'pb1', title: 'design', points: 8 },
  // B's task on A's project: a join must not hand it to A, nor A's project to B.
  { id: 'tb2', organization_id: ORG_B, project_id: 'pa1', title: 'intrude', points: 13 },
]

export const TEMPLATES = [
  { id: 'tpl1', name: 'Kick-off' },
  { id: 'tpl2', name: 'Retro' },
]

// biome-ignore lint/suspicious/noExplicitAny: scratch tables, untyped.
export type AnyDb = Kysely<any>

export async function createScopeTables(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('organization_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('name', 'varchar(100)', (col) => col.notNull())
    .addColumn('owner_id', 'varchar(64)')
    .execute()
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('organization_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('project_id', 'varchar(64)')
    .addColumn('title', 'varchar(100)', (col) => col.notNull())
    .addColumn('points', 'integer', (col) => col.notNull().defaultTo(0))
    .execute()
  await db.schema
    .createTable('templates')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('name', 'varchar(100)', (col) => col.notNull())
    .execute()
}

/** Empties the tables and puts the two organizations' rows back. */
export async function seedScopeTables(db: AnyDb): Promise<void> {
  await db.deleteFrom('tasks').execute()
  await db.deleteFrom('projects').execute()
  await db.deleteFrom('templates').execute()
  await db
    .insertInto('projects')
    .values([...PROJECTS])
    .execute()
  await db
    .insertInto('tasks')
    .values([...TASKS])
    .execute()
  await db.insertInto('templates').values(TEMPLATES).execute()
}

/** Every row of a table, sorted by id: the state a test compares. */
export async function allRows(db: AnyDb, table: string): Promise<Record<string, unknown>[]> {
  const rows = await db.selectFrom(table).selectAll().orderBy('id').execute()
  return rows.map((row) => ({ ...row }))
}

/** `"` quoting and `?` placeholders, whatever the dialect, so one expected SQL text fits all three. */
export function normalizeSql(text: string): string {
  return text.replaceAll('`', '"').replace(/\$\d+/g, '?')
}

/** The schema (MySQL: database) a dialect's test tables live in. */
export async function currentSchema(db: AnyDb, dialect: TestDialect): Promise<string> {
  if (dialect === 'sqlite') return 'main'
  const { sql } = await import('kysely')
  const query =
    dialect === 'postgres'
      ? sql<{ name: string }>`select current_schema() as name`
      : sql<{ name: string }>`select database() as name`
  const { rows } = await query.execute(db)
  return rows[0]!.name
}

/**
 * A PostgreSQL login role for the application, as a host's should be: neither the tables'
 * owner nor a superuser, so Row Level Security holds it. `db` connects as it, with the test
 * database's schema on its search path; `drop()` closes it and drops the role.
 */
export async function createAppRole(
  admin: AnyDb,
  options: { attributes?: string; max?: number } = {},
): Promise<{ name: string; db: AnyDb; drop(): Promise<void> }> {
  const [{ sql, Kysely, PostgresDialect }, { default: pg }, { postgresTestUrl, withPostgresAdmin }] = await Promise.all(
    [import('kysely'), import('pg'), import('../../../../test/support/databases')],
  )
  const schema = await currentSchema(admin, 'postgres')
  const name = `orgkit_app_${process.pid}_${Math.random().toString(16).slice(2, 10)}`
  await sql`create role ${sql.id(name)} login ${sql.raw(options.attributes ?? '')}`.execute(admin)
  await sql`grant usage on schema ${sql.id(schema)} to ${sql.id(name)}`.execute(admin)
  await sql`grant select, insert, update, delete on all tables in schema ${sql.id(schema)} to ${sql.id(name)}`.execute(
    admin,
  )
  // The URL's user would win over a `user` option: the role goes into the URL.
  const url = new URL(postgresTestUrl())
  url.username = name
  url.password = ''
  const pool = new pg.Pool({
    connectionString: url.toString(),
    options: `-c search_path=${schema}`,
    max: options.max ?? 4,
  })
  const db: AnyDb = new Kysely({ dialect: new PostgresDialect({ pool }) })
  return {
    name,
    db,
    async drop() {
      await db.destroy()
      await withPostgresAdmin(postgresTestUrl(), async (client) => {
        await client.query(`drop owned by "${name}"`)
        await client.query(`drop role "${name}"`)
      })
    },
  }
}
