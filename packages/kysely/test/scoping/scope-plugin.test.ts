/**
 * The tenant scope plugin on each dialect: the SQL it produces (compile()) and the rows
 * really read or changed, with two organizations' data side by side.
 */
import { isOrgkitError } from '@orgkit/core'
import { scopeToOrganization, tenantScopePlugin, unscoped, unscopedSql } from '@orgkit/kysely'
import { CamelCasePlugin, type Compilable, type ExpressionBuilder, sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase, testDialects } from '../../../../test/support/databases'
import {
  type AnyDb,
  allRows,
  createScopeTables,
  currentSchema,
  normalizeSql,
  ORG_A,
  ORG_B,
  PROJECTS,
  SCOPED_TABLES,
  seedScopeTables,
  TASKS,
} from './fixture'

// biome-ignore lint/suspicious/noExplicitAny: the scratch tables are untyped.
type AnyExpressions = ExpressionBuilder<any, any>

const ids = (rows: readonly { id?: unknown }[]) => rows.map((row) => row.id).sort()
const sqlOf = (query: Compilable) => normalizeSql(query.compile().sql)
const countOf = (text: string, part: string) => text.split(part).length - 1

/** Runs `fn`, expects it to fail with the scope's error, and returns the error's message. */
async function refusal(fn: () => unknown, code: 'forbidden' | 'internal' = 'internal'): Promise<string> {
  try {
    await fn()
  } catch (error) {
    expect(isOrgkitError(error), String(error)).toBe(true)
    expect((error as { code: string }).code).toBe(code)
    return (error as Error).message
  }
  throw new Error('expected the scope to refuse')
}

