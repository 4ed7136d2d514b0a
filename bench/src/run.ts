/**
 * orgkit's benchmarks, against Better Auth's organization plugin, CASL and casbin, in one run:
 * `npm run bench` writes docs/benchmarks.md and docs/images/benchmarks.svg;
 * `npm run bench -- --smoke` (or BENCH_SMOKE=1) runs every workload tiny and writes nothing;
 * `BENCH_LARGE=1` adds the organization of a million members. Each system runs in a process
 * of its own, so that its peak RSS is its own; the HTTP servers too, driven by autocannon
 * from this process over loopback. The smoke mode runs everything in this process: it
 * checks that every workload works, and its numbers mean nothing.
 * `npm run bench -- --only=invitation-emails` runs that workload alone (invitations against a
 * users table as apps have it, at 10,000 and the large size of users, on SQLite, PostgreSQL
 * and MariaDB), adds its figures to the last full run's results and rewrites the page.
 * `npm run bench -- --only=postgres-network` runs orgkit and Better Auth side by side on
 * PostgreSQL, directly and through a delaying proxy, and adds that to the last results likewise
 * (every run measures it too; skipped with a line when the server does not answer).
 * `npm run bench -- --only=write-profile` profiles orgkit's SQLite writes (where their time goes)
 * and adds that to the last results likewise.
 * `npm run bench -- --help` says all this and runs nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type HttpResult, load, STATEMENTS_PATH } from './http'
import { type EmailBenchDatabase, type InvitationEmailsResult, runInvitationEmails } from './invitation-emails'
import { benchSettings, type SystemResult, spread } from './measure'
import {
  type NetworkPath,
  type NetworkSystem,
  POOL_SIZE,
  type PostgresNetworkResult,
  PROXY_DELAY_MS,
  postgresReachable,
  runPostgresNetwork,
  startDelayProxy,
  urlThrough,
} from './postgres-network'
import { collectMachine, type Report, renderMarkdown, renderSvg } from './report'
import { type HttpServer, PG_URL, runSystem, serveHttp } from './systems'
import { runWriteProfile, type WriteProfileResult } from './write-profile'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const settings = benchSettings(process.argv.slice(2), process.env)
const started = performance.now()
/** The numbers behind docs/benchmarks.md, committed with it: `--render` rewrites the page from them without measuring. */
const resultsFile = join(root, 'bench', 'results', 'latest.json')

function writeDocs(report: Report): void {
  mkdirSync(join(root, 'docs', 'images'), { recursive: true })
  writeFileSync(join(root, 'docs', 'images', 'benchmarks.svg'), renderSvg(report))
  writeFileSync(join(root, 'docs', 'benchmarks.md'), renderMarkdown(report))
  console.error('wrote docs/benchmarks.md and docs/images/benchmarks.svg')
}

if (process.argv.includes('--help')) {
  console.error(`npm run bench [-- options]: measures and writes docs/benchmarks.md (about an hour in full)
  --smoke                    every workload tiny, nothing written (also BENCH_SMOKE=1)
  --large                    adds the organization and users table of a million (also BENCH_LARGE=1)
  --render                   rewrites the page from bench/results/latest.json, measuring nothing
  --only=invitation-emails   only invitations against a users table as apps have it (10,000 users,
                             then the large size), on SQLite, PostgreSQL and MariaDB; added to the last results
  --only=postgres-network    only orgkit and Better Auth on PostgreSQL, directly and through a proxy adding
                             ${PROXY_DELAY_MS} ms each way; added to the last results
  --only=write-profile       only orgkit's SQLite writes under the profiler, where their time goes; added to the last results
environment: BENCH_RUNS (runs per workload, default 5), ORGKIT_BENCH_PG_URL (or 'off'), ORGKIT_BENCH_MYSQL_URL (or 'off')`)
  process.exit(0)
}

if (process.argv.includes('--render')) {
  writeDocs(JSON.parse(readFileSync(resultsFile, 'utf8')) as Report)
  process.exit(0)
}
const childEnv = {
  ...process.env,
  BENCH_SMOKE: settings.smoke ? '1' : '0',
  BENCH_LARGE: settings.large ? '1' : '0',
  BENCH_RUNS: String(settings.runs),
}

function startWorker(args: string[]): ChildProcess {
  return spawn(process.execPath, [...process.execArgv, join(here, 'worker.ts'), ...args], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}

/** Runs a worker to its end and returns the JSON on its last line of output. */
function runWorker<T = SystemResult>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = startWorker(args)
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1)
      if (code !== 0 || last === undefined) reject(new Error(`worker ${args.join(' ')} exited with ${code}`))
      else resolve(JSON.parse(last) as T)
    })
  })
}

