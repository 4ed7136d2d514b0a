/**
 * Turns one run's results into docs/benchmarks.md and its chart. Everything in the page,
 * the sentences about who is ahead included, is generated from the numbers of that run.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cpus, platform, release, totalmem } from 'node:os'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import pg from 'pg'
import type { HttpResult } from './http'
import type { InvitationEmailsResult } from './invitation-emails'
import type { BenchSettings, Spread, SystemResult, WorkloadResult } from './measure'
import type { NetworkPath as NetworkPathName, PostgresNetworkResult } from './postgres-network'
import type { ScopingResult } from './scoping'
import { PROFILE_PARTS, type ProfilePart, type WriteProfileResult } from './write-profile'

export interface Machine {
  cores: number
  cpu: string
  memoryGiB: number
  node: string
  os: string
  sqlite: string
  postgres: string
  versions: Record<string, string>
  date: string
  /** The orgkit commit measured. */
  commit: string
}

export interface Report {
  settings: BenchSettings
  systems: SystemResult[]
  inMemory: SystemResult
  http: HttpResult[]
  /** The tenant scope plugin's cost; `npm run bench -- --scoping` measures it alone, with its own date and commit. */
  scoping?: (ScopingResult & { date: string; commit: string }) | undefined
  machine: Machine
  seconds: number
  /** Measured apart, by `--only=invitation-emails`, at the commit it names. */
  invitationEmails?: { results: InvitationEmailsResult[]; commit: string; runs: number } | undefined
  /** orgkit and Better Auth on PostgreSQL, directly and through the delaying proxy; absent when not reached. */
  postgresNetwork?: { results: PostgresNetworkResult[]; commit: string; delayMs: number; poolSize: number } | undefined
  /** Where orgkit's SQLite writes spend their time, profiled apart by `--only=write-profile`, at the commit it names. */
  writeProfile?: (WriteProfileResult & { commit: string; date: string }) | undefined
}

const ORGKIT_DEPENDENCIES = ['kysely', 'zod', 'nanoid', 'better-sqlite3', 'pg', 'express', 'fastify']
const ALTERNATIVES = ['better-auth', '@casl/ability', 'casbin', 'autocannon']

/** The version a package resolves to: orgkit's own dependencies as `@orgkit/core` sees them (it may have a copy of its own). */
function versionOf(root: string, name: string): string {
  const bases = [
    join(root, 'packages', 'core', 'node_modules', name),
    join(root, 'node_modules', name),
    join(root, 'bench', 'node_modules', name),
  ]
  for (const base of bases) {
    const file = join(base, 'package.json')
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  }
  return 'not installed'
}

export async function collectMachine(root: string): Promise<Machine> {
  const versions: Record<string, string> = {}
  for (const name of ['core', 'kysely', 'express', 'fastify']) {
    versions[`@orgkit/${name}`] = versionOf(root, `@orgkit/${name}`)
  }
  for (const name of [...ORGKIT_DEPENDENCIES, ...ALTERNATIVES]) versions[name] = versionOf(root, name)
  const memory = new SqliteDatabase(':memory:')
  const sqlite = (memory.prepare('select sqlite_version() as v').get() as { v: string }).v
  memory.close()
  let postgres = 'not reached'
  if (process.env.ORGKIT_BENCH_PG_URL !== 'off') {
    const client = new pg.Client({
      connectionString: process.env.ORGKIT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    })
    try {
      await client.connect()
      postgres = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version
    } catch {
      // Reported as not reached.
    } finally {
      await client.end().catch(() => {})
    }
  }
  let commit = process.env.BENCH_COMMIT ?? 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim()
  } catch {
    // Not a git checkout: BENCH_COMMIT, if given, says what was measured.
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    os: `${platform()} ${release()}`,
    sqlite,
    postgres,
    versions,
    date: new Date().toISOString().slice(0, 10),
    commit,
  }
}

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2))
const msSpread = (s: Spread) => `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`
const num = (value: number) => Math.round(value).toLocaleString('en-US')
const statements = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1))

/** Ratios this close to 1 are within the machine's noise: neither side is ahead. */
const EVEN = { low: 0.9, high: 1.1 }

/** `×12` when orgkit is faster, `×0.5, orgkit behind` when it is not. `ratio` = other ÷ orgkit. */
function ratioText(ratio: number): string {
  const digits = ratio >= 10 ? 0 : ratio >= 1 ? 1 : 2
  if (ratio >= EVEN.low && ratio < EVEN.high) return `×${ratio.toFixed(2)}, even`
  return ratio >= 1 ? `**×${ratio.toFixed(digits)}**` : `×${ratio.toFixed(digits)}, orgkit behind`
}

interface Pair {
  id: string
  label: string
  orgkit: WorkloadResult
  other: WorkloadResult
  /** Other's time ÷ orgkit's: above 1, orgkit is faster. */
  ratio: number
}

function pairs(report: Report): Pair[] {
  const orgkit = report.systems.find((s) => s.system === 'orgkit (SQLite)')
  const other = report.systems.find((s) => s.system === 'Better Auth (SQLite)')
  if (!orgkit || !other) return []
  return orgkit.workloads.flatMap((w) => {
    const o = other.workloads.find((x) => x.id === w.id)
    return o ? [{ id: w.id, label: w.label, orgkit: w, other: o, ratio: o.msPerOp.median / w.msPerOp.median }] : []
  })
}

