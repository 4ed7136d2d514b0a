/**
 * Timing, statement counting and the shapes results travel in between the worker processes
 * and the report. Every figure in docs/benchmarks.md is a median over runs with its min–max,
 * and the report compares systems only through ratios measured in the same run.
 */

import type { HttpResult } from './http'
import type { InMemoryResult } from './in-memory'
import type { ScopingResult } from './scoping'

export interface Spread {
  median: number
  min: number
  max: number
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]! }
}

/** One workload of one system: milliseconds per operation over `runs`, and SQL statements per operation. */
export interface WorkloadResult {
  id: string
  label: string
  /** Operations per run. */
  ops: number
  msPerOp: Spread
  statementsPerOp: number
  /**
   * The same statements alone (file SQLite only, some workloads): each run's statements, as
   * they were executed, replayed straight through better-sqlite3 on a copy of the database as
   * it was when the run started; milliseconds per operation. Absent from older results.
   */
  statementsAloneMs?: Spread
  /**
   * The same two figures in CPU time of this process (user and system), milliseconds per
   * operation: on a shared machine a run's wall time also holds the time other processes had
   * the cores, which CPU time leaves out. Absent from older results.
   */
  cpu?: { msPerOp: Spread; statementsAloneMs: Spread }
  /**
   * Time the driver spent waiting on the database per operation, from sending each query to
   * its answer, BEGIN and COMMIT included (PostgreSQL over the network only, where the
   * counter times the queries). Absent elsewhere and from older results.
   */
  waitedMs?: Spread
  note?: string
}

/** What a worker process reports for one system. */
export interface SystemResult {
  system: string
  workloads: WorkloadResult[]
  peakRssMiB: number
  notes: string[]
  inMemory?: InMemoryResult[]
  http?: HttpResult[]
  scoping?: ScopingResult
}

/** Counts SQL statements sent to the database, whichever way the system reaches it. */
export class StatementCounter {
  count = 0
  /**
   * Milliseconds spent waiting on the database's answers, when the driver times its queries
   * (see `timePgQueries`); undefined where nothing times them.
   */
  waitedMs: number | undefined = undefined
  readonly tick = (): void => {
    this.count++
  }
}

export interface MeasureOptions {
  runs: number
  ops: number
  counter: StatementCounter
  /** Work before each run that is not timed and whose statements are not counted. */
  prepare?: (run: number) => Promise<void>
  /** Replays each run's statements alone, on a copy of the database, outside the timed part. */
  replay?: StatementReplay | undefined
}

/**
 * Records what a run executes on a database and runs it again alone. `start` comes after
 * `prepare` and before the timer starts; the recording's `replay` after the timer stops.
 */
export interface StatementReplay {
  /** Copies the database as it is now and starts recording the statements run on it. */
  start(): StatementRecording
}

export interface StatementRecording {
  /**
   * Stops recording, runs the recorded statements in order on the copy and deletes it:
   * the milliseconds that took, and how many counted statements it ran.
   */
  replay(): { ms: number; cpuMs: number; statements: number }
  /** Stops recording and deletes the copy, replaying nothing (the run failed). */
  discard(): void
}

/**
 * Runs `body(run)` `runs` times (after an untimed warm-up when `warmup` is given), each
 * doing `ops` operations, and reports the time and statements per operation.
 */
export async function measure(
  id: string,
  label: string,
  options: MeasureOptions,
  body: (run: number) => Promise<void>,
  note?: string,
): Promise<WorkloadResult> {
  const perOp: number[] = []
  const alone: number[] = []
  const cpuPerOp: number[] = []
  const cpuAlone: number[] = []
  const waited: number[] = []
  let statements = 0
  for (let run = 0; run < options.runs; run++) {
    await options.prepare?.(run)
    const recording = options.replay?.start()
    const before = options.counter.count
    const waitedBefore = options.counter.waitedMs
    const cpu = process.cpuUsage()
    const start = performance.now()
    try {
      await body(run)
    } catch (error) {
      recording?.discard()
      throw error
    }
    perOp.push((performance.now() - start) / options.ops)
    const cpuMs = cpuMsSince(cpu)
    if (waitedBefore !== undefined) waited.push((options.counter.waitedMs! - waitedBefore) / options.ops)
    const ran = options.counter.count - before
    statements += ran
    if (recording !== undefined) {
      const replayed = recording.replay()
      // Every counted statement must have been replayed, or the figure is not the same statements.
      if (replayed.statements !== ran) {
        throw new Error(`${id}: ${ran} statements counted, ${replayed.statements} recorded and replayed`)
      }
      alone.push(replayed.ms / options.ops)
      cpuPerOp.push(cpuMs / options.ops)
      cpuAlone.push(replayed.cpuMs / options.ops)
    }
  }
  const result: WorkloadResult = {
    id,
    label,
    ops: options.ops,
    msPerOp: spread(perOp),
    statementsPerOp: statements / (options.ops * options.runs),
  }
  if (alone.length > 0) {
    result.statementsAloneMs = spread(alone)
    result.cpu = { msPerOp: spread(cpuPerOp), statementsAloneMs: spread(cpuAlone) }
  }
  if (waited.length > 0) result.waitedMs = spread(waited)
  if (note !== undefined) result.note = note
  const range = (s: Spread) => `${s.median.toFixed(3)} ms/op (${s.min.toFixed(3)}–${s.max.toFixed(3)})`
  console.error(
    `  ${id} ${label}: ${range(result.msPerOp)}, ${result.statementsPerOp.toFixed(1)} statements/op${result.statementsAloneMs ? `; the statements alone ${range(result.statementsAloneMs)}` : ''}${result.waitedMs ? `; waited on the database ${range(result.waitedMs)}` : ''}`,
  )
  return result
}

/** CPU time (user and system) this process spent since `start`, a `process.cpuUsage()`, in milliseconds. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start)
  return (user + system) / 1000
}

export const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024

/** Bench settings, from flags and the environment, shared by the orchestrator and its workers. */
export interface BenchSettings {
  smoke: boolean
  large: boolean
  runs: number
  /** Workload sizes; the smoke mode shrinks them all. */
  sizes: {
    organizations: number
    members: number
    invitations: number
    checks: number
    roleChanges: number
    userOrganizations: number
    pageRepeats: number
    largeMembers: number
    /** Pages read per run on the large organization, fewer: a page there may cost a large fraction of a second. */
    largePageRepeats: number
    deepOffset: number
  }
}

export function benchSettings(argv: readonly string[], env: NodeJS.ProcessEnv): BenchSettings {
  const smoke = argv.includes('--smoke') || env.BENCH_SMOKE === '1'
  const large = argv.includes('--large') || env.BENCH_LARGE === '1'
  const runs = Number(env.BENCH_RUNS ?? (smoke ? 1 : 5))
  return {
    smoke,
    large,
    runs,
    sizes: smoke
      ? {
          organizations: 20,
          members: 200,
          invitations: 10,
          checks: 50,
          roleChanges: 10,
          userOrganizations: 10,
          pageRepeats: 5,
          largeMembers: 2_000,
          largePageRepeats: 5,
          deepOffset: 100,
        }
      : {
          organizations: 1_000,
          members: 10_000,
          invitations: 1_000,
          checks: 2_000,
          roleChanges: 1_000,
          userOrganizations: 200,
          pageRepeats: 200,
          largeMembers: 1_000_000,
          largePageRepeats: 20,
          deepOffset: 5_000,
        },
  }
}
