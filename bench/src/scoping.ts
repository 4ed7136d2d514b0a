/**
 * What the tenant scope plugin costs: the same host queries through a scoped Kysely
 * instance and written by hand with the organization condition, on SQLite and
 * PostgreSQL, and the plugin's transform alone (building and compiling the query, no
 * database). Both sides must return the same rows before either is timed.
 */
import { cachedStatements, scopeToOrganization } from '@orgkit/kysely'
import SqliteDatabase from 'better-sqlite3'
import { type Compilable, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import { type BenchSettings, type Spread, spread } from './measure'

export interface ScopingRow {
  database: string
  query: string
  /** Microseconds per query, median (min–max) over runs. */
  handWrittenUs: Spread
  scopedUs: Spread
}

export interface ScopingResult {
  rows: ScopingRow[]
  organizations: number
  projectsPerOrganization: number
  tasksPerOrganization: number
}

// biome-ignore lint/suspicious/noExplicitAny: the bench's host tables are untyped.
type Db = Kysely<any>

const TABLES = { tables: ['projects', 'tasks'] }

/** One query shape, as the host writes it with the condition by hand and as it writes it on a scoped instance. */
interface Shape {
  name: string
  handWritten(db: Db, org: string, i: number): Compilable & { execute(): Promise<unknown> }
  scoped(db: Db, i: number): Compilable & { execute(): Promise<unknown> }
  /** Reads return rows to compare; writes do not. */
  read: boolean
}

const projectOf = (org: string, i: number) => `${org}_p${i % 100}`

const SHAPES: Shape[] = [
  {
    name: 'a page of 50 projects',
    read: true,
    handWritten: (db, org) =>
      db.selectFrom('projects').select(['id', 'name']).where('organization_id', '=', org).orderBy('id').limit(50),
    scoped: (db) => db.selectFrom('projects').select(['id', 'name']).orderBy('id').limit(50),
  },
  {
    name: "a project's tasks, joined to the project",
    read: true,
    handWritten: (db, org, i) =>
      db
        .selectFrom('tasks as t')
        .innerJoin('projects as p', (join) => join.onRef('p.id', '=', 't.project_id').on('p.organization_id', '=', org))
        .select(['t.id', 't.title', 'p.name'])
        .where('t.organization_id', '=', org)
        .where('t.project_id', '=', projectOf(org, i))
        .orderBy('t.id'),
    scoped: (db, i) =>
      db
        .selectFrom('tasks as t')
        .innerJoin('projects as p', 'p.id', 't.project_id')
        .select(['t.id', 't.title', 'p.name'])
        .where('t.project_id', '=', projectOf(ORGANIZATION, i))
        .orderBy('t.id'),
  },
  {
    name: 'projects with an open task (exists)',
    read: true,
    handWritten: (db, org) =>
      db
        .selectFrom('projects')
        .select('id')
        .where('organization_id', '=', org)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('tasks')
              .select('tasks.id')
              .where('tasks.organization_id', '=', org)
              .whereRef('tasks.project_id', '=', 'projects.id')
              .where('tasks.points', '>', 8),
          ),
        )
        .orderBy('id')
        .limit(50),
    scoped: (db) =>
      db
        .selectFrom('projects')
        .select('id')
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('tasks')
              .select('tasks.id')
              .whereRef('tasks.project_id', '=', 'projects.id')
              .where('tasks.points', '>', 8),
          ),
        )
        .orderBy('id')
        .limit(50),
  },
  {
    name: 'update one task',
    read: false,
    handWritten: (db, org, i) =>
      db
        .updateTable('tasks')
        .set({ points: sql`points + 1` })
        .where('organization_id', '=', org)
        .where('id', '=', `${org}_t${i % 500}`),
    scoped: (db, i) =>
      db
        .updateTable('tasks')
        .set({ points: sql`points + 1` })
        .where('id', '=', `${ORGANIZATION}_t${i % 500}`),
  },
]

/** The organization the scoped side works for. */
const ORGANIZATION = 'org_3'

