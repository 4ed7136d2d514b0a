import { type Compilable, CompiledQuery, type InsertQueryBuilder, type InsertResult, type QueryResult } from 'kysely'
import type { StorageContext } from './context'

/** A value a compiled query takes on each run: `values[name]`. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * Stands, in a query built for `compiled`, for the value named `name` of each run. Typed as
 * whatever the query builder expects there; it is only ever a placeholder.
 */
export function slot<T>(name: string): T {
  return new Slot(name) as unknown as T
}

/**
 * A row of slots for an insert: each column's value is the run's value of that name (with
 * `suffix`, for the rows of a multi-row insert).
 */
export function slotRow<Row>(columns: readonly (keyof Row & string)[], suffix = ''): Row {
  return Object.fromEntries(columns.map((column) => [column, slot(`${column}${suffix}`)])) as Row
}

/**
 * A query of the hot paths built and compiled once per storage, then run with new values:
 * Kysely otherwise builds its operation tree, renames the tables and compiles the SQL on
 * every call, which costs as much as running one of these small statements on SQLite.
 *
 * `build` receives the storage's context and nothing of a call: every value that varies
 * between runs must be a `slot`, and a value it could capture from one run cannot leak into
 * the next. A run that lacks a slot's value, or names one the query does not take, throws.
 */
export interface CompiledQueryDefinition<Row> {
  run(context: StorageContext, values: object): Promise<QueryResult<Row>>
}

export interface CompiledOptions {
  /**
   * The query reads the host's users table: it is compiled after the storage has read that
   * table's catalog (see `HostUsers.ready`), whose findings may shape it.
   */
  meetsHostUsers?: boolean | undefined
}

interface Template {
  sql: string
  /** The compiled parameters: constants as they are, slots where each run's values go. */
  parameters: readonly unknown[]
  slots: ReadonlySet<string>
}

export function compiled<Row>(
  build: (context: StorageContext) => Compilable<Row>,
  options: CompiledOptions = {},
): CompiledQueryDefinition<Row> {
  const definition: CompiledQueryDefinition<Row> = {
    async run(context, values) {
      let template = context.compiled.get(definition)
      if (template === undefined) {
        if (options.meetsHostUsers) await context.hostUsers.ready(context.db)
        template = compile(build(context))
        context.compiled.set(definition, template)
      }
      for (const name of Object.keys(values)) {
        if (!template.slots.has(name)) throw new Error(`@orgkit/kysely: this query takes no value named ${name}`)
      }
      const parameters = template.parameters.map((parameter) => {
        if (!(parameter instanceof Slot)) return parameter
        const value = (values as Record<string, unknown>)[parameter.name]
        if (value === undefined) throw new Error(`@orgkit/kysely: no value for ${parameter.name}`)
        return value
      })
      return context.db.executeQuery<Row>(CompiledQuery.raw(template.sql, parameters) as CompiledQuery<Row>)
    },
  }
  return definition
}

/**
 * An insert that may collide with a key, compiled: what `StorageDialect.insertUnlessExists`
 * runs, answering whether it inserted.
 */
export function compiledInsertUnlessExists<DB, TB extends keyof DB>(
  build: (context: StorageContext) => InsertQueryBuilder<DB, TB, InsertResult>,
): { run(context: StorageContext, values: object): Promise<boolean> } {
  const insert = compiled((context) => context.dialect.unlessExists(build(context)))
  return { run: (context, values) => context.dialect.inserted(() => insert.run(context, values)) }
}

function compile(query: Compilable<unknown>): Template {
  const { sql, parameters } = query.compile()
  const slots = new Set(parameters.filter((p): p is Slot => p instanceof Slot).map((p) => p.name))
  return { sql, parameters, slots }
}

/** Where a storage keeps its compiled queries: one per definition, for its tables and dialect. */
export type CompiledQueryCache = Map<CompiledQueryDefinition<unknown>, Template>
