/**
 * Property: a query built through the scope plugin, on a database holding two
 * organizations' rows, does exactly what the same query without the plugin does on a
 * database holding only the scoped organization's rows. So it never returns, changes or
 * deletes another organization's row, and it returns all of its own: joins (outer ones
 * included), subqueries, `exists`, CTEs, aggregates, updates, deletes and inserts, on
 * random data where tasks may point at another organization's projects.
 */
import { scopeToOrganization } from '@orgkit/kysely'
import fc from 'fast-check'
import { type Compilable, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  type TestDatabase,
  type TestDialect,
  testDialects,
} from '../../../../test/support/databases'
import { type AnyDb, createScopeTables, ORG_A, ORG_B, type ProjectRow, SCOPED_TABLES, type TaskRow } from './fixture'

// ── Random data ──────────────────────────────────────────────────────────────────

const organization = fc.constantFrom(ORG_A, ORG_B)
const NAMES = ['Apollo', 'Artemis', 'Borealis', 'Ceres']

const dataset = fc
  .tuple(
    fc.array(
      fc.record({
        organization_id: organization,
        name: fc.constantFrom(...NAMES),
        owner_id: fc.constantFrom('u1', 'u2', null),
      }),
      {
        maxLength: 6,
      },
    ),
    fc.array(
      fc.record({
        organization_id: organization,
        project: fc.option(fc.nat(7), { nil: null }),
        title: fc.constantFrom('design', 'build', 'ship'),
        points: fc.nat(10),
      }),
      { maxLength: 8 },
    ),
  )
  .map(([projects, tasks]) => ({
    projects: projects.map((project, index): ProjectRow => ({ id: `p${index}`, ...project })),
    // A task may point at a project of either organization, or at none that exists.
    tasks: tasks.map(
      ({ project, ...task }, index): TaskRow => ({
        id: `t${index}`,
        project_id: project === null ? null : `p${project}`,
        ...task,
      }),
    ),
  }))

type Dataset = { projects: ProjectRow[]; tasks: TaskRow[] }

// ── Random queries, as data (so a failure prints the query that broke) ──────────

type Base = 'projects' | 'tasks'
type Filter =
  | { kind: 'none' }
  | { kind: 'compare'; threshold: number }
  | { kind: 'in-subquery'; threshold: number; viaCte: boolean }
  | { kind: 'exists'; threshold: number }

interface SelectSpec {
  kind: 'select'
  base: Base
  aliased: boolean
  join: 'none' | 'inner' | 'left' | 'right' | 'full' | 'cross'
  filter: Filter
  aggregate: boolean
}
interface UpdateSpec {
  kind: 'update'
  base: Base
  filter: Filter
}
interface DeleteSpec {
  kind: 'delete'
  base: Base
  filter: Filter
}
interface InsertSpec {
  kind: 'insert'
  rows: { organization: string | undefined; points: number }[]
}
interface InsertSelectSpec {
  kind: 'insert-select'
  threshold: number
}
type Spec = SelectSpec | UpdateSpec | DeleteSpec | InsertSpec | InsertSelectSpec

const base = fc.constantFrom<Base>('projects', 'tasks')
const threshold = fc.nat(10)
const filter: fc.Arbitrary<Filter> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('compare' as const), threshold }),
  fc.record({ kind: fc.constant('in-subquery' as const), threshold, viaCte: fc.boolean() }),
  fc.record({ kind: fc.constant('exists' as const), threshold }),
)

function specs(dialect: TestDialect): fc.Arbitrary<Spec> {
  // MariaDB has no FULL JOIN.
  const joins: SelectSpec['join'][] = [
    'none',
    'inner',
    'left',
    'right',
    'cross',
    ...(dialect === 'mysql' ? [] : (['full'] as const)),
  ]
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('select' as const),
        base,
        aliased: fc.boolean(),
        join: fc.constantFrom(...joins),
        filter,
        aggregate: fc.boolean(),
      }),
    },
    fc.record({ kind: fc.constant('update' as const), base, filter }),
    fc.record({ kind: fc.constant('delete' as const), base, filter }),
    fc.record({
      kind: fc.constant('insert' as const),
      rows: fc.array(fc.record({ organization: fc.constantFrom(undefined, ORG_A, ORG_B), points: fc.nat(10) }), {
        minLength: 1,
        maxLength: 3,
      }),
    }),
    fc.record({ kind: fc.constant('insert-select' as const), threshold }),
  )
}