/** The server in a process of its own, or, in the smoke mode, in this one. */
async function startHttpServer(framework: string): Promise<HttpServer> {
  if (settings.smoke) return serveHttp(framework, settings)
  const child = startWorker(['http-server', framework])
  const ready = await new Promise<{ port: number; org: string; userId: string }>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!))
    })
    child.on('exit', (code) => reject(new Error(`the ${framework} server exited with ${code}`)))
  })
  return {
    ...ready,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill()
      }),
  }
}

/** A system's measurements in a process of its own, or, in the smoke mode, in this one. */
const measureSystem = (system: string): Promise<SystemResult> =>
  settings.smoke ? runSystem(system, settings) : runWorker([system])

async function measureHttp(framework: string): Promise<HttpResult> {
  const ready = await startHttpServer(framework)
  try {
    const base = `http://127.0.0.1:${ready.port}`
    const urls = {
      orgkit: `${base}/api/organizations/${ready.org}/members?limit=50`,
      handWritten: `${base}/raw/organizations/${ready.org}/members?limit=50`,
    }
    // Both must answer the same page before their speed means anything.
    for (const url of Object.values(urls)) {
      const response = await fetch(url, { headers: { 'x-user-id': ready.userId } })
      const body = (await response.json()) as { data?: unknown[] }
      if (response.status !== 200 || body.data?.length !== 50) throw new Error(`${url} answered ${response.status}`)
    }
    const seconds = settings.smoke ? 1 : 5
    const rounds = settings.smoke ? 1 : 3
    const orgkitRps: number[] = []
    const handWrittenRps: number[] = []
    const sent = { orgkit: { statements: 0, requests: 0 }, handWritten: { statements: 0, requests: 0 } }
    const statementsSoFar = async () =>
      ((await (await fetch(`${base}${STATEMENTS_PATH}`)).json()) as { count: number }).count
    /** Loads one route, counting the statements the server sent meanwhile. */
    const drive = async (which: 'orgkit' | 'handWritten') => {
      const before = await statementsSoFar()
      const result = await load(urls[which], ready.userId, seconds)
      sent[which].statements += (await statementsSoFar()) - before
      sent[which].requests += result.requests
      return result
    }
    let non2xx = 0
    // Alternating rounds, so that a noisy neighbour hurts both sides alike.
    for (let round = 0; round < rounds; round++) {
      const a = await drive('orgkit')
      const b = await drive('handWritten')
      orgkitRps.push(a.rps)
      handWrittenRps.push(b.rps)
      non2xx += a.non2xx + b.non2xx
      console.error(`  ${framework} round ${round + 1}: orgkit ${a.rps} req/s, hand-written ${b.rps} req/s`)
    }
    return {
      framework,
      orgkitRps: spread(orgkitRps),
      handWrittenRps: spread(handWrittenRps),
      orgkitStatements: sent.orgkit.statements / sent.orgkit.requests,
      handWrittenStatements: sent.handWritten.statements / sent.handWritten.requests,
      non2xx,
    }
  } finally {
    await ready.close()
  }
}

const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
  const start = performance.now()
  const result = await work()
  console.error(`(${name}: ${((performance.now() - start) / 1000).toFixed(1)} s)`)
  return result
}

/**
 * orgkit and Better Auth on the same PostgreSQL server, directly and through the delaying
 * proxy (in this process; the systems in processes of their own, or here in the smoke mode).
 * Undefined, with a line, when the server does not answer.
 */
async function measurePostgresNetwork(): Promise<Report['postgresNetwork']> {
  if (process.env.ORGKIT_BENCH_PG_URL === 'off' || !(await postgresReachable(PG_URL))) {
    console.error(`PostgreSQL not reachable at ${PG_URL}: orgkit and Better Auth over a network skipped`)
    return undefined
  }
  const server = new URL(PG_URL)
  const proxy = await startDelayProxy({ host: server.hostname, port: Number(server.port || 5432) }, PROXY_DELAY_MS)
  const results: PostgresNetworkResult[] = []
  try {
    for (const path of ['direct', 'proxy'] as NetworkPath[]) {
      const url = urlThrough(PG_URL, path === 'proxy' ? proxy.port : undefined)
      for (const system of ['orgkit', 'orgkit-unnamed', 'better-auth'] as NetworkSystem[]) {
        results.push(
          await phase(`${system} on PostgreSQL, ${path}`, () =>
            settings.smoke
              ? runPostgresNetwork(system, path, url, PG_URL, settings)
              : runWorker<PostgresNetworkResult>(['postgres-network', system, path, url]),
          ),
        )
      }
    }
  } finally {
    await proxy.close()
  }
  return { results, commit: (await collectMachine(root)).commit, delayMs: PROXY_DELAY_MS, poolSize: POOL_SIZE }
}

