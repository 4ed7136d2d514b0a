/**
 * What each worker process runs: one system's measurements, or one HTTP server. The smoke
 * mode calls these in the orchestrator's own process instead, to stay quick.
 */

import type SqliteDatabase from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { startServer } from './http'
import { runInMemory } from './in-memory'
import {
  type BenchSettings,
  measure,
  peakRssMiB,
  StatementCounter,
  type SystemResult,
  type WorkloadResult,
} from './measure'
import { runScoping } from './scoping'
import { openSqliteFile } from './sqlite-file'
import { betterAuthSystem } from './targets/better-auth'
import { createOrgkitOn, orgkitSystem, type ScratchDb } from './targets/orgkit'
import { runWorkloads } from './workloads'

export const PG_URL = process.env.ORGKIT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Runs one system's measurements in this process. */
export async function runSystem(system: string, settings: BenchSettings): Promise<SystemResult> {
  const counter = new StatementCounter()
  if (system === 'orgkit-sqlite') {
    const file = openSqliteFile('orgkit', counter)
    const db: ScratchDb = new Kysely({ dialect: new SqliteDialect({ database: file.cached }) })
    try {
      const orgkit = await createOrgkitOn(db)
      const workloads = await runWorkloads(
        orgkitSystem('orgkit (SQLite)', db, orgkit, counter, 'sqlite'),
        settings,
        file.replay,
      )
      workloads.push(await measureTransactionFloor(file.db, counter, settings))
      return { system: 'orgkit (SQLite)', workloads, peakRssMiB: peakRssMiB(), notes: [] }
    } finally {
      await db.destroy()
      file.close()
    }
  }
  if (system === 'better-auth') {
    const file = openSqliteFile('better-auth', counter)
    try {
      const ba = await betterAuthSystem(file.cached, counter)
      const workloads = await runWorkloads(ba, settings, file.replay)
      return { system: 'Better Auth (SQLite)', workloads, peakRssMiB: peakRssMiB(), notes: ba.notes }
    } finally {
      file.close()
    }
  }
  if (system === 'orgkit-postgres') {
    const schema = `orgkit_bench_${process.pid}`
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    const db: ScratchDb = new Kysely({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: PG_URL, options: `-c search_path=${schema}`, max: 10 }),
      }),
      log: (event) => {
        if (event.level === 'query') counter.tick()
      },
    })
    try {
      const orgkit = await createOrgkitOn(db)
      const workloads = await runWorkloads(
        orgkitSystem('orgkit (PostgreSQL)', db, orgkit, counter, 'postgres'),
        settings,
      )
      return { system: 'orgkit (PostgreSQL)', workloads, peakRssMiB: peakRssMiB(), notes: [] }
    } finally {
      await db.destroy()
      await admin.query(`drop schema ${schema} cascade`)
      await admin.end()
    }
  }
  if (system === 'in-memory') {
    const inMemory = await runInMemory(settings)
    return { system: 'in-memory', workloads: [], inMemory, peakRssMiB: peakRssMiB(), notes: [] }
  }
  if (system === 'scoping') {
    const scoping = await runScoping(settings, PG_URL === 'off' ? undefined : PG_URL)
    return { system: 'tenant scope', workloads: [], scoping, peakRssMiB: peakRssMiB(), notes: [] }
  }
  throw new Error(`unknown system ${system}`)
}

/**
 * What any write costs on this database file before a library does anything: a transaction
 * of one small insert, its three statements prepared once, straight through better-sqlite3.
 * Committing (and the WAL checkpoints commits bring) is most of it.
 */
async function measureTransactionFloor(
  db: SqliteDatabase.Database,
  counter: StatementCounter,
  settings: BenchSettings,
): Promise<WorkloadResult> {
  db.exec('create table bench_floor (id integer primary key, organization_id text not null, note text not null)')
  const begin = db.prepare('begin')
  const insert = db.prepare('insert into bench_floor (organization_id, note) values (?, ?)')
  const commit = db.prepare('commit')
  const ops = settings.sizes.members
  return measure(
    'F',
    'a transaction of one small insert, straight through better-sqlite3',
    { runs: settings.runs, ops, counter },
    async () => {
      for (let i = 0; i < ops; i++) {
        begin.run()
        insert.run('org_floor', `row ${i}`)
        commit.run()
      }
    },
  )
}

export interface HttpServer {
  port: number
  org: string
  userId: string
  close(): Promise<void>
}

/** orgkit's adapter and the hand-written route in one server on 127.0.0.1, over an organization of `members` members. */
export async function serveHttp(framework: string, settings: BenchSettings): Promise<HttpServer> {
  const counter = new StatementCounter()
  const file = openSqliteFile(`http-${framework}`, counter)
  const db: ScratchDb = new Kysely({ dialect: new SqliteDialect({ database: file.cached }) })
  const orgkit = await createOrgkitOn(db)
  const system = orgkitSystem('orgkit', db, orgkit, counter, 'sqlite')
  const [owner] = await system.seedUsers(1)
  const org = await system.seedLargeOrganization(owner!, settings.sizes.members)
  const server = await startServer(framework, orgkit, db, () => counter.count)
  return {
    port: server.port,
    org: org.id,
    userId: owner!.id,
    async close() {
      await server.close()
      await db.destroy()
      file.close()
    },
  }
}
