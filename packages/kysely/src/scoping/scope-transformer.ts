import {
  AliasNode,
  AndNode,
  BinaryOperationNode,
  CaseNode,
  ColumnNode,
  type ColumnUpdateNode,
  type DeleteQueryNode,
  FromNode,
  IdentifierNode,
  type InsertQueryNode,
  type JoinNode,
  type MergeQueryNode,
  OnNode,
  type OperationNode,
  OperationNodeTransformer,
  OperatorNode,
  ParensNode,
  PrimitiveValueListNode,
  type QueryId,
  type RawNode,
  ReferenceNode,
  SelectionNode,
  SelectQueryNode,
  TableNode,
  type UpdateQueryNode,
  ValueListNode,
  ValueNode,
  ValuesNode,
  WhenNode,
  WhereNode,
  type WithNode,
} from 'kysely'
import { foreignOrganization, rawSqlOnScopedTable, unsupportedStatement } from './errors'
import type { ScopedTable, ScopedTableSet } from './options'
import { isReviewedRaw, scopedTableInFragments } from './raw'

/** A scoped table as one statement names it: its table node and the name its columns go by. */
interface Target {
  scoped: ScopedTable
  table: TableNode
  /** `p` for `projects as p`; the table itself otherwise. */
  alias: string | undefined
}

/** Join kinds whose ON may carry the condition: they keep no row of the joined table apart from it. */
const ON_JOINS = new Set(['InnerJoin', 'LeftJoin', 'LateralInnerJoin', 'LateralLeftJoin'])
/** Join kinds without ON: the condition goes to WHERE, which filters the joined rows as ON would. */
const WHERE_JOINS = new Set(['CrossJoin', 'LateralCrossJoin', 'CrossApply'])

/**
 * Adds the organization condition to a query tree. One transformer per plugin: Kysely's
 * base class binds a hundred methods when constructed, which would cost more than the
 * transform itself if done per query. The organization is given per call (`scope`); the
 * walk is synchronous, so a call never sees another's.
 *
 * How it stays complete: Kysely's base transformer walks every node; a scoped table
 * reached anywhere but the few places this class handles (FROM, JOIN, USING, the target
 * of UPDATE and INSERT, a column reference) throws. So a statement kind the scope does
 * not know fails closed instead of running unscoped.
 */
export class ScopeTransformer extends OperationNodeTransformer {
  readonly #tables: ScopedTableSet
  /** The organization of the call under way. */
  #organizationId = ''
  /** CTE names visible at this point of the walk, innermost last. A CTE shadows a table of its name. */
  #ctes: Set<string>[] = []

  constructor(tables: ScopedTableSet) {
    super()
    this.#tables = tables
  }

  /** The query, scoped to `organizationId`. */
  scope<T extends OperationNode>(node: T, organizationId: string, queryId?: QueryId): T {
    this.#organizationId = organizationId
    this.#ctes = []
    try {
      return this.transformNode(node, queryId)
    } finally {
      this.#organizationId = ''
      this.nodeStack.length = 0
    }
  }

  // ── Statements ────────────────────────────────────────────────────────────────

  protected override transformSelectQuery(node: SelectQueryNode, queryId?: QueryId): SelectQueryNode {
    return this.#inWith(node.with, () => this.#scopeSelect(super.transformSelectQuery(node, queryId)))
  }

  protected override transformUpdateQuery(node: UpdateQueryNode, queryId?: QueryId): UpdateQueryNode {
    return this.#inWith(node.with, () => this.#scopeUpdate(super.transformUpdateQuery(node, queryId)))
  }

  protected override transformDeleteQuery(node: DeleteQueryNode, queryId?: QueryId): DeleteQueryNode {
    return this.#inWith(node.with, () => this.#scopeDelete(super.transformDeleteQuery(node, queryId)))
  }

  protected override transformInsertQuery(node: InsertQueryNode, queryId?: QueryId): InsertQueryNode {
    return this.#inWith(node.with, () => this.#scopeInsert(super.transformInsertQuery(node, queryId)))
  }