if (process.argv.includes('--only=postgres-network')) {
  const measured = await measurePostgresNetwork()
  if (settings.smoke || measured === undefined) {
    console.error('nothing written')
  } else {
    const report = JSON.parse(readFileSync(resultsFile, 'utf8')) as Report
    report.postgresNetwork = measured
    writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`)
    writeDocs(report)
  }
  process.exit(0)
}

if (process.argv.includes('--only=write-profile')) {
  // Where orgkit's SQLite writes spend their time, into the last full run's results.
  const profile = await phase('write profile', () =>
    settings.smoke ? runWriteProfile(settings) : runWorker<WriteProfileResult>(['write-profile']),
  )
  if (settings.smoke) {
    console.error('smoke mode: nothing written')
  } else {
    const report = JSON.parse(readFileSync(resultsFile, 'utf8')) as Report
    const { date, commit } = await collectMachine(root)
    report.writeProfile = { ...profile, date, commit }
    writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`)
    writeDocs(report)
  }
  process.exit(0)
}

if (process.argv.includes('--only=invitation-emails')) {
  const results: InvitationEmailsResult[] = []
  const databases: EmailBenchDatabase[] = ['sqlite']
  if (process.env.ORGKIT_BENCH_PG_URL !== 'off') databases.push('postgres')
  if (process.env.ORGKIT_BENCH_MYSQL_URL !== 'off') databases.push('mysql')
  for (const database of databases) {
    results.push(
      await phase(`invitation emails on ${database}`, () =>
        settings.smoke
          ? runInvitationEmails(database, settings)
          : runWorker<InvitationEmailsResult>(['invitation-emails', database]),
      ),
    )
  }
  if (settings.smoke) {
    console.error('smoke mode: nothing written')
  } else {
    const report = JSON.parse(readFileSync(resultsFile, 'utf8')) as Report
    report.invitationEmails = { results, commit: (await collectMachine(root)).commit, runs: settings.runs }
    writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`)
    writeDocs(report)
  }
  process.exit(0)
}

/** The tenant scope's section, measured with its own date and commit. */
async function measureScoping(): Promise<NonNullable<Report['scoping']>> {
  const { scoping } = await phase('tenant scope', () => measureSystem('scoping'))
  const { date, commit } = await collectMachine(root)
  return { ...scoping!, date, commit }
}

if (process.argv.includes('--scoping')) {
  // The tenant scope's section alone, into the last full run's results.
  const report = JSON.parse(readFileSync(resultsFile, 'utf8')) as Report
  report.scoping = await measureScoping()
  if (!settings.smoke) {
    writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`)
    writeDocs(report)
  }
  process.exit(0)
}

const systems: SystemResult[] = []
console.error(
  `orgkit bench: ${settings.smoke ? 'smoke' : 'full'}, ${settings.runs} run(s)${settings.large ? ', large' : ''}`,
)
systems.push(await phase('orgkit on SQLite', () => measureSystem('orgkit-sqlite')))
systems.push(await phase('Better Auth', () => measureSystem('better-auth')))
if (process.env.ORGKIT_BENCH_PG_URL !== 'off') {
  systems.push(await phase('orgkit on PostgreSQL', () => measureSystem('orgkit-postgres')))
}
const inMemory = await phase('in-memory checks', () => measureSystem('in-memory'))
const postgresNetwork = await measurePostgresNetwork()
const scoping = await measureScoping()
const http: HttpResult[] = []
for (const framework of ['express', 'fastify'])
  http.push(await phase(`HTTP, ${framework}`, () => measureHttp(framework)))

const seconds = (performance.now() - started) / 1000
console.error(`done in ${seconds.toFixed(0)} s`)
if (settings.smoke) {
  console.error('smoke mode: nothing written')
} else {
  const machine = await collectMachine(root)
  // The invitation-emails figures and the write profile are measured apart (`--only=…`): kept.
  const previous = (() => {
    try {
      return JSON.parse(readFileSync(resultsFile, 'utf8')) as Report
    } catch {
      return undefined
    }
  })()
  const report: Report = {
    settings,
    systems,
    inMemory,
    http,
    scoping,
    machine,
    seconds,
    invitationEmails: previous?.invitationEmails,
    writeProfile: previous?.writeProfile,
    postgresNetwork,
  }
  mkdirSync(dirname(resultsFile), { recursive: true })
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`)
  writeDocs(report)
}