export function renderSvg(report: Report): string {
  const rows = pairs(report)
  const width = 820
  const rowHeight = 30
  const top = 58
  const left = 380
  const plot = width - left - 70
  const height = top + rows.length * rowHeight + 40
  // Whole powers of ten on either side of ×1, and only as far left as some row needs.
  const logs = rows.length > 0 ? rows.map((r) => Math.log10(r.ratio)) : [0]
  const lo = Math.min(0, Math.floor(Math.min(...logs)))
  const hi = Math.max(1, Math.ceil(Math.max(...logs)))
  const scale = plot / (hi - lo)
  const zero = left + -lo * scale
  const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`,
    // The chart's alternative text, for readers who cannot see it.
    `<title>orgkit vs Better Auth: Better Auth's time ÷ orgkit's per workload, file SQLite, same run (${report.machine.date})</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="15" font-weight="600">orgkit vs Better Auth, file SQLite, same run (${report.machine.date})</text>`,
    `<text x="16" y="44" fill="#555">Better Auth's time ÷ orgkit's, log scale: right of ×1 orgkit is faster, left of it orgkit is behind</text>`,
  ]
  const bottom = top + rows.length * rowHeight
  for (let power = lo; power <= hi; power++) {
    const x = zero + power * scale
    const label = power < 0 ? `×${(10 ** power).toFixed(-power)}` : `×${10 ** power}`
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${bottom}" stroke="${power === 0 ? '#333' : '#ddd'}"/>`,
    )
    parts.push(`<text x="${x.toFixed(1)}" y="${bottom + 18}" fill="#333" text-anchor="middle">${label}</text>`)
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight
    const length = Math.log10(row.ratio) * scale
    const x = length >= 0 ? zero : zero + length
    const color = length >= 0 ? '#2f7d4f' : '#c0562b'
    parts.push(`<text x="16" y="${y + 19}">${escapeXml(`${row.id} ${row.label}`)}</text>`)
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y + 6}" width="${Math.max(1, Math.abs(length)).toFixed(1)}" height="18" fill="${color}"/>`,
    )
    const labelX = length >= 0 ? zero + length + 6 : zero + 6
    parts.push(
      `<text x="${labelX.toFixed(1)}" y="${y + 19}" fill="#222">×${row.ratio.toFixed(row.ratio >= 10 ? 0 : row.ratio >= 1 ? 1 : 2)}</text>`,
    )
  })
  parts.push(`<line x1="${zero.toFixed(1)}" y1="${top}" x2="${zero.toFixed(1)}" y2="${bottom}" stroke="#333"/>`)
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}

