import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { build as tsup } from 'tsup'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const packageDir = join(import.meta.dirname, '..')

/**
 * The size budget of docs/client.md: what a browser app pays for the client, bundled
 * and minified by esbuild, gzipped by zlib. Raise it only with a reason written there.
 */
export const BUDGET = {
  /** Everything: the client, its errors, the operation table and `can`. */
  all: { minified: 9_000, gzipped: 2_800 },
  /** `can` alone: an app that only reads a permission map pays for nothing else. */
  can: { minified: 400, gzipped: 300 },
} as const

/** Bundles `contents` (imports from the package's source) as an app's bundler would. */
export async function bundleSize(contents: string): Promise<{ minified: number; gzipped: number }> {
  const result = await build({
    stdin: { contents, resolveDir: packageDir, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
  })
  const code = result.outputFiles[0]!.contents
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length }
}

describe('@orgkit/client in a bundle', () => {
  it('stays within its size budget', async () => {
    const all = await bundleSize("export * from './src/index.ts'")
    expect(all.minified).toBeLessThanOrEqual(BUDGET.all.minified)
    expect(all.gzipped).toBeLessThanOrEqual(BUDGET.all.gzipped)
  })

  it('tree-shakes: importing can() alone leaves the client out', async () => {
    const alone = await bundleSize("export { can } from './src/index.ts'")
    expect(alone.minified).toBeLessThanOrEqual(BUDGET.can.minified)
    expect(alone.gzipped).toBeLessThanOrEqual(BUDGET.can.gzipped)
  })
})

describe('@orgkit/client as built', () => {
  // The published declarations must stand alone: a consumer installs neither zod nor @orgkit/core.
  it('ships declarations and code that import nothing', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'orgkit-client-dist-'))
    try {
      await tsup({
        config: false,
        entry: { index: join(packageDir, 'src/index.ts') },
        outDir,
        format: ['esm', 'cjs'],
        dts: { compilerOptions: { composite: false, incremental: false, rootDir: join(packageDir, 'src') } },
        tsconfig: join(packageDir, 'tsconfig.json'),
        target: 'es2022',
        platform: 'neutral',
        silent: true,
      })
      for (const file of ['index.d.ts', 'index.d.cts', 'index.js', 'index.cjs']) {
        const text = readFileSync(join(outDir, file), 'utf8')
        expect(text, file).not.toMatch(/\bfrom\s*['"]|\brequire\(\s*['"]|\bimport\(\s*['"]/)
        expect(text, file).not.toMatch(/zod|@orgkit\/core/)
      }
      const types = readFileSync(join(outDir, 'index.d.ts'), 'utf8')
      expect(types).toMatch(/declare function createOrgkitClient/)
      expect(types).toMatch(/declare class OrgkitClientError/)
      expect(types).toMatch(/interface Operations/)

      // A consumer's strict type-check against the built declarations alone (no node_modules
      // in reach of the temporary folder's files but TypeScript's own lib).
      writeFileSync(
        join(outDir, 'consumer.ts'),
        [
          "import { can, createOrgkitClient, type Member, OrgkitClientError } from './index.js'",
          "const client = createOrgkitClient({ baseUrl: 'https://app.example/api', token: 'ok_x_y' })",
          "export const member: Promise<Member> = client.members.get('acme', 'usr_1')",
          "export const allowed: boolean = can({ permissions: ['*'] }, 'projects.read')",
          'export const code = (error: OrgkitClientError): string => error.code',
          '// @ts-expect-error the role is required',
          "export const wrong = client.members.update('acme', 'usr_1', {})",
        ].join('\n'),
      )
      const program = ts.createProgram([join(outDir, 'consumer.ts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
        types: [],
        skipLibCheck: false,
      })
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      expect(diagnostics).toEqual([])
    } finally {
      rmSync(outDir, { recursive: true, force: true })
    }
  }, 120_000)
})
