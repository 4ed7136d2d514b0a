/**
 * orgkit's benchmarks: the permission check on the hot path, and the storage queries behind
 * the busiest routes. Run with `npm run bench`; set ORGKIT_BENCH_PG_URL (default: the test
 * server) or ORGKIT_BENCH_PG_URL=off. Results are printed as a Markdown table.
 */
import { createOrgkit, createPermissionEngine, type Orgkit } from '@orgkit/core'
import { kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'

const rows: string[][] = []
const record = (name: string, value: string, note = '') => {
  rows.push([name, value, note])
  console.error(`${name}: ${value} ${note}`)
}

/** Runs `fn` repeatedly for about `ms` after a warm-up; returns operations per second. */
async function throughput(fn: () => unknown, ms = 1500): Promise<number> {
  const warm = performance.now() + 200
  while (performance.now() < warm) await fn()
  let count = 0
  const start = performance.now()
  const end = start + ms
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await fn()
    count += 100
  }
  return count / ((performance.now() - start) / 1000)
}

/** Median latency of `runs` calls, in milliseconds. */
async function median(fn: () => Promise<unknown>, runs = 50): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < 5; i++) await fn()
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

// ── 1. The permission check ─────────────────────────────────────────────────────────
const resources = Array.from({ length: 40 }, (_, i) => `resource${i}`)
const hostPermissions = resources.flatMap((r) => ['read', 'create', 'update', 'delete'].map((a) => `${r}.${a}`))
const grants = [...resources.slice(0, 20).map((r) => `${r}.*`), 'resource30.read', 'resource31.update']
const engine = createPermissionEngine({ permissions: hostPermissions, roles: { editor: { grants } } })
const editor = engine.role('editor')!
const probes = hostPermissions.filter((_, i) => i % 7 === 0)

/** What a library without a compiled engine does: scan the grants, matching wildcards. */
function naiveHas(granted: readonly string[], permission: string): boolean {
  return granted.some(
    (grant) =>
      grant === '*' || grant === permission || (grant.endsWith('.*') && permission.startsWith(grant.slice(0, -1))),
  )
}

let sink = 0
let p = 0
const compiledOps = await throughput(() => {
  sink += editor.has(probes[p++ % probes.length]!) ? 1 : 0
})
const naiveOps = await throughput(() => {
  sink += naiveHas(grants, probes[p++ % probes.length]!) ? 1 : 0
})
record(
  'permission check, compiled role (`role.has`)',
  `${fmt(compiledOps)} ops/s`,
  `${grants.length} grants, ${engine.permissions.length} permissions`,
)
record(
  'permission check, naive grant scan',
  `${fmt(naiveOps)} ops/s`,
  `×${(compiledOps / naiveOps).toFixed(1)} for the compiled role`,
)

// ── 2. Storage-backed checks and listings ───────────────────────────────────────────
const MEMBERS = 10_000

// The benchmark makes its own scratch tables; their types are not worth spelling out.
// biome-ignore lint/suspicious/noExplicitAny: a scratch database
type ScratchDb = Kysely<any>

async function seed(db: ScratchDb, label: string): Promise<void> {
  await db.schema.dropTable('users').ifExists().execute()
  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('email', 'varchar(320)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)')
    .execute()
  const { error } = await migrateToLatest(db, { tablePrefix: 'bench_' })
  if (error) throw error
  const storage = kyselyStorage(db, {
    tablePrefix: 'bench_',
    users: { table: 'users', columns: { id: 'id', email: 'email', name: 'name' } },
  })
  const orgkit: Orgkit = createOrgkit({ storage, permissions: hostPermissions })
  for (let i = 0; i < MEMBERS; i += 500) {
    const batch = Array.from({ length: Math.min(500, MEMBERS - i) }, (_, j) => ({
      id: `u${i + j}`,
      email: `user${i + j}@example.com`,
      name: `User ${i + j}`,
    }))
    await db.insertInto('users').values(batch).execute()
  }
  const org = await orgkit.as({ type: 'user', userId: 'u0' }).organizations.create({ name: `Bench ${label}` })
  for (let i = 1; i < MEMBERS; i++) {
    await storage.members.insert({
      organizationId: org.id,
      userId: `u${i}`,
      role: 'member',
      joinedAt: new Date(Date.UTC(2026, 0, 1) + i),
    })
  }
  // Fresh tables have no planner statistics yet; a live database's autovacuum keeps them.
  if (label === 'PostgreSQL') await sql`analyze`.execute(db)
  const owner = orgkit.as({ type: 'user', userId: 'u0' })
  const member = orgkit.as({ type: 'user', userId: 'u5000' })

  record(
    `${label}: \`can()\` as a member (one membership read)`,
    `${(await median(() => member.can(org.slug, 'members.read'), 500)).toFixed(3)} ms`,
    'median',
  )
  const first = await owner.members.list(org.slug, { limit: 100 })
  record(
    `${label}: first page of 100 of ${fmt(MEMBERS)} members, users joined`,
    `${(await median(() => owner.members.list(org.slug, { limit: 100 }))).toFixed(2)} ms`,
    'median',
  )
  record(
    `${label}: a later page (keyset cursor)`,
    `${(await median(() => owner.members.list(org.slug, { limit: 100, cursor: first.nextCursor! }))).toFixed(2)} ms`,
    'median',
  )
  record(
    `${label}: \`q\` prefix search over ${fmt(MEMBERS)} members`,
    `${(await median(() => owner.members.list(org.slug, { q: 'user99' }))).toFixed(2)} ms`,
    'median',
  )
  const key = await owner.apiKeys.create(org.slug, { name: 'bench', role: 'member' })
  record(
    `${label}: API key authentication`,
    `${(await median(() => orgkit.authenticateApiKey(key.secret), 500)).toFixed(3)} ms`,
    'median, lastUsedAt kept to 60 s',
  )
}

const sqliteDb: ScratchDb = new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) })
await seed(sqliteDb, 'SQLite (memory)')
await sqliteDb.destroy()

const pgUrl = process.env.ORGKIT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
if (pgUrl !== 'off') {
  const schema = `orgkit_bench_${process.pid}`
  const admin = new pg.Client({ connectionString: pgUrl })
  try {
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    const pgDb: ScratchDb = new Kysely({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: pgUrl, options: `-c search_path=${schema}` }),
      }),
    })
    try {
      await seed(pgDb, 'PostgreSQL')
    } finally {
      await pgDb.destroy()
      await admin.query(`drop schema ${schema} cascade`)
    }
  } catch (error) {
    console.error('PostgreSQL skipped:', (error as Error).message)
  } finally {
    await admin.end().catch(() => {})
  }
}

const heap = process.memoryUsage()
record(
  'heap used at the end of the run',
  `${(heap.heapUsed / 1024 / 1024).toFixed(1)} MiB`,
  `rss ${(heap.rss / 1024 / 1024).toFixed(0)} MiB`,
)
if (sink < 0) console.log(sink)

console.log(
  `| measurement | result | note |\n| --- | --- | --- |\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`,
)
