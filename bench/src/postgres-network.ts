/**
 * orgkit and Better Auth on the same PostgreSQL server, side by side, directly and through a
 * delaying proxy (`--only=postgres-network`, and part of every run): what a network does to
 * each. Both reach the server through a pg pool of the same size with `search_path` set to
 * a scratch schema of their own; the round trips are counted in the driver (every `query` a
 * pooled client runs, BEGIN and COMMIT included), as the round-trip budgets in
 * packages/kysely/test/round-trip-budgets.test.ts count them. orgkit's pool goes through
 * `preparedStatements` (its statements named, parsed once per connection); orgkit runs once
 * more without it (`orgkit-unnamed`), for what that saves. Better Auth's pool is its own.
 */
import { createConnection, createServer, type Socket } from 'node:net'
import { preparedStatements } from '@orgkit/kysely'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { type BenchSettings, peakRssMiB, type Spread, StatementCounter, spread, type WorkloadResult } from './measure'
import { betterAuthSystem } from './targets/better-auth'
import { createOrgkitOn, orgkitSystem, type ScratchDb } from './targets/orgkit'
import { runWorkloads } from './workloads'

/** The same pool size for both systems. */
export const POOL_SIZE = 10
/** The delay the proxy adds to each chunk, each way, as asked (the timer's granularity may round it up). */
export const PROXY_DELAY_MS = 0.25

/** `orgkit-unnamed`: orgkit without `preparedStatements`, every statement unnamed. */
export type NetworkSystem = 'orgkit' | 'orgkit-unnamed' | 'better-auth'

/** Each system's label in the results. */
export const NETWORK_LABELS: Record<NetworkSystem, string> = {
  orgkit: 'orgkit',
  'orgkit-unnamed': 'orgkit, unnamed statements',
  'better-auth': 'Better Auth',
}
export type NetworkPath = 'direct' | 'proxy'

export interface PostgresNetworkResult {
  system: string
  path: NetworkPath
  /** One `select 1` through this path's pool, ms: the round trip with the server's least work. */
  roundTripMs: Spread
  workloads: WorkloadResult[]
  peakRssMiB: number
}

/**
 * The sizes of this part: the full run's W1–W7 would take hours through a delay of a few
 * milliseconds per operation, so a tenth of them or less (the smoke mode keeps its own, tiny).
 */
export function networkSettings(settings: BenchSettings): BenchSettings {
  if (settings.smoke) return { ...settings, smoke: false, large: false, runs: 1 }
  return {
    ...settings,
    large: false,
    runs: Math.min(settings.runs, 3),
    sizes: {
      ...settings.sizes,
      organizations: 100,
      members: 1_000,
      invitations: 100,
      checks: 200,
      roleChanges: 100,
      userOrganizations: 50,
      pageRepeats: 40,
      deepOffset: 500,
    },
  }
}

/**
 * Calls `onRoundTrip` for every `query` a client of `pool` runs: node-postgres sends a query
 * and waits for the server's answer before the next, so each call is one round trip.
 */
export function countPgRoundTrips(pool: pg.Pool, onRoundTrip: () => void): pg.Pool {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    client.query = ((...args: unknown[]) => {
      onRoundTrip()
      return query(...args)
    }) as typeof client.query
  })
  return pool
}

/**
 * Adds to `counter.waitedMs` the time each query a client of `pool` runs takes from the call
 * to its answer (resolved or failed): what the operation spent waiting on the database, its
 * round trips and the server's work on its statements together. The rest of an operation's
 * time is the client's: orgkit's code, Kysely's and the driver's between the queries.
 */
export function timePgQueries(pool: pg.Pool, counter: StatementCounter): pg.Pool {
  counter.waitedMs ??= 0
  const done = (start: number) => {
    counter.waitedMs! += performance.now() - start
  }
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    client.query = ((...args: unknown[]) => {
      const start = performance.now()
      const result = query(...args)
      // With a callback the driver returns no promise; nothing here passes one.
      if (!(result instanceof Promise)) return result
      return result.then(
        (value: unknown) => {
          done(start)
          return value
        },
        (error: unknown) => {
          done(start)
          throw error
        },
      )
    }) as typeof client.query
  })
  return pool
}

export interface DelayProxy {
  port: number
  close(): Promise<void>
}

/** At most this many connections through the proxy at once (two pools of 10 and an admin client fit). */
const MAX_CONNECTIONS = 64
/** Bytes held per direction before the sender is paused. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024

/**
 * A TCP proxy on 127.0.0.1 to a loopback `target` that forwards each chunk `delayMs` after it
 * arrived, each way, in order. Bounded: at most `MAX_CONNECTIONS` connections and
 * `MAX_QUEUED_BYTES` held per direction (the sender is paused beyond). Its sockets do not
 * keep the process alive, and `close()` ends every connection. Node's timers have a
 * granularity of a millisecond, so the last of each wait is polled; on a busy machine it
 * still comes out longer than asked, so the round trip it adds is measured, not assumed
 * (`PostgresNetworkResult.roundTripMs`).
 */