describe.each(testDialects())('the tenant scope plugin on %s', (dialect) => {
  let database: TestDatabase
  let db: AnyDb
  let scoped: AnyDb
  let schema: string

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
    db = database.db
    await createScopeTables(db)
    schema = await currentSchema(db, dialect)
    scoped = scopeToOrganization(db, ORG_A, { tables: SCOPED_TABLES })
  })
  afterAll(() => database?.destroy())
  beforeEach(() => seedScopeTables(db))

  const aProjects = PROJECTS.filter((row) => row.organization_id === ORG_A).map((row) => row.id)
  const aTasks = TASKS.filter((row) => row.organization_id === ORG_A).map((row) => row.id)

  describe('selects', () => {
    it('filters a table, keeping the host condition in parentheses', async () => {
      const query = scoped.selectFrom('projects').selectAll().where(sql<boolean>`1 = 1 or 2 = 2`)
      expect(sqlOf(query)).toBe('select * from "projects" where "projects"."organization_id" = ? and (1 = 1 or 2 = 2)')
      expect(ids(await query.execute())).toEqual(aProjects)
    })

    it('filters an aliased and a schema-qualified table by the name their columns go by', async () => {
      const aliased = scoped.selectFrom('projects as p').select('p.id')
      expect(sqlOf(aliased)).toBe('select "p"."id" from "projects" as "p" where "p"."organization_id" = ?')
      expect(ids(await aliased.execute())).toEqual(aProjects)
      const qualified = scoped.selectFrom(`${schema}.projects`).select('id')
      expect(sqlOf(qualified)).toBe(
        `select "id" from "${schema}"."projects" where "${schema}"."projects"."organization_id" = ?`,
      )
      expect(ids(await qualified.execute())).toEqual(aProjects)
    })

    it('puts an inner join’s condition in its ON, and a left join stays a left join', async () => {
      const inner = scoped
        .selectFrom('projects as p')
        .innerJoin('tasks as t', 't.project_id', 'p.id')
        .select(['t.id as id', 'p.id as project'])
      expect(sqlOf(inner)).toBe(
        'select "t"."id" as "id", "p"."id" as "project" from "projects" as "p" inner join "tasks" as "t" ' +
          'on "t"."organization_id" = ? and ("t"."project_id" = "p"."id") where "p"."organization_id" = ?',
      )
      expect(ids(await inner.execute())).toEqual(['ta1', 'ta2'])

      const left = scoped
        .selectFrom('projects as p')
        .leftJoin('tasks as t', 't.project_id', 'p.id')
        .select(['p.id as id', 't.id as task'])
        .orderBy('p.id')
        .orderBy('t.id')
      expect(sqlOf(left)).toContain(
        'left join "tasks" as "t" on "t"."organization_id" = ? and ("t"."project_id" = "p"."id")',
      )
      // pa2 has no task and stays (a WHERE condition on t would have dropped it); tb2 is B's.
      expect((await left.execute()).map((row) => [row.id, row.task])).toEqual([
        ['pa1', 'ta1'],
        ['pa1', 'ta2'],
        ['pa2', null],
      ])
    })

    it('turns scoped tables into filtered derived tables under a right join', async () => {
      const right = scoped
        .selectFrom('projects as p')
        .rightJoin('tasks as t', 't.project_id', 'p.id')
        .select(['t.id as id', 'p.id as project'])
      expect(sqlOf(right)).toBe(
        'select "t"."id" as "id", "p"."id" as "project" ' +
          'from (select * from "projects" where "projects"."organization_id" = ?) as "p" ' +
          'right join (select * from "tasks" where "tasks"."organization_id" = ?) as "t" on "t"."project_id" = "p"."id"',
      )
      const rows = await right.execute()
      expect(ids(rows)).toEqual(aTasks)
      expect(rows.find((row) => row.id === 'ta3')?.project).toBeNull()
    })

    it.runIf(dialect !== 'mysql')('keeps both sides of a full join to the organization', async () => {
      const full = scoped
        .selectFrom('projects as p')
        .fullJoin('tasks as t', 't.project_id', 'p.id')
        .select(['p.id as project', 't.id as task'])
      const rows = await full.execute()
      expect(rows.map((row) => [row.project, row.task]).sort()).toEqual(
        [
          ['pa1', 'ta1'],
          ['pa1', 'ta2'],
          ['pa2', null],
          [null, 'ta3'],
        ].sort(),
      )
    })

    it('filters a cross join in WHERE', async () => {
      const cross = scoped
        .selectFrom('templates')
        .crossJoin('projects')
        .select(['templates.id as tpl', 'projects.id as id'])
      expect(sqlOf(cross)).toBe(
        'select "templates"."id" as "tpl", "projects"."id" as "id" from "templates" cross join "projects" ' +
          'where "projects"."organization_id" = ?',
      )
      expect(new Set(ids(await cross.execute()))).toEqual(new Set(aProjects))
    })

    it('scopes subqueries, exists and unscoped tables around them', async () => {
      const inSubquery = scoped
        .selectFrom('tasks')
        .select('id')
        .where('project_id', 'in', db.selectFrom('projects').select('id').where('name', 'like', 'A%'))
      expect(sqlOf(inSubquery)).toBe(
        'select "id" from "tasks" where "tasks"."organization_id" = ? and ("project_id" in ' +
          '(select "id" from "projects" where "projects"."organization_id" = ? and ("name" like ?)))',
      )
      expect(ids(await inSubquery.execute())).toEqual(['ta1', 'ta2'])

      // Projects with a task: B's task on A's project does not count for B, nor for A.
      const withTask = scopeToOrganization(db, ORG_B, { tables: SCOPED_TABLES })
        .selectFrom('projects')
        .select('id')
        .where(({ exists, selectFrom }) =>
          exists(selectFrom('tasks').select('tasks.id').whereRef('tasks.project_id', '=', 'projects.id')),
        )
      expect(sqlOf(withTask)).toBe(
        'select "id" from "projects" where "projects"."organization_id" = ? and (exists ' +
          '(select "tasks"."id" from "tasks" where "tasks"."organization_id" = ? and ("tasks"."project_id" = "projects"."id")))',
      )
      expect(ids(await withTask.execute())).toEqual(['pb1'])

      // A subquery in the select list, on an unscoped table's rows.
      const counted = scoped
        .selectFrom('templates')
        .select((eb) => ['templates.id', eb.selectFrom('projects').select(eb.fn.countAll().as('n')).as('projects')])
      const rows = await counted.execute()
      expect(rows.map((row) => Number(row.projects))).toEqual([2, 2])
    })

    it('scopes CTEs, and trusts a CTE’s body rather than its name', async () => {
      const cte = scoped
        .with('mine', (qc) => qc.selectFrom('projects').select(['id', 'name']))
        .selectFrom('mine')
        .innerJoin('tasks', 'tasks.project_id', 'mine.id')
        .select('tasks.id as id')
      expect(sqlOf(cte)).toBe(
        'with "mine" as (select "id", "name" from "projects" where "projects"."organization_id" = ?) ' +
          'select "tasks"."id" as "id" from "mine" inner join "tasks" on "tasks"."organization_id" = ? and ("tasks"."project_id" = "mine"."id")',
      )
      expect(ids(await cte.execute())).toEqual(['ta1', 'ta2'])

      // A CTE named like the table: its body reads (and filters) the real table; the
      // outer reference is the CTE, already filtered. (SQLite reads the body's `projects`
      // as the CTE itself and refuses the circle.)
      const shadow = scoped
        .with('projects', (qc) => qc.selectFrom('projects').select('id'))
        .selectFrom('projects')
        .select('id')
      expect(sqlOf(shadow)).toBe(
        'with "projects" as (select "id" from "projects" where "projects"."organization_id" = ?) select "id" from "projects"',
      )
      if (dialect === 'sqlite') await expect(shadow.execute()).rejects.toThrow(/circular reference/)
      else expect(ids(await shadow.execute())).toEqual(aProjects)
    })

    it('scopes both sides of a union', async () => {
      const union = scoped.selectFrom('projects').select('id').union(scoped.selectFrom('tasks').select('id'))
      expect(ids(await union.execute())).toEqual([...aProjects, ...aTasks].sort())
    })
  })

  describe('inserts', () => {
    it('stamps the organization on one row and on many, and refuses a row naming another', async () => {
      const one = scoped.insertInto('projects').values({ id: 'new1', name: 'New' })
      expect(sqlOf(one)).toBe('insert into "projects" ("id", "name", "organization_id") values (?, ?, ?)')
      await one.execute()
      await scoped
        .insertInto('tasks')
        .values([
          { id: 'new2', title: 'x' },
          { id: 'new3', title: 'y', organization_id: ORG_A },
        ])
        .execute()
      const stamped = await db
        .selectFrom('tasks')
        .select(['id', 'organization_id'])
        .where('id', 'in', ['new2', 'new3'])
        .execute()
      expect(stamped.map((row) => row.organization_id)).toEqual([ORG_A, ORG_A])
      expect(
        (await db.selectFrom('projects').select('organization_id').where('id', '=', 'new1').executeTakeFirst())
          ?.organization_id,
      ).toBe(ORG_A)

      const before = await allRows(db, 'tasks')
      const message = await refusal(
        () =>
          scoped
            .insertInto('tasks')
            .values([
              { id: 'evil1', title: 'ok' },
              { id: 'evil2', title: 'planted', organization_id: ORG_B },
            ])
            .execute(),
        'forbidden',
      )
      expect(message).toContain('tasks')
      expect(await allRows(db, 'tasks')).toEqual(before)
    })

    it('stamps insert … select, and refuses one that selects the organization column', async () => {
      const copy = scoped
        .insertInto('projects')
        .columns(['id', 'name'])
        .expression((eb) => eb.selectFrom('templates').select(['id', 'name']))
      expect(sqlOf(copy)).toBe(
        'insert into "projects" ("id", "name", "organization_id") select "id", "name", ? from "templates"',
      )
      await copy.execute()
      const copied = await db
        .selectFrom('projects')
        .select(['id', 'organization_id'])
        .where('id', 'like', 'tpl%')
        .execute()
      expect(copied.map((row) => row.organization_id)).toEqual([ORG_A, ORG_A])

      // Copying rows of B's projects through the select: the select is scoped, so none come.
      await scoped
        .insertInto('tasks')
        .columns(['id', 'title'])
        .expression((eb) =>
          eb
            .selectFrom('projects')
            .select([sql<string>`concat('copy-', id)`.as('id'), 'name'])
            .where('organization_id', '=', ORG_B),
        )
        .execute()
        .catch(async () => {
          // SQLite has no concat() before 3.44: the same with ||.
          await scoped
            .insertInto('tasks')
            .columns(['id', 'title'])
            .expression((eb) =>
              eb
                .selectFrom('projects')
                .select([sql<string>`'copy-' || id`.as('id'), 'name'])
                .where('organization_id', '=', ORG_B),
            )
            .execute()
        })
      expect(await db.selectFrom('tasks').select('id').where('id', 'like', 'copy-%').execute()).toEqual([])

      const before = await allRows(db, 'projects')
      await refusal(
        () =>
          scoped
            .insertInto('projects')
            .columns(['id', 'name', 'organization_id'])
            .expression((eb) => eb.selectFrom('projects').select(['id', 'name', 'organization_id']))
            .execute(),
        'forbidden',
      )
      await refusal(
        () =>
          scoped
            .insertInto('projects')
            .columns(['id', 'name', 'organization_id'])
            .expression((eb) => eb.selectFrom('templates').select(['id', 'name', sql.lit(ORG_B).as('o')]))
            .execute(),
        'forbidden',
      )
      expect(await allRows(db, 'projects')).toEqual(before)
    })

    it('refuses REPLACE, which deletes whichever row holds the key', async () => {
      const replace =
        dialect === 'mysql'
          ? scoped.replaceInto('projects').values({ id: 'pb1', name: 'taken' })
          : scoped.insertInto('projects').orReplace().values({ id: 'pb1', name: 'taken' })
      await refusal(() => replace.execute())
      expect(await allRows(db, 'projects')).toEqual(
        PROJECTS.map((row) => ({ ...row })).sort((a, b) => a.id.localeCompare(b.id)),
      )
    })

    it('never lets an upsert update another organization’s row', async () => {
      const upsert = (id: string, name: string) =>
        dialect === 'mysql'
          ? scoped.insertInto('projects').values({ id, name }).onDuplicateKeyUpdate({ name })
          : scoped
              .insertInto('projects')
              .values({ id, name })
              .onConflict((oc) =>
                oc.column('id').doUpdateSet({ name: (eb: AnyExpressions) => eb.ref('excluded.name') }),
              )
      if (dialect === 'mysql') {
        expect(sqlOf(upsert('pb1', 'mine now'))).toBe(
          'insert into "projects" ("id", "name", "organization_id") values (?, ?, ?) on duplicate key update ' +
            '"name" = case when "projects"."organization_id" = ? then ? else "projects"."name" end',
        )
      } else {
        expect(sqlOf(upsert('pb1', 'mine now'))).toBe(
          'insert into "projects" ("id", "name", "organization_id") values (?, ?, ?) on conflict ("id") do update set ' +
            '"name" = "excluded"."name" where "projects"."organization_id" = ?',
        )
      }
      await upsert('pb1', 'mine now').execute()
      await upsert('pa1', 'Apollo 2').execute()
      const names = await db
        .selectFrom('projects')
        .select(['id', 'name', 'organization_id'])
        .where('id', 'in', ['pa1', 'pb1'])
        .orderBy('id')
        .execute()
      expect(names).toEqual([
        { id: 'pa1', name: 'Apollo 2', organization_id: ORG_A },
        { id: 'pb1', name: 'Borealis', organization_id: ORG_B },
      ])
      await refusal(
        () =>
          (dialect === 'mysql'
            ? scoped
                .insertInto('projects')
                .values({ id: 'pa1', name: 'x' })
                .onDuplicateKeyUpdate({ organization_id: ORG_B })
            : scoped
                .insertInto('projects')
                .values({ id: 'pa1', name: 'x' })
                .onConflict((oc) => oc.column('id').doUpdateSet({ organization_id: ORG_B }))
          ).execute(),
        'forbidden',
      )
    })
  })

  describe('updates and deletes', () => {
    it('update changes only the organization’s rows, and may not move one to another', async () => {
      const update = scoped.updateTable('tasks').set({ points: 0 })
      expect(sqlOf(update)).toBe('update "tasks" set "points" = ? where "tasks"."organization_id" = ?')
      await update.execute()
      const after = await allRows(db, 'tasks')
      for (const row of after) {
        const original = TASKS.find((task) => task.id === row.id)!
        expect(Number(row.points), row.id as string).toBe(row.organization_id === ORG_A ? 0 : original.points)
      }
      // Setting the column to the scoped organization is harmless; to any other value, refused.
      await scoped.updateTable('tasks').set({ organization_id: ORG_A, title: 'same' }).where('id', '=', 'ta1').execute()
      const before = await allRows(db, 'tasks')
      expect(
        await refusal(
          () => scoped.updateTable('tasks').set({ organization_id: ORG_B }).where('id', '=', 'ta1').execute(),
          'forbidden',
        ),
      ).toContain('tasks')
      await refusal(
        () =>
          scoped
            .updateTable('tasks as t')
            .set({ 't.organization_id': sql<string>`lower(${ORG_B})` })
            .execute(),
        'forbidden',
      )
      expect(await allRows(db, 'tasks')).toEqual(before)
    })

    it('update with a subquery scopes the subquery too', async () => {
      // Rename A's tasks after their project: B's task on A's project keeps its title.
      await scoped
        .updateTable('tasks')
        .set((eb) => ({
          title: eb.selectFrom('projects').select('name').whereRef('projects.id', '=', 'tasks.project_id'),
        }))
        .where('project_id', 'is not', null)
        .execute()
      const titles = Object.fromEntries((await allRows(db, 'tasks')).map((row) => [row.id, row.title]))
      expect(titles).toEqual({ ta1: 'Apollo', ta2: 'Apollo', ta3: 'triage', tb1: 'design', tb2: 'intrude' })
    })

    it('delete removes only the organization’s rows, aliased or not', async () => {
      const remove = scoped.deleteFrom('tasks').where('points', '>', 2)
      expect(sqlOf(remove)).toBe('delete from "tasks" where "tasks"."organization_id" = ? and ("points" > ?)')
      const result = await remove.executeTakeFirst()
      expect(Number(result.numDeletedRows)).toBe(2)
      expect(ids(await allRows(db, 'tasks'))).toEqual(['ta3', 'tb1', 'tb2'])
      await scoped.deleteFrom('projects').where('id', 'in', db.selectFrom('tasks').select('project_id')).execute()
      // pa1 has only B's task now, which A's subquery does not see: nothing of A's is deleted.
      expect(ids(await allRows(db, 'projects'))).toEqual(['pa1', 'pa2', 'pb1', 'pb2'])
      await scoped.deleteFrom('projects').execute()
      expect(ids(await allRows(db, 'projects'))).toEqual(['pb1', 'pb2'])
    })
  })

  describe('raw SQL, the escape hatch and the missing organization', () => {
    it('refuses raw SQL that names a scoped table, and runs it when marked reviewed', async () => {
      for (const raw of [
        sql`select * from projects`,
        sql`select * from "Tasks"`,
        sql`select * from ${sql.table('projects')}`,
        sql`select * from ${sql.id('tasks')}`,
        sql`select * from ${sql.raw('projects')}`,
        sql`select * from ${sql.ref('projects')}`,
        sql`select * from ${sql.lit('projects')}`,
        sql`select * from ${sql.join([sql`x`, sql.table('tasks')])}`,
      ]) {
        expect(await refusal(() => raw.execute(scoped))).toMatch(/raw SQL mentions the scoped table (projects|tasks)/)
      }
      await refusal(() =>
        scoped.selectFrom('templates').selectAll().where(sql<boolean>`exists (select 1 from projects)`).execute(),
      )
      // A raw fragment that names no scoped table passes; its neighbours are still scoped.
      const lowered = scoped.selectFrom('projects').select(sql<string>`lower(name)`.as('n'))
      expect((await lowered.execute()).map((row) => row.n).sort()).toEqual(['apollo', 'artemis'])
      // Reviewed: as written, no condition added.
      const report = unscopedSql('test: counts per organization')<{
        organization_id: string
        n: number
      }>`select organization_id, count(*) as n from projects group by organization_id order by organization_id`
      expect(normalizeSql(report.compile(scoped).sql)).toBe(
        '/* orgkit: unscoped */ select organization_id, count(*) as n from projects group by organization_id order by organization_id',
      )
      expect((await report.execute(scoped)).rows.map((row) => [row.organization_id, Number(row.n)])).toEqual([
        [ORG_A, 2],
        [ORG_B, 2],
      ])
    })

    it('fails closed without an organization, whatever the query', async () => {
      let current: string | undefined
      const contextual = scopeToOrganization(db, () => current, { tables: SCOPED_TABLES })
      for (const query of [
        contextual.selectFrom('projects').selectAll(),
        contextual.selectFrom('templates').selectAll(),
        contextual.insertInto('tasks').values({ id: 'orphan', title: 'x' }),
        contextual.deleteFrom('tasks'),
      ]) {
        expect(await refusal(() => query.execute())).toContain('no organization is set')
      }
      expect(ids(await allRows(db, 'tasks'))).toEqual(TASKS.map((task) => task.id).sort())
      current = ORG_B
      expect(ids(await contextual.selectFrom('projects').select('id').execute())).toEqual(['pb1', 'pb2'])
      current = ''
      await refusal(() => contextual.selectFrom('projects').selectAll().execute())
    })

    it('unscoped(db, reason) drops the scope and keeps the other plugins', async () => {
      const camel = scopeToOrganization(db.withPlugin(new CamelCasePlugin()), ORG_A, { tables: SCOPED_TABLES })
      const scopedRows = await camel.selectFrom('projects').select(['id', 'ownerId']).execute()
      expect(ids(scopedRows)).toEqual(aProjects)
      const all = await unscoped(camel, 'test: every organization')
        .selectFrom('projects')
        .select(['id', 'ownerId'])
        .execute()
      expect(ids(all)).toEqual(PROJECTS.map((row) => row.id).sort())
      expect(all.find((row) => row.id === 'pa1')?.ownerId).toBe('u1')
      expect(() => unscoped(camel, ' ')).toThrow(/needs a reason/)
    })
  })

  describe('applied twice', () => {
    it('adds each condition once when a scoped subquery is embedded in a scoped query', () => {
      const inner = scoped.selectFrom('projects').select('id')
      const outer = scoped.selectFrom('tasks').select('id').where('project_id', 'in', inner)
      const text = sqlOf(outer)
      expect(countOf(text, '"projects"."organization_id" = ?')).toBe(1)
      expect(countOf(text, '"tasks"."organization_id" = ?')).toBe(1)
      expect(outer.compile().parameters).toEqual([ORG_A, ORG_A])
    })

    it('is harmless when the plugin is installed twice, on every statement kind', async () => {
      const twice = scoped.withPlugin(tenantScopePlugin({ tables: SCOPED_TABLES, organization: ORG_A }))
      const cases: [Compilable, Compilable][] = [
        [
          scoped.selectFrom('projects as p').leftJoin('tasks', 'tasks.project_id', 'p.id').selectAll(),
          twice.selectFrom('projects as p').leftJoin('tasks', 'tasks.project_id', 'p.id').selectAll(),
        ],
        [
          scoped.selectFrom('projects').rightJoin('tasks', 'tasks.project_id', 'projects.id').selectAll(),
          twice.selectFrom('projects').rightJoin('tasks', 'tasks.project_id', 'projects.id').selectAll(),
        ],
        [
          scoped.insertInto('tasks').values([{ id: 'a', title: 'b' }]),
          twice.insertInto('tasks').values([{ id: 'a', title: 'b' }]),
        ],
        [
          scoped
            .insertInto('tasks')
            .columns(['id', 'title'])
            .expression((eb) => eb.selectFrom('templates').select(['id', 'name'])),
          twice
            .insertInto('tasks')
            .columns(['id', 'title'])
            .expression((eb) => eb.selectFrom('templates').select(['id', 'name'])),
        ],
        [scoped.updateTable('tasks').set({ title: 'x' }), twice.updateTable('tasks').set({ title: 'x' })],
        [scoped.deleteFrom('tasks'), twice.deleteFrom('tasks')],
      ]
      for (const [once, double] of cases) {
        expect(double.compile().sql).toBe(once.compile().sql)
        expect(double.compile().parameters).toEqual(once.compile().parameters)
      }
      await twice.updateTable('tasks').set({ points: 42 }).execute()
      expect((await allRows(db, 'tasks')).filter((row) => Number(row.points) === 42).map((row) => row.id)).toEqual(
        aTasks,
      )
    })
  })

  describe('more statement shapes', () => {
    it('scopes a derived table built on the unscoped instance', async () => {
      const derived = scoped.selectFrom(db.selectFrom('projects').select(['id', 'name']).as('x')).select('x.id as id')
      expect(sqlOf(derived)).toBe(
        'select "x"."id" as "id" from (select "id", "name" from "projects" where "projects"."organization_id" = ?) as "x"',
      )
      expect(ids(await derived.execute())).toEqual(aProjects)
    })

    it('scopes the joined tables of an update', async () => {
      const update =
        dialect === 'mysql'
          ? scoped
              .updateTable(['tasks', 'projects'])
              .set('tasks.title', (eb: AnyExpressions) => eb.ref('projects.name'))
              .whereRef('projects.id', '=', 'tasks.project_id')
          : scoped
              .updateTable('tasks')
              .from('projects')
              .set((eb: AnyExpressions) => ({ title: eb.ref('projects.name') }))
              .whereRef('projects.id', '=', 'tasks.project_id')
      const text = sqlOf(update)
      expect(text).toContain('"tasks"."organization_id" = ?')
      expect(text).toContain('"projects"."organization_id" = ?')
      await update.execute()
      const titles = Object.fromEntries((await allRows(db, 'tasks')).map((row) => [row.id, row.title]))
      // tb2, B's task on A's project, keeps its title: the update's target is scoped too.
      expect(titles).toEqual({ ta1: 'Apollo', ta2: 'Apollo', ta3: 'triage', tb1: 'design', tb2: 'intrude' })
    })

    it.runIf(dialect !== 'sqlite')('scopes the USING tables of a delete', async () => {
      const remove =
        dialect === 'mysql'
          ? scoped
              .deleteFrom('tasks')
              .using('tasks')
              .innerJoin('projects', 'projects.id', 'tasks.project_id')
              .where('projects.name', '=', 'Apollo')
          : scoped
              .deleteFrom('tasks')
              .using('projects')
              .whereRef('projects.id', '=', 'tasks.project_id')
              .where('projects.name', '=', 'Apollo')
      expect(sqlOf(remove)).toContain('"projects"."organization_id" = ?')
      await remove.execute()
      expect(ids(await allRows(db, 'tasks'))).toEqual(['ta3', 'tb1', 'tb2'])
    })

    it.runIf(dialect === 'postgres')('scopes a lateral join’s subquery', async () => {
      const lateral = scoped
        .selectFrom('projects as p')
        .innerJoinLateral(
          (eb: AnyExpressions) =>
            eb.selectFrom('tasks').select('tasks.id as task').whereRef('tasks.project_id', '=', 'p.id').as('l'),
          (join) => join.onTrue(),
        )
        .select(['p.id as id', 'l.task as task'])
      expect((await lateral.execute()).map((row) => row.task).sort()).toEqual(['ta1', 'ta2'])
    })

    it('stamps default values, and takes `excluded` only in an upsert', async () => {
      expect(sqlOf(scoped.insertInto('projects').defaultValues())).toBe(
        'insert into "projects" ("organization_id") values (?)',
      )
      await refusal(
        () =>
          scoped
            .updateTable('projects')
            .from('templates as excluded')
            .set((eb: AnyExpressions) => ({ organization_id: eb.ref('excluded.id') }))
            .compile(),
        'forbidden',
      )
    })
  })

  describe('statements it cannot make safe', () => {
    it('refuses DDL and MERGE on a scoped table, and passes them on other tables', async () => {
      expect(await refusal(() => scoped.schema.dropTable('projects').execute())).toContain('projects')
      await refusal(() => scoped.schema.alterTable('tasks').addColumn('x', 'integer').execute())
      const merge = scoped
        .mergeInto('projects')
        .using('templates', 'templates.id', 'projects.id')
        .whenMatched()
        .thenUpdateSet({ name: 'merged' })
      expect(await refusal(() => merge.compile())).toContain('MERGE')
      const mergeFrom = scoped
        .mergeInto('templates')
        .using('projects', 'templates.id', 'projects.id')
        .whenMatched()
        .thenDelete()
      await refusal(() => mergeFrom.compile())
      expect(sqlOf(scoped.schema.createIndex('templates_name').on('templates').column('name'))).toContain('templates')
      expect(await allRows(db, 'projects')).toHaveLength(PROJECTS.length)
    })
  })
})

describe('options', () => {
  it('refuses tables and columns that are not plain identifiers, and an empty list', async () => {
    const { db } = await createTestDatabase('sqlite')
    expect(() => scopeToOrganization(db, ORG_A, { tables: [] })).toThrow(/empty/)
    expect(() => scopeToOrganization(db, ORG_A, { tables: ['projects; drop table x'] })).toThrow(/plain/)
    expect(() => scopeToOrganization(db, ORG_A, { tables: { projects: 'org id' } })).toThrow(/plain SQL identifier/)
    expect(() => scopeToOrganization(db, ORG_A, { tables: ['projects'], column: '' })).toThrow(/plain SQL identifier/)
    expect(() => scopeToOrganization(db, '', { tables: ['projects'] })).toThrow(/empty/)
    expect(() => unscopedSql('')).toThrow(/reason/)
    const custom = scopeToOrganization(db, ORG_A, { tables: { 'billing.invoices': 'org_id' } })
    expect(normalizeSql(custom.selectFrom('invoices as i').selectAll().compile().sql)).toBe(
      'select * from "invoices" as "i" where "i"."org_id" = ?',
    )
    await db.destroy()
  })
})
