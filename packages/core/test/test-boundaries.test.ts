/**
 * The core's tests stay inside the core: they import the core, vitest, Node's built-ins and
 * `@orgkit/testing` (the in-memory storage), and files of this package, never the Kysely
 * storage, a driver or a file elsewhere in the repository. The same suites run on real
 * databases from the repository's `test/core/`, which may import those.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const PACKAGE = resolve(import.meta.dirname, '..')
// `typescript` reads the import graph of the sources for the architecture test.
const ALLOWED_PACKAGES = ['@orgkit/core', '@orgkit/testing', 'typescript', 'vitest', 'zod']

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return /\.[cm]?[jt]s$/.test(entry.name) ? [path] : []
  })
}

/** Every module specifier of a file: static imports and exports, `import()` and `require()`. */
export function specifiers(text: string): string[] {
  const found: string[] = []
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1]!)
  return found
}

/** Why a file of the core's tests may not import `specifier`, or `null` when it may. */
export function refusal(file: string, specifier: string): string | null {
  if (specifier.startsWith('node:')) return null
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(file), specifier)
    return relative(PACKAGE, target).startsWith('..') ? 'a path outside packages/core' : null
  }
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!
  return ALLOWED_PACKAGES.includes(name) ? null : `a package the core's tests may not use (${name})`
}

describe("the core's tests", () => {
  // This file names forbidden imports as data, for the last test.
  const files = [
    ...sources(join(PACKAGE, 'test')),
    ...sources(join(PACKAGE, 'src')).filter((file) => file.includes('.test.')),
  ].filter((file) => file !== fileURLToPath(import.meta.url))

  it('are found', () => {
    expect(files.length).toBeGreaterThan(5)
  })

  it('import nothing outside the core but @orgkit/testing, vitest and Node', () => {
    const refused = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8')).flatMap((specifier) => {
        const reason = refusal(file, specifier)
        return reason === null ? [] : [`${relative(PACKAGE, file)}: ${specifier} (${reason})`]
      }),
    )
    expect(refused).toEqual([])
  })

  it('would refuse the Kysely storage, a driver and the repository test support', () => {
    const file = join(PACKAGE, 'test', 'members.test.ts')
    const text = [
      "import { kyselyStorage } from '@orgkit/kysely'",
      "import { sql } from 'kysely'",
      "import Database from 'better-sqlite3'",
      "import { createTestStorage } from '../../../test/support/databases'",
      "const late = await import('@orgkit/kysely')",
      "export { race } from '../../../test/support/concurrency'",
    ].join('\n')
    expect(specifiers(text).map((specifier) => refusal(file, specifier) !== null)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ])
    expect(refusal(file, './support/storages')).toBeNull()
    expect(refusal(file, '../src/ids')).toBeNull()
    expect(refusal(file, '@orgkit/testing')).toBeNull()
  })
})
