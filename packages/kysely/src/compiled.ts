import {
  type Compilable,
  CompiledQuery,
  createQueryId,
  type InsertQueryBuilder,
  type InsertResult,
  type QueryResult,
} from 'kysely'
import type { StorageContext } from './context'
import { COMPILED_MARK } from './pg-statements'

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
  /** Each parameter's slot name, or undefined for a constant: read once, not per run. */
  slotAt: readonly (string | undefined)[]
  slots: ReadonlySet<string>
  /** The query's node as Kysely's executor wants it beside the SQL, built once. */
  query: CompiledQuery['query']
}

export function compiled<Row>(
  build: (context: StorageContext) => Compilable<Row>,
  options: CompiledOptions = {},
): CompiledQueryDefinition<Row> {
  const definition: CompiledQueryDefinition<Row> = {
    run(context, values) {
      const template = context.compiled.get(definition)
      // Compiled on the first run only; every later run goes straight to the executor, with
      // no promise of its own in between.
      if (template === undefined) return compileThenRun(context, values)
      try {
        return context.db.executeQuery<Row>(withValues<Row>(template, values))
      } catch (error) {
        return Promise.reject(error)
      }
    },
  }
  const compileThenRun = async (context: StorageContext, values: object): Promise<QueryResult<Row>> => {
    if (options.meetsHostUsers) await context.hostUsers.ready(context.db)
    let template = context.compiled.get(definition)
    if (template === undefined) {
      // On PostgreSQL the text ends with the mark by which `preparedStatements` knows it.
      template = compile(build(context), context.dialect.name === 'postgres' ? COMPILED_MARK : '')
      context.compiled.set(definition, template)
    }
    return context.db.executeQuery<Row>(withValues<Row>(template, values))
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

/**
 * The template's query with this run's values in its slots: what `CompiledQuery.raw` makes,
 * less the node it would build (and freeze) on every run. Throws for a value the query does
 * not take and for a slot without a value.
 */
function withValues<Row>(template: Template, values: object): CompiledQuery<Row> {
  for (const name of Object.keys(values)) {
    if (!template.slots.has(name)) throw new Error(`@orgkit/kysely: this query takes no value named ${name}`)
  }
  const { parameters: constants, slotAt } = template
  const parameters: unknown[] = new Array(constants.length)
  for (let i = 0; i < constants.length; i++) {
    const name = slotAt[i]
    if (name === undefined) {
      parameters[i] = constants[i]
      continue
    }
    const value = (values as Record<string, unknown>)[name]
    if (value === undefined) throw new Error(`@orgkit/kysely: no value for ${name}`)
    parameters[i] = value
  }
  return { sql: template.sql, query: template.query, parameters, queryId: createQueryId() }
}

function compile(query: Compilable<unknown>, mark: string): Template {
  const compiledQuery = query.compile()
  const sql = compiledQuery.sql + mark
  const { parameters } = compiledQuery
  const slotAt = parameters.map((p) => (p instanceof Slot ? p.name : undefined))
  const slots = new Set(slotAt.filter((name): name is string => name !== undefined))
  return { sql, parameters, slotAt, slots, query: CompiledQuery.raw(sql).query }
}

/** Where a storage keeps its compiled queries: one per definition, for its tables and dialect. */
export type CompiledQueryCache = Map<CompiledQueryDefinition<unknown>, Template>