export function renderMarkdown(report: Report): string {
  const { machine, settings } = report
  const rows = pairs(report)
  const orgkitPg = report.systems.find((s) => s.system === 'orgkit (PostgreSQL)')
  const lines: string[] = []
  const add = (...text: string[]) => lines.push(...text)

  add(
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (\`bench/src/run.ts\`) on ${machine.date}, measuring orgkit at commit ${machine.commit};`,
    'rerun it rather than editing this page (the raw numbers are in `bench/results/latest.json`).',
    `Machine: ${machine.cores} shared cores (${machine.cpu}), ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node},`,
    `SQLite ${machine.sqlite} (better-sqlite3, a file with WAL and synchronous=NORMAL), PostgreSQL ${machine.postgres}`,
    `on the same machine over TCP. The whole run took ${Math.round(report.seconds / 60)} minutes.`,
    '',
    `**Read the ratios, not the absolute numbers.** The machine is shared and noisy; every figure is the median`,
    `of ${settings.runs} runs with the min–max beside it, and systems are compared only within this one run.`,
    '',
    '![orgkit vs Better Auth: time ratio per workload](images/benchmarks.svg)',
    '',
    '## orgkit and Better Auth, side by side',
    '',
    'Both on a file SQLite database of their own, called in-process and sequentially: orgkit through',
    '`orgkit.as(user)…`, Better Auth through `auth.api.*` with its organization plugin. Milliseconds per',
    'operation, median (min–max); "orgkit faster by" is Better Auth\'s median time ÷ orgkit\'s.',
    '',
    '| workload | orgkit ms/op | Better Auth ms/op | orgkit faster by | SQL statements per op, orgkit / Better Auth |',
    '| --- | --- | --- | --- | --- |',
  )
  for (const row of rows) {
    const note = [row.orgkit.note && `orgkit: ${row.orgkit.note}`, row.other.note && `Better Auth: ${row.other.note}`]
      .filter(Boolean)
      .join('; ')
    add(
      `| ${row.id} ${row.label}${note ? ` (${note})` : ''} | ${msSpread(row.orgkit.msPerOp)} | ${msSpread(row.other.msPerOp)} | ${ratioText(row.ratio)} | ${statements(row.orgkit.statementsPerOp)} / ${statements(row.other.statementsPerOp)} |`,
    )
  }
  const ba = report.systems.find((s) => s.system === 'Better Auth (SQLite)')
  const session = ba?.workloads.find((w) => w.id === 'S')
  if (session) {
    add(
      '',
      `Better Auth's session lookup alone (\`auth.api.getSession\`, which every call above except W1 and W2 makes first)`,
      `costs ${msSpread(session.msPerOp)} ms and ${statements(session.statementsPerOp)} statement(s); orgkit leaves login to the host, so`,
      'its rows include no such lookup. A host pays one on its side too, so the fair comparison lies between',
      'the ratio above and the ratio with that lookup subtracted from Better Auth.',
    )
  }
  const floor = report.systems.find((s) => s.system === 'orgkit (SQLite)')?.workloads.find((w) => w.id === 'F')
  if (floor) {
    const writes = rows.filter((r) => ['W1', 'W2', 'W4', 'W6'].includes(r.id))
    add(
      '',
      `For scale, on the same kind of file: ${floor.label} costs ${msSpread(floor.msPerOp)} ms. orgkit's writes are`,
      `one transaction each (W4: two), so a write cannot cost less than that; in this run ${writes
        .map((r) => `${r.id} is ×${(r.orgkit.msPerOp.median / floor.msPerOp.median).toFixed(1)} of it`)
        .join(', ')}.`,
    )
  }
  const behind = rows.filter((r) => r.ratio < EVEN.low)
  const even = rows.filter((r) => r.ratio >= EVEN.low && r.ratio < EVEN.high)
  const below10 = rows.filter((r) => r.ratio >= EVEN.high && r.ratio < 10)
  add('', '**In this run:**', '')
  if (rows.length > 0) {
    const best = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a))
    add(`- orgkit's largest lead: ${best.id} (${best.label}), ×${best.ratio.toFixed(1)}.`)
  }
  add(
    behind.length === 0
      ? '- orgkit is behind Better Auth on no workload.'
      : `- orgkit is **behind** Better Auth on ${behind.map((r) => `${r.id} (${r.label}, ×${r.ratio.toFixed(2)})`).join(', ')}.`,
  )
  if (even.length > 0) {
    add(`- Even, within ±10 %: ${even.map((r) => `${r.id} (×${r.ratio.toFixed(2)})`).join(', ')}.`)
  }
  for (const r of rows.filter((row) => row.other.note)) {
    add(`- ${r.id}: Better Auth ${r.other.note}: it did less work than orgkit there, so the ratio flatters it.`)
  }
  if (below10.length > 0) {
    add(
      `- Ahead, but by less than the ×10 the storage work aims at: ${below10.map((r) => `${r.id} ×${r.ratio.toFixed(1)}`).join(', ')}.`,
    )
  }
  const moreStatements = rows.filter((r) => r.orgkit.statementsPerOp > r.other.statementsPerOp)
  if (moreStatements.length > 0) {
    add(
      `- orgkit sends more SQL statements than Better Auth on ${moreStatements.map((r) => `${r.id} (${statements(r.orgkit.statementsPerOp)} vs ${statements(r.other.statementsPerOp)})`).join(', ')}: largely its transactions (BEGIN and COMMIT count as statements), the audit event and the kept counts, written in the same transaction.`,
    )
  }
  renderStatementsAlone(rows, add)
  renderWriteProfile(report, add)

  if (orgkitPg) {
    add(
      '',
      '## orgkit on PostgreSQL',
      '',
      'The same workloads, orgkit alone, on PostgreSQL in a scratch schema (dropped afterwards); statements counted',
      "with Kysely's `log` callback (transaction control included).",
      '',
      '| workload | ms/op | SQL statements per op |',
      '| --- | --- | --- |',
    )
    for (const w of orgkitPg.workloads) {
      add(
        `| ${w.id} ${w.label}${w.note ? ` (${w.note})` : ''} | ${msSpread(w.msPerOp)} | ${statements(w.statementsPerOp)} |`,
      )
    }
  }
  if (!settings.large) {
    add(
      '',
      `W3 on an organization of ${num(settings.sizes.largeMembers)} members is opt-in (\`BENCH_LARGE=1\`) and was not part of this run.`,
    )
  } else {
    renderFlatness(report, add)
  }
  renderInvitationEmails(report, add)
  renderPostgresNetwork(report, add)
  renderPostgresFloor(report, add)
  renderPreparedStatements(report, add)

  add('', '## Peak memory', '', 'Peak RSS of each process, which holds one system and its database driver only.', '')
  add('| process | peak RSS |', '| --- | --- |')
  for (const s of [...report.systems, report.inMemory]) add(`| ${s.system} | ${num(s.peakRssMiB)} MiB |`)

  const memory = report.inMemory.inMemory ?? []
  const reference = memory[0]
  if (reference) {
    add(
      '',
      '## The permission check in memory',
      '',
      "Once the membership is known: orgkit's compiled role (`role.has`, a bit lookup), a plain `Map` of",
      'permission sets, a CASL `Ability` cached per user and organization, and casbin `enforceSync` with RBAC',
      "with domains (the roles' policies shared, one user-role-organization assignment per membership). All four",
      'answer the same 4,096 probes over the same memberships (checked before timing); nanoseconds per check,',
      'and heap per membership kept, measured on 50,000 memberships after a full GC.',
      '',
      '| check | ns per check | time vs orgkit | bytes per cached membership |',
      '| --- | --- | --- | --- |',
    )
    for (const m of memory) {
      const relative = m.nsPerCheck.median / reference.nsPerCheck.median
      add(
        `| ${m.system} | ${m.nsPerCheck.median.toFixed(0)} (${m.nsPerCheck.min.toFixed(0)}–${m.nsPerCheck.max.toFixed(0)}) | ${m === reference ? '—' : `×${relative.toFixed(relative >= 10 ? 0 : 1)}`} | ${num(m.bytesPerMembership)} |`,
      )
    }
    add(
      '',
      'Both orgkit and the `Map` share one structure per role, so a membership costs a map entry and its key;',
      "CASL builds an `Ability` per user and organization. The time column is the other check's time ÷ orgkit's:",
      'below 1, the other is faster.',
    )
  }

  if (report.http.length > 0) {
    add(
      '',
      '## HTTP',
      '',
      '`GET /api/organizations/{org}/members?limit=50` (10,001 members, users joined) served by each adapter, against a',
      'hand-written route in the same server doing the same work with Kysely: the `x-user-id` header check, the',
      `membership read and the page query. autocannon, 10 connections, ${settings.smoke ? 1 : 5} s per round, rounds alternating`,
      'between the two routes; requests per second, median (min–max). Server and load generator share the two cores.',
      '',
      '| framework | orgkit req/s | hand-written req/s | orgkit ÷ hand-written | SQL statements per request, orgkit / hand-written |',
      '| --- | --- | --- | --- | --- |',
    )
    for (const h of report.http) {
      add(
        `| ${h.framework} | ${num(h.orgkitRps.median)} (${num(h.orgkitRps.min)}–${num(h.orgkitRps.max)}) | ${num(h.handWrittenRps.median)} (${num(h.handWrittenRps.min)}–${num(h.handWrittenRps.max)}) | ${(h.orgkitRps.median / h.handWrittenRps.median).toFixed(2)}${h.non2xx > 0 ? ` (${h.non2xx} non-2xx answers)` : ''} | ${statements(h.orgkitStatements)} / ${statements(h.handWrittenStatements)} |`,
      )
    }
  }

  if (report.scoping !== undefined) renderScoping(report.scoping, add)

  add(
    '',
    '## What runs',
    '',
    `- **W1** ${num(settings.sizes.organizations)} organizations per run, each created by a different user. **W2** a new`,
    `  organization per run, ${num(settings.sizes.members)} members added one call at a time. **W3** pages of 50 members`,
    `  with their users: the first page and one ${num(settings.sizes.deepOffset)} members deep (orgkit: a keyset cursor reached`,
    '  by paging there once, untimed; Better Auth: `offset`). **W4** an invitation created by the owner and accepted by',
    `  the invitee, ${num(settings.sizes.invitations)} pairs per run. **W5** \`orgkit.as(member).can(org, 'members.read')\`, which`,
    "  reads the membership. **W6** the owner changes a member's role (to admin, then back on the next run).",
    `  **W7** a user who is a member of ${settings.sizes.userOrganizations} organizations lists them all (orgkit: pages of 100).`,
    "- Users are inserted straight into each system's user table, in bulk, before timing: sign-up is the host's",
    '  business, not what is measured. The large organization is seeded the same way (`INSERT … SELECT`).',
    "  The host's users table stores emails lower-cased with a unique index on the column, and orgkit is told so",
    '  (`emailNormalized: true`, as docs/storage.md asks of such a host), so its lookups by email use that index.',
    '- After W2 and before W7 each database runs `ANALYZE`, untimed, as autovacuum or a periodic ANALYZE would',
    '  on a live database: freshly filled tables have no planner statistics.',
    "- Both systems get the same SQLite database through orgkit's `cachedStatements` (each distinct SQL text",
    "  prepared once, as orgkit's quickstart runs it; Kysely's driver alone prepares every query anew), so neither",
    '  pays for preparing and the ratios measure the libraries. SQL statements are counted as better-sqlite3 runs',
    '  them (BEGIN and COMMIT included), the same way for both, so the counts compare.',
    '- **Better Auth** (organization plugin, defaults except `membershipLimit` and `invitationLimit`, raised so that',
    '  W2 and W4 fit, and `advanced.database.defaultFindManyLimit`, raised from 100 to 1,000: by default its adapter',
    "  silently caps list reads that give no limit at 100 rows, and W7's `listOrganizations` returned 100 of the",
    "  user's 200 organizations): `createOrganization` and `addMember` take `userId` in the body on the server, without a",
    '  session. The other endpoints need one: each user has a session row and sends the signed session cookie',
    '  Better Auth would have set, so every such call also resolves the session. Its default roles have no',
    '  "read members" permission, so W5 checks `{ ac: ["read"] }`, the one permission its `member` role holds, with',
    "  `auth.api.hasPermission`. Its invitation is accepted by id (the id is its secret), orgkit's by token.",
    "- Each system runs in a process of its own, one after the other; the machine's noise between them is part of",
    '  why only ratios are reported.',
    '',
    '## Versions',
    '',
    Object.entries(machine.versions)
      .map(([name, version]) => `\`${name}\` ${version}`)
      .join(', '),
    '',
    '## Rerun',
    '',
    '```sh',
    'npm run bench                                   # writes this page and docs/images/benchmarks.svg',
    'npm run bench -- --smoke                        # every workload tiny, in seconds; writes nothing',
    'npm run bench -- --render                       # this page again from bench/results/latest.json, no measuring',
    'npm run bench -- --only=postgres-network        # orgkit and Better Auth on PostgreSQL, direct and delayed, alone',
    'npm run bench -- --scoping                      # the tenant scope section alone, into latest.json and this page',
    'BENCH_LARGE=1 npm run bench                     # adds W3 on 1,000,000 members (minutes of seeding)',
    'BENCH_RUNS=3 npm run bench                      # fewer runs per workload (default 5)',
    'ORGKIT_BENCH_PG_URL=off npm run bench           # without PostgreSQL',
    'ORGKIT_BENCH_PG_URL=postgres://… npm run bench  # another server (default postgres://postgres@127.0.0.1:5432/test)',
    '```',
    '',
  )
  return lines.join('\n')
}

