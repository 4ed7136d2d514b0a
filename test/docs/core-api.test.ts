import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createOrgkit, type Orgkit } from '@orgkit/core'
import { kyselyStorage } from '@orgkit/kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, TEST_USERS_TABLE, type TestDatabase } from '../support/databases'
import { ROOT, readDoc } from './doc-blocks'

/** The text of a `## heading` section of docs/core-api.md, up to the next `## `. */
function section(heading: string): string {
  const doc = readDoc('docs/core-api.md')
  const start = doc.indexOf(`\n## ${heading}\n`)
  expect(start, `docs/core-api.md has no "## ${heading}" section`).toBeGreaterThan(-1)
  const end = doc.indexOf('\n## ', start + 1)
  return doc.slice(start, end === -1 ? undefined : end)
}

/** `` `members.list(` `` and `` `can(` `` in a table's first column: what the doc lists. */
function listedMethods(text: string): string[] {
  return [...text.matchAll(/^\| `((?:\w+\.)?\w+)\(/gm)].map((match) => match[1]!)
}

/** Every function on an object, one level of namespaces deep: `members.list`, `can`. */
function methodsOf(client: object): string[] {
  return Object.entries(client).flatMap(([name, value]) => {
    if (typeof value === 'function') return [name]
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.entries(value)
        .filter(([, member]) => typeof member === 'function')
        .map(([member]) => `${name}.${member}`)
    }
    return []
  })
}

/** Every `action: '…'` an audit event is written or announced with, in the core's sources. */
function recordedActions(): { action: string; file: string }[] {
  const dir = join(ROOT, 'packages/core/src')
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
  )
  return files.flatMap((file) => {
    const text = readFileSync(join(dir, file), 'utf8')
    // Events are object literals with `action` on its own line; `reportError(…, { action: 'invitation.send' })`
    // names a failed callback, not an event.
    return [...text.matchAll(/^\s+action: '([a-z_]+\.[a-z_]+)',$/gm)].map((match) => ({
      action: match[1]!,
      file: relative(ROOT, join(dir, file)),
    }))
  })
}

describe('docs/core-api.md', () => {
  let database: TestDatabase
  let orgkit: Orgkit
  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    orgkit = createOrgkit({ storage: kyselyStorage(database.db, { users: TEST_USERS_TABLE }) })
  })
  afterAll(async () => {
    await database?.destroy()
  })

  it('lists every method of orgkit.as(actor), and only those', () => {
    const listed = listedMethods(section('`orgkit.as(actor)`'))
    const actual = methodsOf(orgkit.as({ type: 'user', userId: 'usr_doc' }))
    expect(actual.length).toBeGreaterThan(20)
    expect(new Set(listed).size, 'a method is listed twice').toBe(listed.length)
    expect([...listed].sort()).toEqual([...actual].sort())
  })

  it('lists every member of the instance, and only those', () => {
    const listed = [...section('The instance').matchAll(/^\| `orgkit\.(\w+)/gm)].map((match) => match[1]!)
    expect([...listed].sort()).toEqual(Object.keys(orgkit).sort())
  })

  it('describes every event the services record, and no other', () => {
    const recorded = recordedActions()
    expect(recorded.length).toBeGreaterThan(10)
    const events = section('Events')
    const documented = [...events.matchAll(/^\| `([a-z_]+\.[a-z_]+)` \|/gm)].map((match) => match[1]!)
    for (const { action, file } of recorded) {
      expect(documented, `${action} (recorded in ${file}) is missing from the Events table`).toContain(action)
    }
    expect(new Set(documented).size, 'an action is listed twice').toBe(documented.length)
    expect(documented.filter((action) => !recorded.some((r) => r.action === action))).toEqual([])
  })
})