const OTHER: Record<Base, Base> = { projects: 'tasks', tasks: 'projects' }

/** `ref.column > n` for a number column, `ref.column < 'name'` for projects. */
function compare(table: Base, ref: string, n: number) {
  return table === 'tasks'
    ? sql<boolean>`${sql.ref(`${ref}.points`)} > ${n}`
    : sql<boolean>`${sql.ref(`${ref}.name`)} < ${NAMES[n % NAMES.length]!}`
}

/** A filter on `table` (referred to as `ref`): plain, through a subquery (maybe a CTE's), or `exists`. */
// biome-ignore lint/suspicious/noExplicitAny: the builders of the scratch tables are untyped.
function applyFilter<Q extends { where: any }>(db: AnyDb, query: Q, table: Base, ref: string, spec: Filter): Q {
  const other = OTHER[table]
  switch (spec.kind) {
    case 'none':
      return query
    case 'compare':
      return query.where(compare(table, ref, spec.threshold))
    case 'in-subquery': {
      // tasks.project_id in (projects …) / projects.id in (tasks.project_id …)
      const [mine, theirs] = table === 'tasks' ? ['project_id', 'id'] : ['id', 'project_id']
      const inner = spec.viaCte
        ? db
            .with('picked', (qc) =>
              qc
                .selectFrom(other)
                .select(`${theirs} as key`)
                .where(compare(other, other, spec.threshold)),
            )
            .selectFrom('picked')
            .select('picked.key')
        : db
            .selectFrom(other)
            .select(`${theirs} as key`)
            .where(compare(other, other, spec.threshold))
      return query.where(`${ref}.${mine}`, 'in', inner)
    }
    case 'exists': {
      const link = table === 'tasks' ? ['o.id', `${ref}.project_id`] : ['o.project_id', `${ref}.id`]
      return query.where(({ exists }: { exists: (q: unknown) => unknown }) =>
        exists(
          db
            .selectFrom(`${other} as o`)
            .select(sql`1`.as('one'))
            .whereRef(link[0]!, '=', link[1]!)
            .where(compare(other, 'o', spec.threshold)),
        ),
      )
    }
  }
}

/** The statement a spec describes, built on `db` (scoped or not). `stamp`: the organization the reference run writes. */
function build(db: AnyDb, spec: Spec, stamp: string | undefined): Compilable & { execute(): Promise<unknown[]> } {
  switch (spec.kind) {
    case 'select': {
      const ref = spec.aliased ? 'b' : spec.base
      const other = OTHER[spec.base]
      let query = db.selectFrom(spec.aliased ? `${spec.base} as b` : spec.base)
      const on = spec.base === 'projects' ? ['j.project_id', `${ref}.id`] : ['j.id', `${ref}.project_id`]
      if (spec.join === 'inner') query = query.innerJoin(`${other} as j`, on[0]!, on[1]!)
      if (spec.join === 'left') query = query.leftJoin(`${other} as j`, on[0]!, on[1]!)
      if (spec.join === 'right') query = query.rightJoin(`${other} as j`, on[0]!, on[1]!)
      if (spec.join === 'full') query = query.fullJoin(`${other} as j`, on[0]!, on[1]!)
      if (spec.join === 'cross') query = query.crossJoin(`${other} as j`)
      // A filter on the base that keeps a right or full join's unmatched rows.
      query = applyFilter(
        db,
        query,
        spec.base,
        ref,
        spec.join === 'right' || spec.join === 'full' ? { kind: 'none' } : spec.filter,
      )
      if (spec.aggregate) return query.select(sql<number>`count(*)`.as('n'))
      const columns = [`${ref}.id as base_id`, `${ref}.organization_id as base_org`]
      if (spec.join !== 'none') columns.push('j.id as joined_id', 'j.organization_id as joined_org')
      return query.select(columns)
    }
    case 'update': {
      const query =
        spec.base === 'tasks'
          ? db.updateTable('tasks').set({ points: sql`points + 1` })
          : db.updateTable('projects').set({ name: 'Renamed' })
      return applyFilter(db, query, spec.base, spec.base, spec.filter)
    }
    case 'delete':
      return applyFilter(db, db.deleteFrom(spec.base), spec.base, spec.base, spec.filter)
    case 'insert':
      return db.insertInto('tasks').values(
        spec.rows.map((row, index) => {
          const organizationId = row.organization ?? stamp
          return {
            id: `new${index}`,
            title: 'inserted',
            points: row.points,
            ...(organizationId === undefined ? {} : { organization_id: organizationId }),
          }
        }),
      )
    case 'insert-select': {
      const columns = stamp === undefined ? (['id', 'title'] as const) : (['id', 'title', 'organization_id'] as const)
      return db
        .insertInto('tasks')
        .columns([...columns])
        .expression(
          db
            .selectFrom('projects')
            .select(stamp === undefined ? ['id', 'name'] : ['id', 'name', sql.val(stamp).as('organization_id')])
            .where(compare('projects', 'projects', spec.threshold)),
        )
    }
  }
}