/** The tenant scope plugin against the same queries written by hand. */
function renderScoping(scoping: NonNullable<Report['scoping']>, add: (...text: string[]) => void): void {
  const us = (s: Spread) => `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`
  add(
    '',
    '## The tenant scope plugin',
    '',
    `Measured on ${scoping.date} at commit ${scoping.commit} (\`npm run bench -- --scoping\`). The same host queries through`,
    "`scopeToOrganization(db, org, { tables: ['projects', 'tasks'] })` and written by hand with the organization",
    `condition, over ${num(scoping.organizations)} organizations of ${num(scoping.projectsPerOrganization)} projects and ${num(scoping.tasksPerOrganization)} tasks each,`,
    'indexed on the organization first; both sides return the same rows (checked before timing), and alternate run by',
    'run. Microseconds per query, median (min–max), the query built, compiled and run each time as a host does.',
    "The first rows are building and compiling alone, no database: what the plugin's transform adds.",
    '',
    '| database | query | hand-written µs | scoped µs | scoped ÷ hand-written |',
    '| --- | --- | --- | --- | --- |',
  )
  for (const row of scoping.rows) {
    add(
      `| ${row.database} | ${row.query} | ${us(row.handWrittenUs)} | ${us(row.scopedUs)} | ${(row.scopedUs.median / row.handWrittenUs.median).toFixed(2)} |`,
    )
  }
}

/** Percent, whole. */
const share = (part: number, whole: number) => `${Math.round((100 * part) / whole)} %`

/**
 * What each system's own statements cost by themselves, and so the most orgkit could gain
 * while sending the statements it sends. Skipped for results measured before it existed.
 */
function renderStatementsAlone(rows: readonly Pair[], add: (...text: string[]) => void): void {
  const alone = rows.flatMap((row) => {
    const orgkit = row.orgkit.statementsAloneMs
    const other = row.other.statementsAloneMs
    return orgkit && other ? [{ ...row, orgkitAlone: orgkit, otherAlone: other }] : []
  })
  if (alone.length === 0) return
  const ceiling = (row: (typeof alone)[number]) => row.other.msPerOp.median / row.orgkitAlone.median
  const times = (ratio: number) => `×${ratio.toFixed(ratio >= 10 ? 0 : 1)}`
  add(
    '',
    '## The statements alone',
    '',
    `Each run of ${alone.map((r) => r.id).join(', ')} above was also recorded: every statement the system executed, with its`,
    'arguments and the method it was run with, BEGIN and COMMIT included as they were executed. After the run, untimed,',
    'the same statements were run again in the same order straight through better-sqlite3, with nothing of the system',
    '(no ORM, no library code), on a copy of the database file taken just before the run (after a WAL checkpoint, in the',
    'measured database too, so that both start from an empty WAL), each distinct SQL text prepared once beforehand; the',
    'copy then had to hold the same rows as the original. Milliseconds per operation, median (min–max); "SQL\'s share" is',
    'the statements alone ÷ the whole, medians.',
    '',
    "| workload | orgkit ms/op | orgkit's statements alone | SQL's share, orgkit | Better Auth ms/op | Better Auth's statements alone | SQL's share, Better Auth | most orgkit could gain without storing less |",
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  )
  for (const row of alone) {
    add(
      `| ${row.id} ${row.label} | ${msSpread(row.orgkit.msPerOp)} | ${msSpread(row.orgkitAlone)} | ${share(row.orgkitAlone.median, row.orgkit.msPerOp.median)} | ${msSpread(row.other.msPerOp)} | ${msSpread(row.otherAlone)} | ${share(row.otherAlone.median, row.other.msPerOp.median)} | ${times(ceiling(row))} |`,
    )
  }
  const short = alone.filter((row) => ceiling(row) < 10)
  add(
    '',
    "The last column is Better Auth's time ÷ the time orgkit's own statements take by themselves: a ceiling on orgkit's",
    'lead for any change that keeps those statements, reached only if everything else orgkit does cost nothing. Beyond it,',
    'only fewer or cheaper statements help. It is an estimate, not a strict bound: run back to back, a statement finds the',
    "engine's caches in another state than between a system's own work, and can cost somewhat more or less.",
    short.length === 0
      ? 'In this run the ceiling is ×10 or more on every one of these workloads.'
      : `In this run it is below ×10 on ${short.map((row) => `${row.id} (${times(ceiling(row))})`).join(', ')}: there no speed-up of orgkit's code alone reaches ×10.`,
  )
  renderOutsideSql(alone, add)
}

