import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { type ConnectionErrorListener, cachedStatements, guardMysqlPool, guardPgPool } from '@orgkit/kysely'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely'
import { createPool } from 'mysql2'
import pg from 'pg'

export type DatabaseKind = 'sqlite' | 'postgres' | 'mysql'

/** The host's own tables, as far as the demo needs them. */
export interface HostDatabase {
  users: {
    id: string
    email: string
    username: string | null
    name: string | null
    image_url: string | null
    email_verified: number | boolean
    platform_role: string | null
    created_at: string
  }
  projects: {
    id: string
    organization_id: string
    name: string
    created_at: string
  }
}

export const DEFAULT_DATABASE_URL = 'sqlite:.data/quickstart.sqlite'

/**
 * Opens the database `DATABASE_URL` names: `sqlite:<file>` (relative to the working
 * directory; the default), `postgres://…` or `mysql://…` (MariaDB too).
 *
 * The server's pools are guarded: when the database drops a connection (a restart, a
 * failover, a killed session), `onConnectionError` hears of it, the requests on that
 * connection fail, and the next ones get a new connection. Unguarded, the driver's
 * `'error'` event would end the process.
 */
export function openDatabase(
  url = DEFAULT_DATABASE_URL,
  onConnectionError?: ConnectionErrorListener,
): {
  db: Kysely<HostDatabase>
  kind: DatabaseKind
  label: string
} {
  if (url.startsWith('sqlite:')) {
    const file = resolve(url.slice('sqlite:'.length) || '.data/quickstart.sqlite')
    mkdirSync(dirname(file), { recursive: true })
    const database = new SqliteDatabase(file)
    database.pragma('journal_mode = WAL')
    return {
      // Each distinct query prepared once, not on every run.
      db: new Kysely({ dialect: new SqliteDialect({ database: cachedStatements(database) }) }),
      kind: 'sqlite',
      label: `SQLite file ${file}`,
    }
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = guardPgPool(new pg.Pool({ connectionString: url }), onConnectionError)
    return { db: new Kysely({ dialect: new PostgresDialect({ pool }) }), kind: 'postgres', label: 'PostgreSQL' }
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    // UTC on the wire, so timestamps read back as they were written.
    const pool = guardMysqlPool(
      createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), timezone: 'Z' }),
      onConnectionError,
    )
    return { db: new Kysely({ dialect: new MysqlDialect({ pool }) }), kind: 'mysql', label: 'MySQL/MariaDB' }
  }
  // Only the scheme is echoed: the rest of a URL may hold a password.
  const scheme = /^[^:/]*:?/.exec(url)?.[0] ?? ''
  throw new Error(`DATABASE_URL must start with sqlite:, postgres:// or mysql:// (got ${JSON.stringify(`${scheme}…`)})`)
}

/**
 * The host's own tables. `users` exists in a real app already (orgkit only reads it);
 * `projects` stands for the host's tenant data: it carries the organization id.
 */
export async function createHostTables(db: Kysely<HostDatabase>): Promise<void> {
  await db.schema
    .createTable('users')
    .ifNotExists()
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('email', 'varchar(320)', (col) => col.notNull().unique())
    .addColumn('username', 'varchar(100)', (col) => col.unique())
    .addColumn('name', 'varchar(255)')
    .addColumn('image_url', 'varchar(2048)')
    .addColumn('email_verified', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('platform_role', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
    .execute()
  await db.schema
    .createTable('projects')
    .ifNotExists()
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('organization_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('name', 'varchar(255)', (col) => col.notNull())
    .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
    .execute()
  await db.schema
    .createIndex('projects_organization_id_idx')
    .ifNotExists()
    .on('projects')
    .column('organization_id')
    .execute()
}