// ── The property ─────────────────────────────────────────────────────────────────

async function load(db: AnyDb, data: Dataset): Promise<void> {
  await db.deleteFrom('tasks').execute()
  await db.deleteFrom('projects').execute()
  if (data.projects.length > 0) await db.insertInto('projects').values(data.projects).execute()
  if (data.tasks.length > 0) await db.insertInto('tasks').values(data.tasks).execute()
}

async function snapshot(db: AnyDb, organizationId: string): Promise<string[]> {
  const rows: string[] = []
  for (const table of SCOPED_TABLES) {
    const found = await db.selectFrom(table).selectAll().where('organization_id', '=', organizationId).execute()
    rows.push(...found.map((row) => `${table}:${JSON.stringify(normalizeRow(row))}`))
  }
  return rows.sort()
}

function normalizeRow(row: Record<string, unknown>): Record<string, unknown> {
  // PostgreSQL returns count(*) as a string; the drivers disagree on numbers' types.
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      typeof value === 'bigint' || key === 'n' || key === 'points' ? Number(value) : value,
    ]),
  )
}

const multiset = (rows: readonly Record<string, unknown>[]) =>
  rows.map((row) => JSON.stringify(normalizeRow(row))).sort()

const PROPERTY_DIALECTS = testDialects()
const RUNS: Record<TestDialect, number> = { sqlite: 300, postgres: 80, mysql: 40 }

describe.each(PROPERTY_DIALECTS)('random host queries through the scope plugin on %s', (dialect) => {
  /** Both organizations' rows. */
  let full: TestDatabase
  /** Only A's rows: what A's queries must behave as if the database were. */
  let alone: TestDatabase

  beforeAll(async () => {
    full = await createTestDatabase(dialect)
    alone = await createTestDatabase(dialect)
    await createScopeTables(full.db)
    await createScopeTables(alone.db)
  })
  afterAll(async () => {
    await full?.destroy()
    await alone?.destroy()
  })

  it('behave as the same queries on a database of the scoped organization alone', async () => {
    await fc.assert(
      fc.asyncProperty(dataset, specs(dialect), async (data, spec) => {
        await load(full.db, data)
        await load(alone.db, {
          projects: data.projects.filter((row) => row.organization_id === ORG_A),
          tasks: data.tasks.filter((row) => row.organization_id === ORG_A),
        })
        const scoped = scopeToOrganization(full.db, ORG_A, { tables: SCOPED_TABLES })
        const othersBefore = await snapshot(full.db, ORG_B)
        const names = spec.kind === 'insert' && spec.rows.some((row) => row.organization === ORG_B)

        if (names) {
          // A row naming B: refused, and nothing written.
          await expect(build(scoped, spec, undefined).execute()).rejects.toMatchObject({ code: 'forbidden' })
        } else {
          const got = await build(scoped, spec, undefined).execute()
          const expected = await build(alone.db, spec, ORG_A).execute()
          if (spec.kind === 'select') {
            expect(multiset(got as Record<string, unknown>[])).toEqual(multiset(expected as Record<string, unknown>[]))
            for (const row of got as Record<string, unknown>[]) {
              for (const key of ['base_org', 'joined_org']) expect([ORG_A, null, undefined]).toContain(row[key])
            }
          }
          expect(await snapshot(full.db, ORG_A)).toEqual(await snapshot(alone.db, ORG_A))
        }
        expect(await snapshot(full.db, ORG_B)).toEqual(othersBefore)
      }),
      { numRuns: RUNS[dialect] },
    )
  })
})
