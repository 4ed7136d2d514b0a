/**
 * The bench's delaying TCP proxy (bench/src/postgres-network.ts), against an echo server on
 * loopback: every byte arrives, in order, no sooner than the delay each way; it forwards to
 * this machine only; `close()` ends the connections through it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDelayProxy } from '../../bench/src/postgres-network'

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
