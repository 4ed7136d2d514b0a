/**
 * Invitations against the users table as most apps have it: emails stored as typed
 * (`Ann.Lee@Example.com`), a plain unique index on `email`, and orgkit told nothing about
 * either (no `emailNormalized`, no index of its own). Invite + accept is measured with 10,000
 * host users and again after the table has grown to the large size (1,000,000), on each
 * database; the ratio is what must stay within ×1.5.
 *
 * orgkit reads the table's catalog once at start-up: where the column compares
 * case-insensitively already (MariaDB's `_ci` collations) it looks emails up with
 * `email = ?` on that plain index; where no form the plain index serves exists (PostgreSQL's
 * and SQLite's case-sensitive text) it warns once, with the statement that fixes it. The
 * workload applies that statement, taken from the warning itself, and measures both ways: as
 * the app has it, and after the fix.
 */
import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely'
import { createConnection, createPool } from 'mysql2'
import pg from 'pg'
import { type BenchSettings, measure, StatementCounter, type WorkloadResult } from './measure'
import { openSqliteFile } from './sqlite-file'

export type EmailBenchDatabase = 'sqlite' | 'postgres' | 'mysql'

/** One database's figures, and what orgkit said about its users table. */
export interface InvitationEmailsResult {
  database: string
  /** The warnings orgkit gave at start-up (none where the plain index serves). */
  warnings: string[]
  /** The statement applied from the warning, if there was one. */
  fix: string | null
  smallUsers: number
  largeUsers: number
  /** As the app has it: small, then large. */
  asIs: { small: WorkloadResult; large: WorkloadResult }
  /** After the warning's statement (absent where there was none: `asIs` is already the fixed state). */
  fixed?: { small: WorkloadResult; large: WorkloadResult }
}

const PG_URL = process.env.ORGKIT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const MYSQL_URL = process.env.ORGKIT_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const SMALL_USERS = 10_000
const PREFIX = 'orgkit_'

// biome-ignore lint/suspicious/noExplicitAny: a scratch database
type ScratchDb = Kysely<any>

/** The user number `n` as the app stored them: the email as typed at sign-up. */
const typedEmail = (n: number) => `User${n}.Name@Example.com`