export async function startDelayProxy(target: { host: string; port: number }, delayMs: number): Promise<DelayProxy> {
  if (!['127.0.0.1', 'localhost', '::1'].includes(target.host)) {
    throw new Error(`the delay proxy forwards to this machine only, not to ${target.host}`)
  }
  if (!(delayMs >= 0 && delayMs <= 100)) throw new Error(`delay of ${delayMs} ms: use 0 to 100`)
  const sockets = new Set<Socket>()

  /** Forwards `from` to `to`, each chunk `delayMs` after it arrived, in arrival order. */
  const forward = (from: Socket, to: Socket) => {
    const queue: { due: number; chunk: Buffer }[] = []
    let queued = 0
    let timer: NodeJS.Timeout | undefined
    let poll: NodeJS.Immediate | undefined
    const flush = () => {
      timer = undefined
      poll = undefined
      const now = performance.now()
      while (queue.length > 0 && queue[0]!.due <= now) {
        const { chunk } = queue.shift()!
        queued -= chunk.length
        to.write(chunk)
      }
      if (queued <= MAX_QUEUED_BYTES && from.isPaused()) from.resume()
      if (queue.length > 0) schedule()
    }
    // A timer for the bulk of a wait of milliseconds; the last of it, and any wait under a
    // millisecond (finer than timers go), polled on each turn of the event loop, which
    // still serves every socket in between.
    const schedule = () => {
      if (timer !== undefined || poll !== undefined) return
      const remaining = queue[0]!.due - performance.now()
      if (remaining >= 2) {
        timer = setTimeout(flush, remaining - 1)
        timer.unref()
      } else {
        poll = setImmediate(flush)
      }
    }
    from.on('data', (chunk: Buffer) => {
      queue.push({ due: performance.now() + delayMs, chunk })
      queued += chunk.length
      if (queued > MAX_QUEUED_BYTES) from.pause()
      schedule()
    })
    from.on('close', () => {
      if (timer !== undefined) clearTimeout(timer)
      if (poll !== undefined) clearImmediate(poll)
      to.destroy()
    })
  }

  const server = createServer((client) => {
    if (sockets.size >= MAX_CONNECTIONS * 2) {
      client.destroy()
      return
    }
    const upstream = createConnection({ host: target.host, port: target.port })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.setNoDelay(true)
      socket.unref()
      socket.on('error', () => socket.destroy())
      socket.on('close', () => sockets.delete(socket))
    }
    forward(client, upstream)
    forward(upstream, client)
  })
  server.maxConnections = MAX_CONNECTIONS
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  server.unref()
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the delay proxy has no port')
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** The server's URL with another port (the proxy's), or as it is. */
export function urlThrough(url: string, port: number | undefined): string {
  if (port === undefined) return url
  const through = new URL(url)
  through.hostname = '127.0.0.1'
  through.port = String(port)
  return through.toString()
}

/** Whether the server answers at all: this part is skipped with a line when it does not. */
export async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** `select 1`, one at a time on one pooled connection: the round trip with the server's least work. */
async function measureRoundTrip(pool: pg.Pool, settings: BenchSettings): Promise<Spread> {
  const client = await pool.connect()
  try {
    const samples: number[] = []
    const rounds = settings.smoke ? 20 : 2_000
    for (let i = 0; i < rounds; i++) {
      const start = performance.now()
      await client.query('select 1')
      samples.push(performance.now() - start)
    }
    // The median of each tenth: a spread of typical trips, not of the odd stall.
    const tenth = Math.max(1, Math.floor(rounds / 10))
    const medians: number[] = []
    for (let i = 0; i + tenth <= rounds; i += tenth) medians.push(spread(samples.slice(i, i + tenth)).median)
    return spread(medians)
  } finally {
    client.release()
  }
}

/**
 * Runs W1–W7 for one system on the server at `url` (the server's own, or the proxy's), in a
 * scratch schema dropped afterwards. `adminUrl` creates and drops the schema directly.
 */
export async function runPostgresNetwork(
  system: NetworkSystem,
  path: NetworkPath,
  url: string,
  adminUrl: string,
  settings: BenchSettings,
): Promise<PostgresNetworkResult> {
  const schema = `${system.replace('-', '_')}_net_${process.pid}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop schema if exists ${schema} cascade`)
  await admin.query(`create schema ${schema}`)
  const counter = new StatementCounter()
  const pool = timePgQueries(
    countPgRoundTrips(
      new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: POOL_SIZE }),
      counter.tick,
    ),
    counter,
  )
  const sized = networkSettings(settings)
  const label = NETWORK_LABELS[system]
  try {
    let workloads: WorkloadResult[]
    if (system === 'orgkit' || system === 'orgkit-unnamed') {
      // Wrapped over the counters, which then see (and time) the named statements it sends.
      const db: ScratchDb = new Kysely({
        dialect: new PostgresDialect({ pool: system === 'orgkit' ? preparedStatements(pool) : pool }),
      })
      const orgkit = await createOrgkitOn(db)
      workloads = await runWorkloads(
        orgkitSystem(`${label} (PostgreSQL, ${path})`, db, orgkit, counter, 'postgres'),
        sized,
      )
    } else {
      const ba = await betterAuthSystem(pool, counter)
      workloads = await runWorkloads({ ...ba, name: `Better Auth (PostgreSQL, ${path})` }, sized)
    }
    const roundTripMs = await measureRoundTrip(pool, sized)
    return { system: label, path, roundTripMs, workloads, peakRssMiB: peakRssMiB() }
  } finally {
    await pool.end()
    await admin.query(`drop schema if exists ${schema} cascade`)
    await admin.end()
  }
}