/** orgkit's writes on SQLite: the share of each outside SQL should stay under this. */
const OUTSIDE_SQL_TARGET = 0.25
const SQLITE_WRITES = new Set(['W1', 'W2', 'W4', 'W6'])

/**
 * orgkit's writes, the share of each operation spent outside its statements: in wall time (the
 * table above) and in this process's CPU time, which leaves out the time other processes had
 * the cores. Skipped for results measured before CPU time was.
 */
function renderOutsideSql(
  rows: readonly { id: string; label: string; orgkit: WorkloadResult }[],
  add: (...text: string[]) => void,
): void {
  const writes = rows.filter((row) => SQLITE_WRITES.has(row.id) && row.orgkit.cpu !== undefined)
  if (writes.length === 0) return
  const outside = (alone: number, whole: number) => 1 - alone / whole
  add(
    '',
    "### orgkit's writes outside SQL",
    '',
    "The same runs: the share of each orgkit write spent outside its statements (1 − SQL's share), which the aim puts",
    `under ${Math.round(OUTSIDE_SQL_TARGET * 100)} %. Beside the wall-clock share, the same in CPU time of the process (user and system, the`,
    'run and its replay each): on a shared machine wall time also holds the time other processes had the cores, CPU time',
    "does not, though it counts the engine's helper threads (the garbage collector's) too.",
    '',
    '| workload | outside SQL, wall time | outside SQL, CPU time | orgkit CPU ms/op | statements alone, CPU ms/op |',
    '| --- | --- | --- | --- | --- |',
  )
  const over: string[] = []
  for (const row of writes) {
    const cpu = row.orgkit.cpu!
    const wall = outside(row.orgkit.statementsAloneMs!.median, row.orgkit.msPerOp.median)
    const byCpu = outside(cpu.statementsAloneMs.median, cpu.msPerOp.median)
    if (wall >= OUTSIDE_SQL_TARGET) over.push(`${row.id} ${Math.round(wall * 100)} %`)
    add(
      `| ${row.id} ${row.label} | ${Math.round(wall * 100)} % | ${Math.round(byCpu * 100)} % | ${msSpread(cpu.msPerOp)} | ${msSpread(cpu.statementsAloneMs)} |`,
    )
  }
  add(
    '',
    over.length === 0
      ? `**In this run** every write spends under ${Math.round(OUTSIDE_SQL_TARGET * 100)} % of its time outside SQL.`
      : `**In this run** at or over ${Math.round(OUTSIDE_SQL_TARGET * 100)} % outside SQL (wall time): ${over.join(', ')}; where that time goes is in [what holds the rest](#what-holds-the-rest).`,
  )
}

/** The same work at two sizes: what should stay within ×1.5 as the organization and the users table grow. */
const FLATNESS = [
  ['W3a', 'W3c', 'first page of 50 members'],
  ['W3b', 'W3e', 'a page of 50 halfway into the members'],
  ['G', 'GL', '`organizations.get` as a member'],
  ['W5', 'W5L', '`can()` through the API'],
  ['W4', 'W4L', 'invitation create + accept (the users table grown by the large organization)'],
] as const
const FLAT_TARGET = 1.5

function renderFlatness(report: Report, add: (...text: string[]) => void): void {
  const { sizes } = report.settings
  const systems = report.systems.filter((s) => s.system.startsWith('orgkit'))
  add(
    '',
    '## Flat with size',
    '',
    `orgkit alone, each row the same work on the organization of ${num(sizes.members + 1)} members and on the one of`,
    `${num(sizes.largeMembers + 1)} (whose seeding also added ${num(sizes.largeMembers)} users to the host's table); the large`,
    `organization's figures are the later ones, so the ratio is large ÷ small. The aim: within ×${FLAT_TARGET}.`,
    '',
    '| database | work | small, ms/op | large, ms/op | large ÷ small |',
    '| --- | --- | --- | --- | --- |',
  )
  const over: string[] = []
  for (const system of systems) {
    const database = system.system.replace(/^orgkit \((.*)\)$/, '$1')
    for (const [smallId, largeId, label] of FLATNESS) {
      const small = system.workloads.find((w) => w.id === smallId)
      const large = system.workloads.find((w) => w.id === largeId)
      if (!small || !large) continue
      const ratio = large.msPerOp.median / small.msPerOp.median
      if (ratio > FLAT_TARGET) over.push(`${database}: ${label} ×${ratio.toFixed(2)}`)
      add(
        `| ${database} | ${label} | ${msSpread(small.msPerOp)} | ${msSpread(large.msPerOp)} | ${ratio > FLAT_TARGET ? `**×${ratio.toFixed(2)}**` : `×${ratio.toFixed(2)}`} |`,
      )
    }
  }
  add(
    '',
    over.length === 0
      ? `**In this run** every row is within ×${FLAT_TARGET}.`
      : `**In this run** over ×${FLAT_TARGET}: ${over.join('; ')}.`,
  )
}

/**
 * Invitations against the users table as apps have it (`--only=invitation-emails`): the
 * same work with 10,000 host users and with the large size, as the app has the table and
 * after the statement orgkit's start-up warning gives.
 */