export async function runInvitationEmails(
  database: EmailBenchDatabase,
  settings: BenchSettings,
): Promise<InvitationEmailsResult> {
  const counter = new StatementCounter()
  const scratch = await openScratch(database, counter)
  const { db } = scratch
  const log = (text: string) => console.error(`[invitation emails, ${database}] ${text}`)
  try {
    const smallUsers = settings.smoke ? 1_000 : SMALL_USERS
    const largeUsers = settings.smoke ? 5_000 : settings.sizes.largeMembers
    // Pairs per run: each invitee is a user who has not been invited yet.
    const pairs = settings.smoke ? 5 : 200
    /** Fewer where the lookup reads the whole table: a quarter of a second each with a million users. */
    const slowPairs = settings.smoke ? 2 : 10
    const runs = settings.runs

    await sql`create table users (
      id varchar(64) not null primary key,
      email varchar(320) not null unique,
      name varchar(255)
    )`.execute(db)
    await seedUsers(database, db, 0, smallUsers)
    const { error } = await migrateToLatest(db, { tablePrefix: PREFIX })
    if (error) throw error
    const warnings: string[] = []
    const orgkit = createOrgkit({
      storage: kyselyStorage(db, {
        tablePrefix: PREFIX,
        users: { table: 'users', columns: { id: 'id', email: 'email', name: 'name' } },
        logger: { warn: (message) => warnings.push(message) },
      }),
      invitations: { requireVerifiedEmail: false },
    })
    const owner: Actor = { type: 'user', userId: 'usr_0', email: typedEmail(0) }
    const org = await orgkit.as(owner).organizations.create({ name: 'Inviting', slug: 'inviting' })
    await analyze(database, db)

    let next = 1
    const inviteAndAccept = (count: number) => async () => {
      for (let i = 0; i < count; i++) await invite(orgkit, owner, org.id, next++)
    }
    // Start-up: the first lookup reads the catalog (and warns); untimed.
    await inviteAndAccept(1)()
    const fix = warnings.map((warning) => /Fix: (create index .*;)$/.exec(warning)?.[1]).find(Boolean) ?? null
    const fmt = (n: number) => n.toLocaleString('en-US')
    const run = (id: string, label: string, count: number, times = runs) =>
      measure(id, label, { runs: times, ops: count, counter }, inviteAndAccept(count))

    log(`${fmt(smallUsers)} users${fix ? `; orgkit warned: ${fix}` : '; orgkit warned of nothing'}`)
    const smallAsIs = await run('E1', `invite + accept, ${fmt(smallUsers)} users, as the app has it`, pairs)
    let smallFixed: WorkloadResult | undefined
    if (fix) {
      await sql.raw(fix).execute(db)
      await analyze(database, db)
      smallFixed = await run('E1f', `invite + accept, ${fmt(smallUsers)} users, after the warning's fix`, pairs)
    }
    log(`growing the users table to ${fmt(largeUsers)}`)
    await seedUsers(database, db, smallUsers, largeUsers - smallUsers)
    await analyze(database, db)
    let largeFixed: WorkloadResult | undefined
    if (fix) {
      largeFixed = await run('E2f', `invite + accept, ${fmt(largeUsers)} users, after the warning's fix`, pairs)
      const index = /create index (\S+)/.exec(fix)?.[1]
      await sql.raw(database === 'mysql' ? `drop index ${index} on users` : `drop index ${index}`).execute(db)
      await analyze(database, db)
    }
    const largeAsIs = await run(
      'E2',
      `invite + accept, ${fmt(largeUsers)} users, as the app has it`,
      fix ? slowPairs : pairs,
      fix ? Math.min(runs, 3) : runs,
    )
    return {
      database: { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MariaDB' }[database],
      warnings,
      fix,
      smallUsers,
      largeUsers,
      asIs: { small: smallAsIs, large: largeAsIs },
      ...(smallFixed && largeFixed ? { fixed: { small: smallFixed, large: largeFixed } } : {}),
    }
  } finally {
    await scratch.close()
  }
}

async function invite(orgkit: Orgkit, owner: Actor, orgId: string, n: number): Promise<void> {
  // The inviter types the address in lower case; the invitee signed up with capitals.
  const issued = await orgkit
    .as(owner)
    .invitations.create(orgId, { email: typedEmail(n).toLowerCase(), role: 'member' })
  await orgkit
    .as({ type: 'user', userId: `usr_${n}`, email: typedEmail(n) })
    .invitations.accept({ token: issued.token })
}

/** Users `start` … `start + count - 1`, generated by the database in one statement. */
async function seedUsers(database: EmailBenchDatabase, db: ScratchDb, start: number, count: number): Promise<void> {
  const last = start + count - 1
  const row = (n: string) => sql.raw(`'usr_' || ${n}, 'User' || ${n} || '.Name@Example.com', 'User ' || ${n}`)
  if (database === 'postgres') {
    await sql`insert into users (id, email, name) select ${row('n')} from generate_series(${start}::int, ${last}::int) as n`.execute(
      db,
    )
  } else if (database === 'mysql') {
    // MariaDB's sequence engine; `||` is OR there, so concat().
    await sql`insert into users (id, email, name)
      select concat('usr_', seq), concat('User', seq, '.Name@Example.com'), concat('User ', seq)
      from ${sql.raw(`seq_${start}_to_${last}`)}`.execute(db)
  } else {
    await sql`with recursive seq(n) as (select cast(${start} as integer) union all select n + 1 from seq where n < ${last})
      insert into users (id, email, name) select ${row('n')} from seq`.execute(db)
  }
}

async function analyze(database: EmailBenchDatabase, db: ScratchDb): Promise<void> {
  if (database === 'postgres') await sql`vacuum analyze`.execute(db)
  else if (database === 'mysql') await sql`analyze table users, ${sql.table(`${PREFIX}members`)}`.execute(db)
  else await sql`analyze`.execute(db)
}

/** A fresh database of the kind, counted, and how to throw it away. */
async function openScratch(
  database: EmailBenchDatabase,
  counter: StatementCounter,
): Promise<{ db: ScratchDb; close(): Promise<void> }> {
  const name = `orgkit_bench_emails_${process.pid}`
  const log = (event: { level: string }) => {
    if (event.level === 'query') counter.tick()
  }
  if (database === 'sqlite') {
    const file = openSqliteFile('emails', counter)
    const db: ScratchDb = new Kysely({ dialect: new SqliteDialect({ database: file.cached }) })
    return {
      db,
      async close() {
        await db.destroy()
        file.close()
      },
    }
  }
  if (database === 'postgres') {
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`create schema ${name}`)
    const db: ScratchDb = new Kysely({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: PG_URL, options: `-c search_path=${name}`, max: 4 }),
      }),
      log,
    })
    return {
      db,
      async close() {
        await db.destroy()
        await admin.query(`drop schema ${name} cascade`)
        await admin.end()
      },
    }
  }
  await mysqlAdmin(`create database ${name} character set utf8mb4`)
  const url = new URL(MYSQL_URL)
  url.pathname = `/${name}`
  const db: ScratchDb = new Kysely({
    dialect: new MysqlDialect({ pool: createPool({ uri: url.toString(), timezone: 'Z', connectionLimit: 4 }) }),
    log,
  })
  return {
    db,
    async close() {
      await db.destroy()
      await mysqlAdmin(`drop database ${name}`)
    },
  }
}

function mysqlAdmin(statement: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const connection = createConnection({ uri: MYSQL_URL })
    connection.query(statement, (error) => {
      connection.end()
      if (error) reject(error)
      else resolve()
    })
  })
}