async function createTables(db: Db, organizations: number, projects: number, tasks: number): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('organization_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('name', 'varchar(100)', (col) => col.notNull())
    .execute()
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('organization_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('project_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('title', 'varchar(100)', (col) => col.notNull())
    .addColumn('points', 'integer', (col) => col.notNull())
    .execute()
  // The indexes a host keeps on organization-owned tables: the organization first.
  await db.schema.createIndex('projects_org_idx').on('projects').columns(['organization_id', 'id']).execute()
  await db.schema.createIndex('tasks_org_project_idx').on('tasks').columns(['organization_id', 'project_id']).execute()
  for (let o = 0; o < organizations; o++) {
    const org = `org_${o}`
    const projectRows = Array.from({ length: projects }, (_, i) => ({
      id: `${org}_p${i}`,
      organization_id: org,
      name: `Project ${i}`,
    }))
    for (let start = 0; start < projectRows.length; start += 200) {
      await db
        .insertInto('projects')
        .values(projectRows.slice(start, start + 200))
        .execute()
    }
    const taskRows = Array.from({ length: tasks }, (_, i) => ({
      id: `${org}_t${i}`,
      organization_id: org,
      project_id: `${org}_p${i % projects}`,
      title: `Task ${i}`,
      points: i % 10,
    }))
    for (let start = 0; start < taskRows.length; start += 200) {
      await db
        .insertInto('tasks')
        .values(taskRows.slice(start, start + 200))
        .execute()
    }
  }
}

/** Both sides, alternating per run so that the machine's noise falls on both alike. */
async function timeShapes(database: string, db: Db, runs: number, ops: number): Promise<ScopingRow[]> {
  const scoped = scopeToOrganization(db, ORGANIZATION, TABLES)
  const rows: ScopingRow[] = []
  for (const shape of SHAPES) {
    if (shape.read) {
      const expected = JSON.stringify(await shape.handWritten(db, ORGANIZATION, 7).execute())
      const got = JSON.stringify(await shape.scoped(scoped, 7).execute())
      if (got !== expected || expected === '[]') throw new Error(`${shape.name}: the scoped query answers differently`)
    }
    const hand: number[] = []
    const scopedTimes: number[] = []
    for (let run = 0; run < runs + 1; run++) {
      let start = performance.now()
      for (let i = 0; i < ops; i++) await shape.handWritten(db, ORGANIZATION, i).execute()
      const handUs = ((performance.now() - start) * 1000) / ops
      start = performance.now()
      for (let i = 0; i < ops; i++) await shape.scoped(scoped, i).execute()
      const scopedUs = ((performance.now() - start) * 1000) / ops
      // The first run warms both up (prepared statements, JIT); it is not counted.
      if (run > 0) {
        hand.push(handUs)
        scopedTimes.push(scopedUs)
      }
    }
    const row = { database, query: shape.name, handWrittenUs: spread(hand), scopedUs: spread(scopedTimes) }
    console.error(
      `  ${database}, ${shape.name}: hand-written ${row.handWrittenUs.median.toFixed(1)} µs, scoped ${row.scopedUs.median.toFixed(1)} µs`,
    )
    rows.push(row)
  }
  return rows
}

/** Building and compiling each query, no database: what the plugin's transform adds. */
function timeCompile(db: Db, runs: number, ops: number): ScopingRow[] {
  const scoped = scopeToOrganization(db, ORGANIZATION, TABLES)
  return SHAPES.map((shape) => {
    const hand: number[] = []
    const scopedTimes: number[] = []
    for (let run = 0; run < runs + 1; run++) {
      let start = performance.now()
      for (let i = 0; i < ops; i++) shape.handWritten(db, ORGANIZATION, i).compile()
      const handUs = ((performance.now() - start) * 1000) / ops
      start = performance.now()
      for (let i = 0; i < ops; i++) shape.scoped(scoped, i).compile()
      const scopedUs = ((performance.now() - start) * 1000) / ops
      if (run > 0) {
        hand.push(handUs)
        scopedTimes.push(scopedUs)
      }
    }
    const row = {
      database: 'none (build and compile only)',
      query: shape.name,
      handWrittenUs: spread(hand),
      scopedUs: spread(scopedTimes),
    }
    console.error(
      `  compile, ${shape.name}: hand-written ${row.handWrittenUs.median.toFixed(1)} µs, scoped ${row.scopedUs.median.toFixed(1)} µs`,
    )
    return row
  })
}

export async function runScoping(settings: BenchSettings, pgUrl: string | undefined): Promise<ScopingResult> {
  const organizations = settings.smoke ? 4 : 10
  const projects = settings.smoke ? 100 : 1_000
  const tasks = settings.smoke ? 500 : 5_000
  const ops = settings.smoke ? 50 : 2_000
  const runs = settings.runs
  const rows: ScopingRow[] = []

  const sqlite = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: cachedStatements(new SqliteDatabase(':memory:')) }),
  }) as Db
  try {
    await createTables(sqlite, organizations, projects, tasks)
    await sql`analyze`.execute(sqlite)
    rows.push(...timeCompile(sqlite, runs, ops * 2))
    rows.push(...(await timeShapes('SQLite (in memory)', sqlite, runs, ops)))
  } finally {
    await sqlite.destroy()
  }

  if (pgUrl !== undefined) {
    const schema = `orgkit_bench_scope_${process.pid}`
    const admin = new pg.Client({ connectionString: pgUrl })
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: pgUrl, options: `-c search_path=${schema}`, max: 2 }),
      }),
    }) as Db
    try {
      await createTables(db, organizations, projects, tasks)
      await sql`analyze`.execute(db)
      rows.push(...(await timeShapes('PostgreSQL', db, runs, Math.ceil(ops / 4))))
    } finally {
      await db.destroy()
      await admin.query(`drop schema ${schema} cascade`)
      await admin.end()
    }
  }
  return { rows, organizations, projectsPerOrganization: projects, tasksPerOrganization: tasks }
}
