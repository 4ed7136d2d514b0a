/** The column that holds a row's organization when a scoped table names none. */
export const DEFAULT_ORGANIZATION_COLUMN = 'organization_id'

/**
 * The host's organization-owned tables: a list of names (each with the default column,
 * `organization_id`), or a map from name to its organization column. A name may carry
 * a schema (`app.projects`).
 *
 * ```ts
 * tables: ['projects', 'tasks']
 * tables: { projects: 'organization_id', 'billing.invoices': 'org_id' }
 * ```
 */
export type ScopedTables = readonly string[] | Readonly<Record<string, string>>

/** Which host tables are organization-owned, shared by the scope plugin and Row Level Security. */
export interface TenantScopeOptions {
  /** The organization-owned tables (see `ScopedTables`). At least one. */
  tables: ScopedTables
  /**
   * The organization column of the tables listed without one.
   * @default 'organization_id'
   */
  column?: string | undefined
}

/**
 * The organization a scoped instance works for: its id, or a function read each time a
 * query is built (for an id that comes from the request's context). A function that
 * returns `undefined`, `null` or `''` means "no organization": every query then fails.
 */
export type OrganizationSource = string | (() => string | null | undefined)

/** One scoped table, checked. */
export interface ScopedTable {
  /** As the host wrote it: `projects` or `app.projects`. */
  name: string
  schema: string | undefined
  table: string
  column: string
}

/** The checked table list: looked up by the table's name, case-insensitively. */
export interface ScopedTableSet {
  readonly tables: readonly ScopedTable[]
  /** The scoped table a reference names (`schema` as written, or none), if any. */
  find(schema: string | undefined, table: string): ScopedTable | undefined
  /** The first scoped table whose name appears as a word in SQL text (quoted or not), if any. */
  mentionedIn(text: string): ScopedTable | undefined
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/

/** Checks the table list once, so queries and policies can quote its names safely. */
export function resolveScopedTables(options: TenantScopeOptions, where: string): ScopedTableSet {
  if (
    options === null ||
    typeof options !== 'object' ||
    options.tables === null ||
    typeof options.tables !== 'object'
  ) {
    throw new Error(`@orgkit/kysely: ${where}: options.tables must list the organization-owned tables.`)
  }
  const defaultColumn = options.column ?? DEFAULT_ORGANIZATION_COLUMN
  if (typeof defaultColumn !== 'string' || !IDENTIFIER.test(defaultColumn)) {
    throw new Error(
      `@orgkit/kysely: ${where}: options.column ${JSON.stringify(defaultColumn)} is not a plain SQL identifier.`,
    )
  }
  const entries: [string, unknown][] = Array.isArray(options.tables)
    ? options.tables.map((name): [string, unknown] => [name, defaultColumn])
    : Object.entries(options.tables)
  if (entries.length === 0) {
    throw new Error(`@orgkit/kysely: ${where}: options.tables is empty; name at least one organization-owned table.`)
  }
  const tables = entries.map(([name, column]): ScopedTable => {
    const parts = typeof name === 'string' ? name.split('.') : []
    if (parts.length < 1 || parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
      throw new Error(`@orgkit/kysely: ${where}: table ${JSON.stringify(name)} is not a plain (schema.)table name.`)
    }
    if (typeof column !== 'string' || !IDENTIFIER.test(column)) {
      throw new Error(
        `@orgkit/kysely: ${where}: the column of ${name}, ${JSON.stringify(column)}, is not a plain SQL identifier.`,
      )
    }
    const [first, second] = parts as [string, string | undefined]
    return second === undefined
      ? { name, schema: undefined, table: first, column }
      : { name, schema: first, table: second, column }
  })
  const byName = new Map<string, ScopedTable[]>()
  for (const table of tables) {
    const key = table.table.toLowerCase()
    byName.set(key, [...(byName.get(key) ?? []), table])
  }
  const names = [...byName.keys()].map((name) => name.replaceAll('$', '\\$'))
  // Identifier characters on neither side: `projects`, `"projects"`, `app.projects`, not `projects_count`.
  const mention = new RegExp(`(?<![\\w$])(${names.join('|')})(?![\\w$])`, 'i')
  const set: ScopedTableSet = {
    tables,
    mentionedIn(text) {
      const match = mention.exec(text)
      return match === null ? undefined : set.find(undefined, match[1]!)
    },
    find(schema, table) {
      const candidates = byName.get(table.toLowerCase())
      if (candidates === undefined) return undefined
      // A reference with a schema matches the entry of that schema first; any other
      // entry of the same name matches too: a search path may resolve either way, and an
      // extra condition can only narrow a query, never widen it.
      const lower = schema?.toLowerCase()
      return (
        candidates.find((candidate) => candidate.schema?.toLowerCase() === lower) ??
        candidates.find((candidate) => candidate.schema === undefined) ??
        candidates[0]
      )
    },
  }
  return set
}
