import type { DialectName, StorageDialect } from './dialect'
import { mysqlDialect } from './mysql'
import { postgresDialect } from './postgres'
import { sqliteDialect } from './sqlite'

export { type DialectName, detectDialect, type StorageDialect } from './dialect'

const DIALECTS: Record<DialectName, StorageDialect> = {
  postgres: postgresDialect,
  mysql: mysqlDialect,
  sqlite: sqliteDialect,
}

export function storageDialect(name: DialectName): StorageDialect {
  const dialect = DIALECTS[name]
  if (dialect === undefined) {
    throw new Error(`@orgkit/kysely: unknown dialect ${JSON.stringify(name)}; use 'postgres', 'mysql' or 'sqlite'.`)
  }
  return dialect
}