function renderInvitationEmails(report: Report, add: (...text: string[]) => void): void {
  const measured = report.invitationEmails
  if (measured === undefined) return
  add(
    '',
    '## Invitations on the users table as apps have it',
    '',
    'Measured apart (`npm run bench -- --only=invitation-emails`, BENCH_LARGE sizes, at commit',
    `${measured.commit}, ${measured.runs} runs): the host's \`users\` table has emails stored as typed`,
    '(`User42.Name@Example.com`), a plain unique index on `email`, and orgkit is told nothing about either. The',
    "owner invites the lower-cased address, the user accepts. orgkit reads the table's catalog once at start-up: on",
    "MariaDB the column's case-insensitive collation (the server's default) makes `email = ?` case-insensitive and",
    'served by the plain index; PostgreSQL and SQLite have no such form for a case-sensitive column, so orgkit warns',
    'once with the statement that fixes it, which the workload then applies, taken from the warning itself.',
    '',
    '| database | users table | small, ms/op | large, ms/op | large ÷ small |',
    '| --- | --- | --- | --- | --- |',
  )
  const over: string[] = []
  const row = (
    result: InvitationEmailsResult,
    state: string,
    pair: { small: WorkloadResult; large: WorkloadResult },
  ) => {
    const ratio = pair.large.msPerOp.median / pair.small.msPerOp.median
    if (ratio > FLAT_TARGET) over.push(`${result.database}, ${state}: ×${ratio.toFixed(2)}`)
    add(
      `| ${result.database} | ${state} | ${msSpread(pair.small.msPerOp)} (${num(result.smallUsers)} users) | ${msSpread(pair.large.msPerOp)} (${num(result.largeUsers)} users) | ${ratio > FLAT_TARGET ? `**×${ratio.toFixed(2)}**` : `×${ratio.toFixed(2)}`} |`,
    )
  }
  for (const result of measured.results) {
    row(
      result,
      result.fix === null ? 'as the app has it (nothing to fix: no warning)' : 'as the app has it',
      result.asIs,
    )
    if (result.fixed && result.fix) row(result, `after the warning's \`${result.fix}\``, result.fixed)
  }
  add(
    '',
    over.length === 0
      ? `**In this run** every row is within ×${FLAT_TARGET}.`
      : `**In this run** over ×${FLAT_TARGET}: ${over.join('; ')} — each of these is a table orgkit warned about at start-up.`,
  )
}

/** The workloads that write, and their targets against Better Auth on PostgreSQL (the rest read). */
const NETWORK_WRITES = new Set(['W1', 'W2', 'W4', 'W6'])
const NETWORK_TARGETS = { direct: { write: 3, read: 5 }, proxy: { write: 2, read: 4 } }

/**
 * orgkit and Better Auth on the same PostgreSQL server, directly and through the delaying
 * proxy: ratios, round trips per operation, and the share of each operation the added
 * delay explains (its round trips × the delay each trip measured).
 */
function renderPostgresNetwork(report: Report, add: (...text: string[]) => void): void {
  const measured = report.postgresNetwork
  if (measured === undefined) return
  const find = (system: string, path: string) => measured.results.find((r) => r.system === system && r.path === path)
  const orgkit = { direct: find('orgkit', 'direct'), proxy: find('orgkit', 'proxy') }
  const other = { direct: find('Better Auth', 'direct'), proxy: find('Better Auth', 'proxy') }
  if (!orgkit.direct || !orgkit.proxy || !other.direct || !other.proxy) return
  const trip = (path: 'direct' | 'proxy') => (orgkit[path]!.roundTripMs.median + other[path]!.roundTripMs.median) / 2
  const added = trip('proxy') - trip('direct')
  add(
    '',
    '## orgkit and Better Auth on PostgreSQL, over a network',
    '',
    `Measured with every run, or alone by \`npm run bench -- --only=postgres-network\`; this at commit ${measured.commit}:`,
    `both systems on the same PostgreSQL server, each through a pg pool of ${measured.poolSize} connections whose`,
    '`search_path` names a scratch schema of its own, each in a process of its own, W1–W7 at a tenth or less of the',
    "sizes above, at most 3 runs (the labels give the sizes). orgkit's pool goes through `preparedStatements`, its",
    "statements named (the same runs without it are at the end of the next section); Better Auth's pool is as it ships.",
    `First directly (TCP on loopback), then through a proxy in the bench that forwards each chunk ${measured.delayMs} ms`,
    'after it arrived, each way, in order. On a busy machine a wait comes out longer than asked, so the delay a round',
    'trip really gains is measured: one `select 1` at a time on a pooled connection took',
    `${ms(trip('direct'))} ms directly and ${ms(trip('proxy'))} ms through the proxy, **${ms(added)} ms added per round trip** —`,
    'the distance of a database in another zone rather than the same one. Round trips are counted in the driver',
    '(every query a pooled client sends, BEGIN and COMMIT included), as `packages/kysely/test/round-trip-budgets.test.ts`',
    'counts them. "Delay\'s share" is round trips × the added time ÷ the time per operation through the proxy;',
    '"orgkit proxied ÷ its trips" is its time over round trips × the proxied `select 1` (the floor without the',
    "statements' own work on the server): how far above its round trips orgkit's own code and its SQL keep it.",
    'The machine is shared and busy: read the ratios.',
    '',
    "| workload | orgkit direct, ms/op | Better Auth direct | orgkit faster by | orgkit proxied | Better Auth proxied | orgkit faster by | round trips, orgkit / Better Auth | delay's share, orgkit / Better Auth | orgkit proxied ÷ its trips |",
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  )
  const missed: string[] = []
  const moreTrips: string[] = []
  for (const w of orgkit.direct.workloads) {
    const bd = other.direct.workloads.find((x) => x.id === w.id)
    const op = orgkit.proxy.workloads.find((x) => x.id === w.id)
    const bp = other.proxy.workloads.find((x) => x.id === w.id)
    if (!bd || !op || !bp) continue
    const direct = bd.msPerOp.median / w.msPerOp.median
    const proxied = bp.msPerOp.median / op.msPerOp.median
    const kind = NETWORK_WRITES.has(w.id) ? 'write' : 'read'
    for (const [path, ratio] of [
      ['direct', direct],
      ['proxy', proxied],
    ] as const) {
      const target = NETWORK_TARGETS[path][kind]
      if (ratio < target)
        missed.push(
          `${w.id} ${path === 'proxy' ? 'through the delay' : 'directly'} ×${ratio.toFixed(1)} (target ×${target})`,
        )
    }
    if (op.statementsPerOp > bp.statementsPerOp) {
      moreTrips.push(`${w.id} ${statements(op.statementsPerOp)} against ${statements(bp.statementsPerOp)}`)
    }
    const shareOf = (r: WorkloadResult) => share(r.statementsPerOp * added, r.msPerOp.median)
    add(
      `| ${w.id} ${w.label} | ${msSpread(w.msPerOp)} | ${msSpread(bd.msPerOp)} | ${ratioText(direct)} | ${msSpread(op.msPerOp)} | ${msSpread(bp.msPerOp)} | ${ratioText(proxied)} | ${statements(op.statementsPerOp)} / ${statements(bp.statementsPerOp)} | ${shareOf(op)} / ${shareOf(bp)} | ×${(op.msPerOp.median / (op.statementsPerOp * trip('proxy'))).toFixed(1)} |`,
    )
  }
  add(
    '',
    missed.length === 0
      ? '**In this run** every workload meets its target against Better Auth (writes ×3 directly and ×2 through the delay, reads ×5 and ×4).'
      : `**In this run** short of the targets against Better Auth (writes ×3 directly and ×2 through the delay, reads ×5 and ×4): ${missed.join('; ')}.`,
    '',
    moreTrips.length === 0
      ? 'orgkit sends no more round trips than Better Auth on any workload.'
      : `orgkit sends more round trips than Better Auth on ${moreTrips.join(', ')} (Better Auth keeps no per-user index, kept count or audit trail): through the delay each trip costs the added time, and orgkit's lead on writes shrinks. Which rule costs each trip above four is in [storage](storage.md#one-write-statement-on-postgresql).`,
    '',
    'W1–W7 here are the workloads above at these sizes (W3a/W3b read pages by cursor for orgkit, by offset for',
    "Better Auth; W5 is orgkit's `can` and Better Auth's `hasPermission`, which resolves its session first). Where",
    'orgkit spends its round trips, and which rule costs each one above four for a write, is in',
    '[storage](storage.md#round-trip-budgets-on-postgresql).',
  )
}