  protected override transformMergeQuery(node: MergeQueryNode, queryId?: QueryId): MergeQueryNode {
    // MERGE matches and inserts in one statement; scoping its three branches is not
    // worth the risk of getting one wrong. Refused on scoped tables, in both roles.
    for (const item of [node.into, node.using?.table]) {
      const target = item === undefined ? undefined : this.#target(item)
      if (target !== undefined) throw unsupportedStatement(target.scoped.name, 'MERGE')
    }
    return super.transformMergeQuery(node, queryId)
  }

  // ── Where a table may appear ──────────────────────────────────────────────────

  protected override transformTable(node: TableNode, queryId?: QueryId): TableNode {
    const scoped = this.#scopedTable(node)
    if (scoped === undefined) return super.transformTable(node, queryId)
    // nodeStack ends with this node; its parent (and the alias's parent) say where it stands.
    const parent = this.nodeStack.at(-2)?.kind
    const grandparent = this.nodeStack.at(-3)?.kind
    const owner = parent === 'AliasNode' || parent === 'ListNode' ? grandparent : parent
    if (owner !== undefined && HANDLED_OWNERS.has(owner)) return node
    throw unsupportedStatement(scoped.name, `a statement of kind ${this.nodeStack[0]?.kind ?? 'unknown'}`)
  }

