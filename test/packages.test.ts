import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const PUBLISHED = ['core', 'kysely', 'express', 'fastify', 'client', 'testing'] as const
const readJson = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'))
/** The packages a host's server installs together: each README's install line names them all and a driver. */
const SERVER_SIDE = new Set<string>(['core', 'kysely', 'express', 'fastify'])

// What a package consumer meets first: the manifest and what `npm pack` puts in the
// tarball. The build output itself is checked by publint and attw in CI, after the build.
describe.each(PUBLISHED)('@orgkit/%s as published', (name) => {
  const dir = `packages/${name}`
  const pkg = readJson(`${dir}/package.json`)

  it('says what it is, where its source lives and that it has no side effects', () => {
    expect(pkg.name).toBe(`@orgkit/${name}`)
    expect(pkg.license).toBe('MIT')
    expect(pkg.sideEffects).toBe(false)
    expect(pkg.description).toEqual(expect.any(String))
    expect(pkg.keywords.length).toBeGreaterThan(3)
    expect(pkg.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:/), directory: dir })
    expect(pkg.homepage).toContain(dir)
    expect(pkg.engines.node).toBe('>=20.19')
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE']))
  })

  it('ships the MIT license and a README that links to the docs', () => {
    expect(readFileSync(join(root, dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'))
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toContain('Copyright (c) 2026 the orgkit authors')
    const readme = readFileSync(join(root, dir, 'README.md'), 'utf8')
    expect(readme).toMatch(new RegExp(`^# @orgkit/${name}\\n`))
    expect(readme).toMatch(new RegExp(`npm install (@orgkit/\\w+ )*@orgkit/${name}\\b`))
    expect(readme).toMatch(/\]\(https:\/\/github\.com\/orgkit\/orgkit\/(blob|tree)\/main\/docs/)
  })

  it.runIf(SERVER_SIDE.has(name))(
    'installs, in its README, everything its example needs: the packages, their peers and a driver',
    () => {
      const readme = readFileSync(join(root, dir, 'README.md'), 'utf8')
      const words = /^npm install (.+)$/m.exec(readme)?.[1]?.split(' ') ?? []
      const needed = new Set([`@orgkit/${name}`, '@orgkit/core', '@orgkit/kysely', 'kysely'])
      // Its own peers (express, fastify) and those of the orgkit packages it is used with.
      for (const used of needed) {
        if (!used.startsWith('@orgkit/')) continue
        for (const peer of Object.keys(readJson(`packages/${used.slice(8)}/package.json`).peerDependencies ?? {})) {
          needed.add(peer)
        }
      }
      expect(words).toEqual(expect.arrayContaining([...needed]))
      expect(words.filter((word) => ['pg', 'mysql2', 'better-sqlite3'].includes(word))).toHaveLength(1)
      expect(readme).toMatch(/`mysql2`[\s\S]*`better-sqlite3`/)
    },
  )

  // A package used apart from the server (the browser client) needs only itself and its peers.
  it.runIf(!SERVER_SIDE.has(name))('installs, in its README, itself and its peers', () => {
    const readme = readFileSync(join(root, dir, 'README.md'), 'utf8')
    const words = /^npm install (.+)$/m.exec(readme)?.[1]?.split(' ') ?? []
    expect(words).toEqual(expect.arrayContaining([`@orgkit/${name}`, ...Object.keys(pkg.peerDependencies ?? {})]))
  })

  it('packs README, LICENSE and package.json, and no tests', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: join(root, dir),
        encoding: 'utf8',
      }),
    ) as [{ files: { path: string }[] }]
    const paths = packed.files.map((file) => file.path)
    expect(paths).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json']))
    expect(paths.filter((path) => path.endsWith('.test.ts'))).toEqual([])
  })
})
