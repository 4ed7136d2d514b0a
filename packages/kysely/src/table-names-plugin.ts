import {
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  SchemableIdentifierNode,
  type TableNode,
  type UnknownRow,
} from 'kysely'

/**
 * Rewrites logical table names (`members`) to physical ones (`orgkit_members`, or the
 * host's `auth.users`) when a query is compiled. The adapter's queries are written once,
 * typed against `OrgkitDatabase`, and work under any prefix. Only the names in the map
 * are touched: aliases (`members as m`) and every other table pass through unchanged.
 */
export function tableNamesPlugin(physicalNames: ReadonlyMap<string, string>): KyselyPlugin {
  const transformer = new TableNameTransformer(physicalNames)
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      return transformer.transformNode(args.node, args.queryId)
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return args.result
    },
  }
}

class TableNameTransformer extends OperationNodeTransformer {
  readonly #names: ReadonlyMap<string, string>

  constructor(names: ReadonlyMap<string, string>) {
    super()
    this.#names = names
  }

  protected override transformTable(node: TableNode): TableNode {
    const { schema, identifier } = node.table
    const physical = schema === undefined ? this.#names.get(identifier.name) : undefined
    if (physical === undefined) return node
    // A physical name may carry a schema (`auth.users`).
    const dot = physical.indexOf('.')
    const table =
      dot === -1
        ? SchemableIdentifierNode.create(physical)
        : SchemableIdentifierNode.createWithSchema(physical.slice(0, dot), physical.slice(dot + 1))
    return { ...node, table }
  }
}
