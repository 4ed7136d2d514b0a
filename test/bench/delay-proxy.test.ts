/**
 * The bench's delaying TCP proxy (bench/src/postgres-network.ts), against an echo server on
 * loopback: every byte arrives, in order, no sooner than the delay each way; it forwards to
 * this machine only; `close()` ends the connections through it. And the pg pool's query timer
 * the network section reads each operation's wait on the database from.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StatementCounter } from '../../bench/src/measure'
import { countPgRoundTrips, startDelayProxy, timePgQueries, urlThrough } from '../../bench/src/postgres-network'
import { postgresTestUrl, testDialects } from '../support/databases'

describe('the delay proxy', () => {
  let echo: Server
  let port: number
  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket))
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    port = (echo.address() as { port: number }).port
  })
  afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())))

  const open = (to: number) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: to }, () => resolve(socket))
      socket.once('error', reject)
    })

  it('forwards every chunk each way, in order, after the delay each way', async () => {
    const delayMs = 5
    const proxy = await startDelayProxy({ host: '127.0.0.1', port }, delayMs)
    try {
      const socket = await open(proxy.port)
      const sent = Array.from({ length: 200 }, (_, i) => `message ${i};`).join('')
      const received: Buffer[] = []
      let length = 0
      const start = performance.now()
      const all = new Promise<number>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          received.push(chunk)
          length += chunk.length
          if (length >= Buffer.byteLength(sent)) resolve(performance.now())
        })
      })
      // Written in pieces, as a client writes its messages.
      for (let i = 0; i < sent.length; i += 50) socket.write(sent.slice(i, i + 50))
      const end = await all
      expect(Buffer.concat(received).toString()).toBe(sent)
      // There and back: twice the delay at least.
      expect(end - start).toBeGreaterThanOrEqual(2 * delayMs)
      socket.destroy()
    } finally {
      await proxy.close()
    }
  })

  it('ends its connections when closed', async () => {
    const proxy = await startDelayProxy({ host: '127.0.0.1', port }, 0.25)
    const socket = await open(proxy.port)
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    await proxy.close()
    await closed
    expect(socket.destroyed).toBe(true)
  })

  it('forwards to this machine only, with a bounded delay', async () => {
    await expect(startDelayProxy({ host: 'db.example.com', port: 5432 }, 0.25)).rejects.toThrow(/this machine only/)
    await expect(startDelayProxy({ host: '127.0.0.1', port }, -1)).rejects.toThrow(/0 to 100/)
  })
})

describe.runIf(testDialects().includes('postgres'))('timing the queries of a pg pool', () => {
  it('adds each query’s wait, from the call to its answer, failed ones too, to the counter', async () => {
    const server = new URL(postgresTestUrl())
    const delayMs = 5
    const proxy = await startDelayProxy({ host: server.hostname, port: Number(server.port || 5432) }, delayMs)
    const counter = new StatementCounter()
    const pool = timePgQueries(
      countPgRoundTrips(
        new pg.Pool({ connectionString: urlThrough(postgresTestUrl(), proxy.port), max: 1 }),
        counter.tick,
      ),
      counter,
    )
    try {
      // The connection first, untimed: only queries count.
      const client = await pool.connect()
      /** What one query added to the counter's wait. */
      const waitOf = async (query: () => Promise<unknown>) => {
        const before = counter.waitedMs ?? Number.NaN
        await query().catch(() => {})
        return (counter.waitedMs ?? Number.NaN) - before
      }
      const waits = [
        await waitOf(() => client.query('select 1')),
        await waitOf(() => client.query('select 2')),
        await waitOf(() => client.query('select * from no_such_table_here')),
      ]
      client.release()
      expect(counter.count).toBe(3)
      // Each query crossed the proxy there and back: twice the delay at least, the failed one too.
      for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(2 * delayMs)
    } finally {
      await pool.end()
      await proxy.close()
    }
  })

  it('times nothing where no driver does', () => {
    expect(new StatementCounter().waitedMs).toBeUndefined()
  })
})
