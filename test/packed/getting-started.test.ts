/**
 * docs/getting-started.md as a new user follows it, outside this repository: the published
 * packages built and packed as `npm publish` would, installed from their tarballs into a fresh
 * app next to express, kysely and jose from the registry; the guide's code blocks, in order,
 * as that app's `app.ts`, type-checked with the packed type declarations and run with Node;
 * then the same HTTP steps as against the sources.
 *
 * Slow by nature (a build, a pack and an install: about two minutes here), hence its own
 * timeout. better-sqlite3 is linked from this repository instead of being installed, because
 * installing it compiles it from source.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { codeBlocks, ROOT } from '../docs/doc-blocks'
import { exerciseGettingStartedApp } from '../docs/getting-started-flow'

const run = promisify(execFile)
const PACKAGES = ['core', 'kysely', 'express'] as const
const GUIDE = 'docs/getting-started.md'
const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>
}

/** The guide's app: its `gs-app-*` blocks in order, their imports merged at the top. */
function guideProgram(): string {
  const imports = new Map<string, { default?: string; named: Set<string> }>()
  const bodies: string[] = []
  for (const block of codeBlocks(GUIDE).filter((b) => b.marker?.name.startsWith('gs-app-'))) {
    const lines = block.code.split('\n')
    for (const line of lines.filter((l) => l.startsWith('import '))) {
      const parsed = /^import (?:(\w+)|\{ (.+) \}) from '([@\w/-]+)'$/.exec(line)
      if (!parsed) throw new Error(`${GUIDE}: an import this test cannot read: ${line}`)
      const entry = imports.get(parsed[3]!) ?? { named: new Set<string>() }
      if (parsed[1]) entry.default = parsed[1]
      for (const name of parsed[2]?.split(', ') ?? []) entry.named.add(name)
      imports.set(parsed[3]!, entry)
    }
    bodies.push(
      lines
        .filter((l) => !l.startsWith('import '))
        .join('\n')
        .trim(),
    )
  }
  const head = [...imports].map(([module, { default: name, named }]) => {
    const parts = [name, named.size > 0 ? `{ ${[...named].join(', ')} }` : undefined].filter(Boolean)
    return `import ${parts.join(', ')} from '${module}'`
  })
  return `${head.join('\n')}\n\n${bodies.join('\n\n')}\n`
}

describe('docs/getting-started.md, followed from the packed packages in a fresh app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgkit-packed-'))
  const app = join(dir, 'app')
  let server: ChildProcess | undefined
  afterAll(() => {
    server?.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  it('installs, type-checks, starts and answers as the guide says', { timeout: 600_000 }, async () => {
    // Built and packed as for publishing: the three builds side by side.
    await Promise.all(
      PACKAGES.map((name) => run('npm', ['run', 'build', '-w', `@orgkit/${name}`], { cwd: ROOT, maxBuffer: 1 << 26 })),
    )
    const { stdout } = await run(
      'npm',
      ['pack', '--json', '--pack-destination', dir, ...PACKAGES.flatMap((name) => ['-w', `@orgkit/${name}`])],
      { cwd: ROOT, maxBuffer: 1 << 26 },
    )
    const tarballs = (JSON.parse(stdout) as { filename: string }[]).map((packed) => join(dir, packed.filename))
    expect(tarballs).toHaveLength(PACKAGES.length)

    // A fresh app, outside the repository, with the guide's install line.
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'guide-app', private: true, type: 'module' }))
    const from = (name: string) => `${name}@${rootPackage.devDependencies[name]}`
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        ...tarballs,
        ...['express', 'kysely', 'jose', '@types/express', '@types/better-sqlite3', '@types/node'].map(from),
      ],
      { cwd: app, maxBuffer: 1 << 26 },
    )
    symlinkSync(join(ROOT, 'node_modules/better-sqlite3'), join(app, 'node_modules/better-sqlite3'), 'dir')

    // The guide's code, as the app's only file, compiled under `strict` against the packed types.
    writeFileSync(join(app, 'app.ts'), guideProgram())
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          types: ['node'],
          outDir: 'dist',
        },
        files: ['app.ts'],
      }),
    )
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
    await run(process.execPath, [tsc, '-p', app], { cwd: app }).catch((error: { stdout?: string }) => {
      throw new Error(`the guide's app does not compile:\n${error.stdout}`)
    })

    // Started as the guide starts it, on a free port, with the app's own secret.
    const secret = 'the app secret, at least 32 bytes long'
    const databaseFile = join(app, 'app.db')
    server = spawn(process.execPath, ['dist/app.js'], {
      cwd: app,
      env: { PATH: process.env.PATH, PORT: '0', DATABASE_FILE: databaseFile, JWT_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let errors = ''
    server.stderr!.on('data', (chunk) => {
      errors += chunk
    })
    const port = await new Promise<number>((resolve, reject) => {
      let out = ''
      server!.stdout!.on('data', (chunk) => {
        out += chunk
        const listening = /listening on (\{.*\})/.exec(out)
        if (listening) resolve((JSON.parse(listening[1]!) as { port: number }).port)
      })
      server!.once('exit', (code) => reject(new Error(`the app exited (${code}) before listening:\n${out}${errors}`)))
    })
    await exerciseGettingStartedApp(`http://127.0.0.1:${port}`, databaseFile, secret)
    expect(errors).toBe('')
  })
})