  protected override transformRaw(node: RawNode, queryId?: QueryId): RawNode {
    const reviewed = isReviewedRaw(node)
    if (!reviewed) {
      const named = scopedTableInFragments(this.#tables, node.sqlFragments)
      if (named !== undefined) throw rawSqlOnScopedTable(named.name)
    }
    const parameters = node.parameters.map((parameter) => {
      // `sql.table('projects')` and `sql.id('projects')` name a table inside raw SQL.
      const named = this.#namedByRawParameter(parameter)
      if (named === undefined) return this.transformNode(parameter, queryId)
      if (!reviewed) throw rawSqlOnScopedTable(named.name)
      return parameter
    })
    return { ...node, parameters }
  }

  protected override transformWith(node: WithNode, queryId?: QueryId): WithNode {
    // A CTE body sees the CTEs before it; a recursive one sees all, itself included.
    // `with projects as (select … from projects)` reads the real table in its body.
    const names = node.expressions.map((cte) => cte.name.table.table.identifier.name)
    const saved = this.#ctes.pop() ?? new Set<string>()
    const expressions = node.expressions.map((cte, index) => {
      this.#ctes.push(new Set(node.recursive ? names : names.slice(0, index)))
      try {
        return this.transformNode(cte, queryId)
      } finally {
        this.#ctes.pop()
      }
    })
    this.#ctes.push(saved)
    return { ...node, expressions }
  }

  // ── Select ────────────────────────────────────────────────────────────────────

  #scopeSelect(node: SelectQueryNode): SelectQueryNode {
    const froms = node.from?.froms ?? []
    const joins = node.joins ?? []
    // Under a right or full join a condition in WHERE would drop the rows the outer join
    // keeps, and one in ON would keep another organization's rows. Each scoped table
    // becomes a derived table that holds only this organization's rows instead.
    if (joins.some((join) => !ON_JOINS.has(join.joinType) && !WHERE_JOINS.has(join.joinType))) {
      return withProps(node, {
        from: node.from === undefined ? undefined : FromNode.create(froms.map((item) => this.#filtered(item))),
        joins: joins.map((join) => ({ ...join, table: this.#filtered(join.table) })),
      })
    }
    const conditions: OperationNode[] = []
    for (const item of froms) {
      const target = this.#target(item)
      if (target !== undefined) conditions.push(this.#condition(target))
    }
    const scopedJoins = joins.map((join) => this.#scopeJoin(join, conditions))
    return withProps(node, {
      joins: node.joins === undefined ? undefined : scopedJoins,
      where: withConditions(node.where, conditions),
    })
  }

  /** Puts a joined scoped table's condition in its ON, or in `whereConditions` for a join without one. */
  #scopeJoin(join: JoinNode, whereConditions: OperationNode[]): JoinNode {
    const target = this.#target(join.table)
    if (target === undefined) return join
    const condition = this.#condition(target)
    if (WHERE_JOINS.has(join.joinType)) {
      whereConditions.push(condition)
      return join
    }
    if (!ON_JOINS.has(join.joinType)) throw unsupportedStatement(target.scoped.name, `a ${join.joinType}`)
    return { ...join, on: OnNode.create(conjoin(join.on?.on, [condition]) ?? condition) }
  }

  /** `projects as p` → `(select * from projects where projects.organization_id = ?) as p`. */
  #filtered(item: OperationNode): OperationNode {
    const target = this.#target(item)
    if (target === undefined) return item
    const unaliased: Target = { ...target, alias: undefined }
    const inner = SelectQueryNode.cloneWithSelections(SelectQueryNode.createFrom([target.table]), [
      SelectionNode.createSelectAll(),
    ])
    const filtered: SelectQueryNode = { ...inner, where: WhereNode.create(this.#condition(unaliased)) }
    return AliasNode.create(filtered, IdentifierNode.create(target.alias ?? target.table.table.identifier.name))
  }

  // ── Update and delete ─────────────────────────────────────────────────────────

  #scopeUpdate(node: UpdateQueryNode): UpdateQueryNode {
    const targets = node.table === undefined ? [] : listItems(node.table)
    const conditions: OperationNode[] = []
    const scoped: Target[] = []
    for (const item of [...targets, ...(node.from?.froms ?? [])]) {
      const target = this.#target(item)
      if (target === undefined) continue
      scoped.push(target)
      conditions.push(this.#condition(target))
    }
    const joins = node.joins?.map((join) => this.#scopeJoin(join, conditions))
    for (const join of node.joins ?? []) {
      const target = this.#target(join.table)
      if (target !== undefined) scoped.push(target)
    }
    if (scoped.length > 0 && node.updates !== undefined) this.#checkUpdates(node.updates, scoped, 'an update')
    return withProps(node, { joins, where: withConditions(node.where, conditions) })
  }

  #scopeDelete(node: DeleteQueryNode): DeleteQueryNode {
    const conditions: OperationNode[] = []
    for (const item of [...node.from.froms, ...(node.using?.tables ?? [])]) {
      const target = this.#target(item)
      if (target !== undefined) conditions.push(this.#condition(target))
    }
    const joins = node.joins?.map((join) => this.#scopeJoin(join, conditions))
    return withProps(node, { joins, where: withConditions(node.where, conditions) })
  }

  /**
   * A write may set a scoped table's organization column only to the scoped organization
   * (or, in an upsert, to the row being inserted, which is stamped with it).
   */
  #checkUpdates(
    updates: readonly ColumnUpdateNode[],
    targets: readonly Target[],
    what: 'an update' | 'an upsert',
  ): void {
    for (const update of updates) {
      const column = columnName(update.column)
      const target = targets.find((candidate) => candidate.scoped.column === column)
      if (target === undefined) continue
      if (this.#isOrganization(update.value)) continue
      // Only in `on conflict … do update` is `excluded` the stamped row; elsewhere it is whatever a host aliased so.
      if (what === 'an upsert' && isExcludedColumn(update.value, column)) continue
      throw foreignOrganization(target.scoped.name, what)
    }
  }

  // ── Insert ────────────────────────────────────────────────────────────────────

  #scopeInsert(node: InsertQueryNode): InsertQueryNode {
    const target = node.into === undefined ? undefined : this.#target(node.into)
    if (target === undefined) return node
    const { name } = target.scoped
    // REPLACE (and SQLite's OR REPLACE) deletes whichever row holds the key, whatever its organization.
    if (node.replace || node.orAction?.action.toLowerCase() === 'replace') throw unsupportedStatement(name, 'REPLACE')
    const stamped = this.#stampValues(node, target)
    let onConflict = stamped.onConflict
    if (onConflict?.updates !== undefined) {
      this.#checkUpdates(onConflict.updates, [target], 'an upsert')
      // The conflicting row may be another organization's: then the upsert updates nothing.
      onConflict = withProps(onConflict, {
        updateWhere: withConditions(onConflict.updateWhere, [this.#condition(target)]),
      })
    }
    let onDuplicateKey = stamped.onDuplicateKey
    if (onDuplicateKey !== undefined) {
      this.#checkUpdates(onDuplicateKey.updates, [target], 'an upsert')
      // MySQL's ON DUPLICATE KEY UPDATE has no WHERE: each assignment keeps the old value
      // unless the existing row is this organization's.
      const condition = this.#condition(target)
      onDuplicateKey = {
        ...onDuplicateKey,
        updates: onDuplicateKey.updates.map((update) => {
          if (isGuarded(update.value, condition)) return update
          const current = ReferenceNode.create(ColumnNode.create(columnName(update.column) ?? ''), target.table)
          const guarded: CaseNode = {
            ...CaseNode.create(),
            when: [WhenNode.cloneWithResult(WhenNode.create(condition), update.value)],
            else: current,
          }
          return { ...update, value: guarded }
        }),
      }
    }
    return withProps(stamped, { onConflict, onDuplicateKey })
  }

  /** Sets the organization column of every inserted row, refusing one that names another. */
  #stampValues(node: InsertQueryNode, target: Target): InsertQueryNode {
    const { name, column } = target.scoped
    const organization = ValueNode.create(this.#organizationId)
    if (node.defaultValues) {
      return withProps(node, {
        defaultValues: undefined,
        columns: [ColumnNode.create(column)],
        values: ValuesNode.create([ValueListNode.create([organization])]),
      })
    }
    const columns = node.columns ?? []
    const index = columns.findIndex((candidate) => candidate.column.name === column)
    const values = node.values
    if (values === undefined) throw unsupportedStatement(name, 'an insert without values')
    const withColumn = index === -1 ? [...columns, ColumnNode.create(column)] : columns
    if (ValuesNode.is(values)) {
      const rows = values.values.map((row) => {
        if (PrimitiveValueListNode.is(row)) {
          if (index === -1) return PrimitiveValueListNode.create([...row.values, this.#organizationId])
          if (row.values[index] !== this.#organizationId) throw foreignOrganization(name, 'an insert')
          return row
        }
        if (ValueListNode.is(row)) {
          if (index === -1) return ValueListNode.create([...row.values, organization])
          const value = row.values[index]
          // A row of a multi-row insert that leaves the column out holds DEFAULT there.
          if (value?.kind === 'DefaultInsertValueNode') {
            return ValueListNode.create(row.values.map((item, at) => (at === index ? organization : item)))
          }
          if (value === undefined || !this.#isOrganization(value)) throw foreignOrganization(name, 'an insert')
          return row
        }
        throw unsupportedStatement(name, `an insert of ${(row as OperationNode).kind}`)
      })
      return { ...node, columns: withColumn, values: ValuesNode.create(rows) }
    }
    if (SelectQueryNode.is(values)) {
      const selections = values.selections ?? []
      if (node.columns === undefined || values.setOperations !== undefined) {
        throw unsupportedStatement(name, 'an insert … select without a column list, or of a union,')
      }
      if (index === -1) {
        const stampedSelect = SelectQueryNode.cloneWithSelections(values, [
          SelectionNode.create(organization as unknown as SelectionNodeChild),
        ])
        return { ...node, columns: withColumn, values: stampedSelect }
      }
      const selected = selections[index]?.selection
      if (selections.some((selection) => selection.selection.kind === 'SelectAllNode')) {
        throw unsupportedStatement(name, 'an insert … select * that includes the organization column')
      }
      if (selected === undefined || !this.#isOrganization(selected))
        throw foreignOrganization(name, 'an insert … select')
      return node
    }
    throw unsupportedStatement(name, `an insert from ${values.kind}`)
  }

  // ── Helpers ───────────────────────────────────────────────────────────────────

  #inWith<T>(withNode: WithNode | undefined, fn: () => T): T {
    if (withNode === undefined) return fn()
    this.#ctes.push(new Set(withNode.expressions.map((cte) => cte.name.table.table.identifier.name)))
    try {
      return fn()
    } finally {
      this.#ctes.pop()
    }
  }

  #scopedTable(node: TableNode): ScopedTable | undefined {
    const { schema, identifier } = node.table
    if (schema === undefined && this.#ctes.some((names) => names.has(identifier.name))) return undefined
    return this.#tables.find(schema?.name, identifier.name)
  }

  /** The scoped table a FROM, JOIN or target item names, with the name its columns go by. */
  #target(item: OperationNode): Target | undefined {
    if (TableNode.is(item)) {
      const scoped = this.#scopedTable(item)
      return scoped === undefined ? undefined : { scoped, table: item, alias: undefined }
    }
    if (AliasNode.is(item) && TableNode.is(item.node)) {
      const scoped = this.#scopedTable(item.node)
      if (scoped === undefined) return undefined
      const alias = IdentifierNode.is(item.alias) ? item.alias.name : undefined
      if (alias === undefined) throw unsupportedStatement(scoped.name, 'an alias that is not a plain name')
      return { scoped, table: item.node, alias }
    }
    return undefined
  }

  /**
   * The scoped table a raw fragment's parameter spells as SQL text: `sql.table`, `sql.id`,
   * `sql.ref('projects')` (a one-part reference prints as a bare name) and `sql.lit`
   * (SQLite reads a string literal where a table name stands as that name).
   */
  #namedByRawParameter(parameter: OperationNode): ScopedTable | undefined {
    if (TableNode.is(parameter)) return this.#tables.find(parameter.table.schema?.name, parameter.table.identifier.name)
    if (IdentifierNode.is(parameter)) return this.#tables.find(undefined, parameter.name)
    if (AliasNode.is(parameter)) return this.#namedByRawParameter(parameter.node)
    if (ReferenceNode.is(parameter) && ColumnNode.is(parameter.column)) {
      return this.#tables.find(undefined, parameter.column.column.name)
    }
    if (ValueNode.is(parameter) && parameter.immediate && typeof parameter.value === 'string') {
      return this.#tables.mentionedIn(parameter.value)
    }
    return undefined
  }

  /** `<p>.organization_id = <organization>`. */
  #condition(target: Target): OperationNode {
    const table = target.alias === undefined ? target.table : TableNode.create(target.alias)
    return BinaryOperationNode.create(
      ReferenceNode.create(ColumnNode.create(target.scoped.column), table),
      OperatorNode.create('='),
      ValueNode.create(this.#organizationId),
    )
  }

  #isOrganization(node: OperationNode): boolean {
    if (AliasNode.is(node)) return this.#isOrganization(node.node)
    return ValueNode.is(node) && node.value === this.#organizationId
  }
}

/** Parents under which a scoped table is handled by the statement that owns it. */
const HANDLED_OWNERS = new Set([
  'FromNode',
  'JoinNode',
  'UsingNode',
  'UpdateQueryNode',
  'InsertQueryNode',
  'ReferenceNode',
  'CommonTableExpressionNameNode',
])

/**
 * `{ ...node, ...props }`, without the props that are `undefined` (the nodes' optional
 * fields are absent, never undefined). Built fresh rather than with `delete`, which would
 * put the node in the engine's slow dictionary mode for the compiler that reads it next.
 */
function withProps<T extends object>(node: T, props: { [K in keyof T]?: T[K] | undefined }): T {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(node)) {
    if (!(key in props)) out[key] = (node as Record<string, unknown>)[key]
  }
  for (const key of Object.keys(props)) {
    const value = (props as Record<string, unknown>)[key]
    if (value !== undefined) out[key] = value
  }
  return Object.freeze(out) as T
}

/** What a select list may hold; a value is one (`select …, ?`), though Kysely's type leaves it out. */
type SelectionNodeChild = Parameters<typeof SelectionNode.create>[0]

function listItems(node: OperationNode): readonly OperationNode[] {
  return node.kind === 'ListNode' ? (node as unknown as { items: readonly OperationNode[] }).items : [node]
}

function columnName(node: OperationNode): string | undefined {
  // Kysely keeps `set({ 't.organization_id': … })` as one column name with a dot in it.
  if (ColumnNode.is(node)) return node.column.name.split('.').at(-1)
  if (ReferenceNode.is(node) && ColumnNode.is(node.column)) return node.column.column.name
  return undefined
}

/** `excluded.organization_id` in PostgreSQL's and SQLite's upserts: the row being inserted. */
function isExcludedColumn(node: OperationNode, column: string | undefined): boolean {
  return (
    ReferenceNode.is(node) &&
    node.table?.table.identifier.name.toLowerCase() === 'excluded' &&
    ColumnNode.is(node.column) &&
    node.column.column.name === column
  )
}

function isGuarded(value: OperationNode, condition: OperationNode): boolean {
  return CaseNode.is(value) && value.when?.length === 1 && sameCondition(value.when[0]?.condition, condition)
}

/** `where` with each condition it does not hold yet; conditions first, the host's own in parentheses. */
export function withConditions(
  where: WhereNode | undefined,
  conditions: readonly OperationNode[],
): WhereNode | undefined {
  const combined = conjoin(where?.where, conditions)
  return combined === undefined ? where : WhereNode.create(combined)
}

function conjoin(existing: OperationNode | undefined, conditions: readonly OperationNode[]): OperationNode | undefined {
  const held = existing === undefined ? [] : conjuncts(existing)
  const missing: OperationNode[] = []
  for (const condition of conditions) {
    // Kysely transforms a subquery once when it is built and again inside its parent:
    // a condition already there is not added twice.
    if (
      !held.some((node) => sameCondition(node, condition)) &&
      !missing.some((node) => sameCondition(node, condition))
    ) {
      missing.push(condition)
    }
  }
  if (missing.length === 0) return existing
  const added = missing.reduce((left, right) => AndNode.create(left, right))
  if (existing === undefined) return added
  // The host's condition keeps its own parentheses: `a or b` must not become `x and a or b`.
  return AndNode.create(added, ParensNode.is(existing) ? existing : ParensNode.create(existing))
}

/** The top-level AND-ed terms of a condition. */
function conjuncts(node: OperationNode): OperationNode[] {
  if (AndNode.is(node)) return [...conjuncts(node.left), ...conjuncts(node.right)]
  if (ParensNode.is(node)) return conjuncts(node.node)
  return [node]
}

/**
 * Whether `node` is the condition `condition` (`<table>.<column> = <value>`, as
 * `#condition` builds it): compared field by field, as it runs for every conjunct of
 * every scoped statement.
 */
export function sameCondition(node: OperationNode | undefined, condition: OperationNode): boolean {
  if (node === undefined || !BinaryOperationNode.is(node) || !BinaryOperationNode.is(condition)) return false
  const [left, right, op] = [node.leftOperand, node.rightOperand, node.operator]
  const [expectedLeft, expectedRight] = [condition.leftOperand, condition.rightOperand]
  if (!OperatorNode.is(op) || op.operator !== '=' || !ValueNode.is(right) || !ValueNode.is(expectedRight)) return false
  if (right.value !== expectedRight.value || right.immediate !== expectedRight.immediate) return false
  if (!ReferenceNode.is(left) || !ReferenceNode.is(expectedLeft)) return false
  if (!ColumnNode.is(left.column) || !ColumnNode.is(expectedLeft.column)) return false
  if (left.column.column.name !== expectedLeft.column.column.name) return false
  const [table, expectedTable] = [left.table?.table, expectedLeft.table?.table]
  return (
    table?.identifier.name === expectedTable?.identifier.name && table?.schema?.name === expectedTable?.schema?.name
  )
}
