/**
 * Where orgkit's writes on SQLite spend their time (`npm run bench -- --only=write-profile`):
 * W1, W2, W4 and W6 as the main run does them, each under V8's sampling profiler, and every
 * sample's own frame sorted into the part of the stack it belongs to. What the statements-alone
 * table cannot say, the share of SQL being known: which code holds the rest.
 */
import { Session } from 'node:inspector/promises'
import { Kysely, SqliteDialect } from 'kysely'
import { type BenchSettings, peakRssMiB, StatementCounter } from './measure'
import { openSqliteFile } from './sqlite-file'
import { createOrgkitOn, orgkitSystem, type ScratchDb } from './targets/orgkit'
import type { BenchOrganization, BenchSystem, BenchUser } from './workloads'

/** The parts of a stack a sample's own frame is counted in. */
export const PROFILE_PARTS = [
  'sqlite',
  'kysely',
  'orgkitCore',
  'orgkitStorage',
  'zod',
  'gc',
  'runtime',
  'bench',
] as const
export type ProfilePart = (typeof PROFILE_PARTS)[number]

export interface WriteProfile {
  id: string
  label: string
  ops: number
  /** Milliseconds of samples in all. */
  sampledMs: number
  /** Each part's share of the samples, 0 to 1. */
  shares: Record<ProfilePart, number>
  /** The JavaScript functions with the most samples of their own (SQLite's native frames left out). */
  top: { frame: string; part: ProfilePart; share: number }[]
}

export interface WriteProfileResult {
  writes: WriteProfile[]
  peakRssMiB: number
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

/** better-sqlite3's statement methods, native: their frames have no script. */
const SQLITE_NATIVE = new Set(['run', 'all', 'get', 'iterate'])

/** Which part of the stack a frame belongs to. */
function partOf(frame: ProfileNode['callFrame']): ProfilePart {
  const { url, functionName } = frame
  if (url === '') {
    if (SQLITE_NATIVE.has(functionName)) return 'sqlite'
    if (functionName === '(garbage collector)') return 'gc'
    return 'runtime'
  }
  // The bench's statement counter wraps better-sqlite3's methods: the samples of its own
  // frame are the calls into the native code (its bookkeeping is a few nanoseconds a call).
  if (url.includes('/bench/src/sqlite-file')) return 'sqlite'
  if (url.includes('/node_modules/kysely/')) return 'kysely'
  if (url.includes('/node_modules/zod/')) return 'zod'
  if (url.includes('/packages/core/')) return 'orgkitCore'
  if (url.includes('/packages/kysely/')) return 'orgkitStorage'
  if (url.includes('/bench/')) return 'bench'
  return 'runtime'
}

/** A frame's name for the page: the function and its file within the repository or package. */
function frameName(frame: ProfileNode['callFrame']): string {
  const file = frame.url.replace(/^.*\/(packages|node_modules)\//, '').replace(/^file:\/\/.*\/bench\//, 'bench/')
  return `${frame.functionName || '(anonymous)'} (${file || 'native'})`
}

/** Self time per frame, from a V8 CPU profile. */
function summarize(
  profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] },
  id: string,
  label: string,
  ops: number,
): WriteProfile {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<number, number>()
  profile.samples.forEach((sample, i) => {
    self.set(sample, (self.get(sample) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  let total = 0
  const byPart = Object.fromEntries(PROFILE_PARTS.map((part) => [part, 0])) as Record<ProfilePart, number>
  const byFrame = new Map<string, { part: ProfilePart; us: number }>()
  for (const [nodeId, us] of self) {
    const frame = nodes.get(nodeId)!.callFrame
    // The profiler's own frames, and the time the thread slept between samples, are no one's work.
    if (frame.functionName === '(idle)' || frame.functionName === '(root)') continue
    if (frame.url === 'node:inspector' || frame.functionName === 'dispatch') continue
    total += us
    const part = partOf(frame)
    byPart[part] += us
    if (part === 'sqlite' || frame.url === '') continue
    const name = frameName(frame)
    const entry = byFrame.get(name) ?? { part, us: 0 }
    entry.us += us
    byFrame.set(name, entry)
  }
  const shares = Object.fromEntries(PROFILE_PARTS.map((part) => [part, byPart[part] / total])) as Record<
    ProfilePart,
    number
  >
  const top = [...byFrame]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, 6)
    .map(([frame, { part, us }]) => ({ frame, part, share: us / total }))
  return { id, label, ops, sampledMs: total / 1000, shares, top }
}

/** Runs `ops` operations untimed (warming the code up), then `ops` more under the profiler. */
async function profiled(
  session: Session,
  id: string,
  label: string,
  ops: number,
  operation: (i: number) => Promise<void>,
): Promise<WriteProfile> {
  for (let i = 0; i < ops; i++) await operation(i)
  await session.post('Profiler.start')
  for (let i = ops; i < 2 * ops; i++) await operation(i)
  const { profile } = await session.post('Profiler.stop')
  const result = summarize(profile as unknown as Parameters<typeof summarize>[0], id, label, ops)
  console.error(
    `  ${id} ${label}: ${PROFILE_PARTS.map((part) => `${part} ${Math.round(result.shares[part] * 100)} %`).join(', ')}`,
  )
  return result
}

export async function runWriteProfile(settings: BenchSettings): Promise<WriteProfileResult> {
  const counter = new StatementCounter()
  const file = openSqliteFile('orgkit-profile', counter)
  const db: ScratchDb = new Kysely({ dialect: new SqliteDialect({ database: file.cached }) })
  const session = new Session()
  session.connect()
  try {
    await session.post('Profiler.enable')
    // A sample every 100 µs: a small write is a few hundred microseconds.
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    const orgkit = await createOrgkitOn(db)
    const system: BenchSystem = orgkitSystem('orgkit (SQLite)', db, orgkit, counter, 'sqlite')
    const ops = settings.smoke ? 50 : 1_000
    const [owner] = await system.seedUsers(1)
    const creators = await system.seedUsers(2 * ops)
    const pool = await system.seedUsers(2 * ops)
    const invitees = await system.seedUsers(2 * ops)
    if (owner === undefined) throw new Error('no users seeded')
    const writes: WriteProfile[] = []
    writes.push(
      await profiled(session, 'W1', 'create an organization', ops, async (i) => {
        await system.createOrganization(creators[i]!, `Organization ${i}`, `org-${i}`)
      }),
    )
    const big: BenchOrganization = await system.createOrganization(owner, 'Big', 'big')
    writes.push(
      await profiled(session, 'W2', 'add a member', ops, (i) => system.addMember(owner, big, pool[i]!, 'member')),
    )
    const inviting = await system.createOrganization(owner, 'Inviting', 'inviting')
    writes.push(
      await profiled(session, 'W4', 'invitation create + accept', ops, async (i) => {
        const invitee: BenchUser = invitees[i]!
        const invitation = await system.invite(owner, inviting, invitee.email)
        await system.accept(invitee, inviting, invitation)
      }),
    )
    writes.push(
      await profiled(session, 'W6', 'change a role', ops, (i) =>
        // Every change changes something: member i made admin while warming up, then back.
        system.changeRole(owner, big, pool[i % ops]!, i < ops ? 'admin' : 'member'),
      ),
    )
    return { writes, peakRssMiB: peakRssMiB() }
  } finally {
    session.disconnect()
    await db.destroy()
    file.close()
  }
}