/** How far above its floor each operation may be on PostgreSQL. */
const FLOOR_TARGET = 1.3

/**
 * Each operation on PostgreSQL against its floor: its round trips × the measured round trip
 * (`select 1`) plus its statements' time on the server, which is the time the driver waited
 * on the operation's answers less one round trip per query. Both from the same run, on each
 * path: what an operation takes beyond its floor is the client's (orgkit's code, Kysely's
 * and the driver's between the queries).
 */
function renderPostgresFloor(report: Report, add: (...text: string[]) => void): void {
  const measured = report.postgresNetwork
  if (measured === undefined) return
  const find = (system: string, path: NetworkPathName) =>
    measured.results.find((r) => r.system === system && r.path === path)
  /** One operation on one path: its round trips' part of the floor, the server's part, the floor and the ratio. */
  const floorOf = (system: string, path: NetworkPathName, id: string) => {
    const result = find(system, path)
    const w = result?.workloads.find((x) => x.id === id)
    if (result === undefined || w?.waitedMs === undefined) return undefined
    const trips = w.statementsPerOp * result.roundTripMs.median
    const server = w.waitedMs.median - trips
    const floor = trips + Math.max(0, server)
    return { w, trips, server, floor, ratio: w.msPerOp.median / floor }
  }
  const orgkit = { direct: find('orgkit', 'direct'), proxy: find('orgkit', 'proxy') }
  if (!orgkit.direct?.workloads.some((w) => w.waitedMs !== undefined) || !orgkit.proxy) return
  add(
    '',
    '## orgkit on PostgreSQL against its floor',
    '',
    "The runs of the section above, each of orgkit's operations set against its floor: **its round trips × the measured",
    "round trip plus its statements' time on the server**, what the operation would take if everything on the client",
    "(orgkit's code, Kysely's, the driver's work between queries) took no time. The aim: within",
    `×${FLOOR_TARGET} of the floor. The round trip is one \`select 1\` at a time on a connection of the same pool, measured after`,
    `the workloads: ${ms(orgkit.direct.roundTripMs.median)} ms directly, ${ms(orgkit.proxy.roundTripMs.median)} ms through the proxy. The statements' time on the server is`,
    'measured, not estimated from plans: the driver times every query from the call to its answer (BEGIN and COMMIT',
    "included, so the commit's write-ahead log flush is in it), and an operation's waits, less one `select 1` round trip",
    "per query, are its statements' time on the server. Each path's floor comes from that path's own run, so the machine's",
    'noise in a run touches the operation and its floor alike; the floor is then the time the operation waited on the',
    'database, and the ratio what the client adds to it. What the driver does per query beyond a `select 1` (more rows to',
    "decode), and through the proxy any trip that took longer than its `select 1` did, count on the server's side: the",
    'floor is, if anything, generous to the client. Medians of the runs (ms per operation); the last column is Better',
    "Auth's operations against their floor, measured the same way.",
    '',
    '| workload | round trips | direct: trips × `select 1` | + server | = floor | orgkit | ÷ floor | through the delay: trips × `select 1` | + server and the rest of each trip | = floor | orgkit | ÷ floor | Better Auth ÷ its floor, direct / through the delay |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  )
  const over: string[] = []
  for (const w of orgkit.direct.workloads) {
    const direct = floorOf('orgkit', 'direct', w.id)
    const proxy = floorOf('orgkit', 'proxy', w.id)
    if (direct === undefined || proxy === undefined) continue
    const other = { direct: floorOf('Better Auth', 'direct', w.id), proxy: floorOf('Better Auth', 'proxy', w.id) }
    for (const [path, figures] of [
      ['directly', direct],
      ['through the delay', proxy],
    ] as const) {
      if (figures.ratio > FLOOR_TARGET) over.push(`${w.id} ${path} ×${figures.ratio.toFixed(2)}`)
    }
    const theirs =
      other.direct && other.proxy ? `×${other.direct.ratio.toFixed(2)} / ×${other.proxy.ratio.toFixed(2)}` : '—'
    add(
      `| ${w.id} ${w.label} | ${statements(w.statementsPerOp)} | ${ms(direct.trips)} | ${ms(direct.server)} | ${ms(direct.floor)} | ${ms(direct.w.msPerOp.median)} | ×${direct.ratio.toFixed(2)} | ${ms(proxy.trips)} | ${ms(proxy.server)} | ${ms(proxy.floor)} | ${ms(proxy.w.msPerOp.median)} | ×${proxy.ratio.toFixed(2)} | ${theirs} |`,
    )
  }
  add(
    '',
    over.length === 0
      ? `**In this run** every operation is within ×${FLOOR_TARGET} of its floor, directly and through the delay.`
      : `**In this run** over ×${FLOOR_TARGET} of the floor: ${over.join('; ')}.`,
    '',
    'Through the proxy, the server column holds more than the statements: on a busy machine a trip in the middle of a',
    "workload can take longer than the `select 1` loop's, and the proxy runs in the bench's own process. Compare the two",
    "server columns for how much; the ratio stays the client's share, since the operation and its waits are one run.",
    'A ratio under ×1 means the waits overlapped: that system ran some of its queries at once on several connections,',
    'and the sum of its waits is more than its time.',
  )
}

/**
 * orgkit on PostgreSQL with its statements prepared (`preparedStatements`, the runs above) and
 * unnamed (one more run of each path without it): per operation, its time and its statements'
 * time on the server (what the driver waited, less one `select 1` per round trip).
 */
function renderPreparedStatements(report: Report, add: (...text: string[]) => void): void {
  const measured = report.postgresNetwork
  if (measured === undefined) return
  const find = (system: string, path: NetworkPathName) =>
    measured.results.find((r) => r.system === system && r.path === path)
  const paths: NetworkPathName[] = ['direct', 'proxy']
  const runs = paths.map((path) => ({ named: find('orgkit', path), unnamed: find('orgkit, unnamed statements', path) }))
  if (runs.some((run) => run.named === undefined || run.unnamed === undefined)) return
  const server = (result: PostgresNetworkResult, w: WorkloadResult) =>
    w.waitedMs === undefined ? undefined : w.waitedMs.median - w.statementsPerOp * result.roundTripMs.median
  add(
    '',
    '### orgkit with and without prepared statements',
    '',
    "The orgkit runs above go through `preparedStatements`: orgkit's compiled statements are sent as named statements,",
    'parsed once per connection, and PostgreSQL may keep a generic plan after five runs. Each path was run once more',
    'without it, every statement unnamed (parsed, analyzed and planned on every run), in a process of its own, with the',
    'same round trips. "Server" is the time the driver waited on the operation less one `select 1` per round trip, as',
    'in the floor above. Medians of the runs, ms per operation; "saved" is unnamed less named.',
    '',
    '| workload | round trips | direct: named | unnamed | saved | server, named / unnamed | through the delay: named | unnamed | saved |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  )
  const [direct, proxy] = runs as [
    { named: PostgresNetworkResult; unnamed: PostgresNetworkResult },
    { named: PostgresNetworkResult; unnamed: PostgresNetworkResult },
  ]
  for (const w of direct.named.workloads) {
    const u = direct.unnamed.workloads.find((x) => x.id === w.id)
    const pn = proxy.named.workloads.find((x) => x.id === w.id)
    const pu = proxy.unnamed.workloads.find((x) => x.id === w.id)
    if (!u || !pn || !pu) continue
    const [sn, su] = [server(direct.named, w), server(direct.unnamed, u)]
    const serverText = sn === undefined || su === undefined ? '—' : `${ms(sn)} / ${ms(su)}`
    add(
      `| ${w.id} ${w.label} | ${statements(w.statementsPerOp)} | ${msSpread(w.msPerOp)} | ${msSpread(u.msPerOp)} | ${ms(u.msPerOp.median - w.msPerOp.median)} | ${serverText} | ${msSpread(pn.msPerOp)} | ${msSpread(pu.msPerOp)} | ${ms(pu.msPerOp.median - pn.msPerOp.median)} |`,
    )
  }
}

const PART_NAMES: Record<ProfilePart, string> = {
  sqlite: 'SQLite (better-sqlite3, native)',
  kysely: 'Kysely',
  orgkitCore: 'orgkit core',
  orgkitStorage: 'orgkit storage (@orgkit/kysely)',
  zod: 'zod',
  gc: 'garbage collection',
  runtime: 'Node and V8 (promises, calls into native code)',
  bench: 'the bench',
}

/** Where orgkit's writes on SQLite spend their time, by the profiler: what holds the time outside SQL. */
function renderWriteProfile(report: Report, add: (...text: string[]) => void): void {
  const profile = report.writeProfile
  if (profile === undefined) return
  const pct = (share: number) => `${Math.round(share * 100)} %`
  add(
    '',
    '### What holds the rest',
    '',
    `Profiled apart (\`npm run bench -- --only=write-profile\`, on ${profile.date} at commit ${profile.commit}): orgkit on the`,
    "same kind of SQLite file, each write run 1,000 times to warm up and 1,000 more under V8's sampling profiler (a sample",
    "every 100 µs). Each sample counts for the function running when it was taken, sorted by where that function's code",
    "comes from; the profiler's own frames are left out. SQLite's column is better-sqlite3's native statement calls; the",
    'rest is the time outside SQL, split by whose code ran it. The bench runs orgkit from its TypeScript sources through',
    "tsx (esbuild), which keeps every function's name with a small call where the function is made (`__name`, in orgkit's",
    'columns): a build from `tsc` has none.',
    '',
    `| workload | ${PROFILE_PARTS.map((part) => PART_NAMES[part]).join(' | ')} | outside SQL, were orgkit's own code free | orgkit's own functions with the most samples |`,
    `| --- | ${PROFILE_PARTS.map(() => '---').join(' | ')} | --- | --- |`,
  )
  /** The share outside SQL that would remain if orgkit's own code (and its zod schemas) took no time. */
  const withoutOrgkit = (shares: Record<ProfilePart, number>) => {
    const own = shares.orgkitCore + shares.orgkitStorage + shares.zod
    return (1 - shares.sqlite - own) / (1 - own)
  }
  const held: string[] = []
  for (const write of profile.writes) {
    if (withoutOrgkit(write.shares) >= OUTSIDE_SQL_TARGET) held.push(`${write.id} ${pct(withoutOrgkit(write.shares))}`)
    const top = write.top
      .filter((entry) => entry.part === 'orgkitCore' || entry.part === 'orgkitStorage')
      .slice(0, 3)
      .map((entry) => `\`${entry.frame}\` ${pct(entry.share)}`)
      .join(', ')
    add(
      `| ${write.id} ${write.label} | ${PROFILE_PARTS.map((part) => pct(write.shares[part])).join(' | ')} | ${pct(withoutOrgkit(write.shares))} | ${top || '—'} |`,
    )
  }
  add(
    '',
    "The column before the last takes orgkit's own code (core, storage and the zod schemas it validates input with) out of",
    'the samples: what would stay outside SQL is Kysely (its executor, its driver and transaction around each statement),',
    "the runtime's promises and calls into native code, and the garbage collector.",
    held.length === 0
      ? `In this profile it is under ${Math.round(OUTSIDE_SQL_TARGET * 100)} % for every write: orgkit's own code is what keeps a write over the aim.`
      : `In this profile it is ${Math.round(OUTSIDE_SQL_TARGET * 100)} % or more on ${held.join(', ')}: there no change to orgkit's code alone brings the write under ${Math.round(OUTSIDE_SQL_TARGET * 100)} % outside SQL; only running fewer statements, or running them without Kysely's executor and its promise per step, would.`,
  )
}
