import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * The layering of docs/architecture.md, checked over the import graph of `src/`: every
 * import runs down the layers (or stays inside its folder), and no import circle exists.
 */

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

/**
 * The layers, lowest first. A file may import files of its own folder and of any folder in
 * a lower layer; folders of one layer do not import each other. Root files are the public
 * entry points and sit on top.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['shared'],
  ['storage'],
  ['authorization'],
  ['runtime'],
  ['organizations'],
  ['members'],
  ['teams', 'invitations', 'roles', 'api-keys', 'audit'],
  ['instance'],
  ['http'],
  ['(entry points)'],
]

/** The one exception: a type-only import of the instance's type (as Kysely's `Dialect` names `Kysely`). */
const INSTANCE_TYPE_MODULE = 'instance/orgkit.ts'
const INSTANCE_TYPES = new Set(['Orgkit', 'OrgkitClient'])

export interface ImportEdge {
  from: string
  to: string
  /** Only types are imported, and only the instance's type. */
  instanceTypeOnly: boolean
}

/** The unit of layering: a file's first folder under `src/`, or `(entry points)` for a root file. */
export function unitOf(file: string): string {
  const slash = file.indexOf('/')
  return slash === -1 ? '(entry points)' : file.slice(0, slash)
}

export function layerOf(unit: string): number {
  return LAYERS.findIndex((layer) => layer.includes(unit))
}

function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => file.split('\\').join('/'))
    .sort()
}

function resolveSpecifier(from: string, specifier: string, files: ReadonlySet<string>): string | null {
  const base = relative(SRC, resolve(SRC, dirname(from), specifier))
    .split('\\')
    .join('/')
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) if (files.has(candidate)) return candidate
  return null
}

/** Every relative import and re-export of the core's sources, type-only ones included. */
export function importEdges(read: (file: string) => string = (file) => readFileSync(join(SRC, file), 'utf8')) {
  const files = sourceFiles()
  const known = new Set(files)
  const edges: ImportEdge[] = []
  const unresolved: string[] = []
  for (const file of files) {
    const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, false)
    const add = (specifier: string, names: readonly string[] | null, typeOnly: boolean) => {
      if (!specifier.startsWith('.')) return
      const to = resolveSpecifier(file, specifier, known)
      if (to === null) {
        unresolved.push(`${file} → ${specifier}`)
        return
      }
      const instanceTypeOnly =
        typeOnly && to === INSTANCE_TYPE_MODULE && names?.every((name) => INSTANCE_TYPES.has(name)) === true
      edges.push({ from: file, to, instanceTypeOnly })
    }
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause
        const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings : null
        const typeOnly =
          clause !== undefined &&
          (clause.isTypeOnly ||
            (clause.name === undefined && named !== null && named.elements.every((element) => element.isTypeOnly)))
        const names = clause?.name === undefined && named ? named.elements.map((element) => element.name.text) : null
        add(node.moduleSpecifier.text, names, typeOnly)
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause : null
        const typeOnly = node.isTypeOnly || named?.elements.every((element) => element.isTypeOnly) === true
        add(node.moduleSpecifier.text, named ? named.elements.map((element) => element.name.text) : null, typeOnly)
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        const literal = node.argument.literal
        if (ts.isStringLiteral(literal))
          add(literal.text, node.qualifier ? [qualifierName(node.qualifier)] : null, true)
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        add(node.arguments[0].text, null, false)
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return { files, edges, unresolved }
}

function qualifierName(name: ts.EntityName): string {
  return ts.isIdentifier(name) ? name.text : name.right.text
}

/** Imports that run up the layers or sideways between two folders of one layer. */
export function backImports(edges: readonly ImportEdge[]): string[] {
  return edges
    .filter((edge) => {
      const from = unitOf(edge.from)
      const to = unitOf(edge.to)
      if (from === to || edge.instanceTypeOnly) return false
      return layerOf(to) >= layerOf(from)
    })
    .map((edge) => `${edge.from} (${unitOf(edge.from)}) → ${edge.to} (${unitOf(edge.to)})`)
}

/** Every import circle between files (strongly connected components of more than one file, or a self-import). */
export function importCircles(edges: readonly ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>()
  for (const edge of edges) {
    if (edge.instanceTypeOnly) continue
    graph.set(edge.from, [...(graph.get(edge.from) ?? []), edge.to])
    if (!graph.has(edge.to)) graph.set(edge.to, [])
  }
  // Tarjan's algorithm.
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const circles: string[][] = []
  const connect = (node: string): void => {
    index.set(node, counter)
    low.set(node, counter)
    counter++
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!))
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) circles.push(component.sort())
    }
  }
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node)
  return circles
}

describe('the layering of packages/core/src (docs/architecture.md)', () => {
  const { files, edges, unresolved } = importEdges()

  it('reads the import graph', () => {
    expect(unresolved).toEqual([])
    expect(files.length).toBeGreaterThan(40)
    expect(edges.length).toBeGreaterThan(150)
  })

  it('places every file in a layer, with only the public entry points at the root', () => {
    const unplaced = files.filter((file) => layerOf(unitOf(file)) === -1)
    expect(unplaced, 'a folder that is in no layer: add it to LAYERS and docs/architecture.md').toEqual([])
    expect(files.filter((file) => !file.includes('/'))).toEqual(['http.ts', 'index.ts'])
  })

  it('has no import running up the layers or across one layer', () => {
    expect(backImports(edges)).toEqual([])
  })

  it('has no import circle', () => {
    expect(importCircles(edges)).toEqual([])
  })

  it('catches a back-import and a circle when one is added', () => {
    // The checks themselves, on the real graph plus one import the layering forbids.
    const added: ImportEdge = { from: 'shared/errors.ts', to: 'http/route.ts', instanceTypeOnly: false }
    expect(backImports([...edges, added])).toEqual(['shared/errors.ts (shared) → http/route.ts (http)'])
    const circle = importCircles([
      ...edges,
      { from: 'shared/ids.ts', to: 'runtime/unit-of-work.ts', instanceTypeOnly: false },
    ])
    expect(circle).toContainEqual(expect.arrayContaining(['shared/ids.ts', 'runtime/unit-of-work.ts']))
  })
})
