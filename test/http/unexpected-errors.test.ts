import type { AddressInfo } from 'node:net'
import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { createExpressRouter } from '@orgkit/express'
import { orgkitFastify } from '@orgkit/fastify'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type TestStorage } from '../support/databases'
import { mountable4 } from './harness'

type Resolver = () => Actor | null
type Serve = (
  orgkit: Orgkit,
  resolveActor: Resolver,
  onError: (error: unknown) => void,
) => Promise<{ get(path: string): Promise<{ status: number; body: unknown }>; close(): Promise<void> }>

const serveExpress =
  (version: 4 | 5): Serve =>
  async (orgkit, resolveActor, onError) => {
    const router = createExpressRouter(orgkit, { resolveActor, onError })
    // The host's last-resort handler: what reaches it must still be an answer, not a crash.
    const last = (_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ host: true })
    }
    const app =
      version === 5
        ? express().use('/api', router).use(last)
        : express4()
            .use('/api', mountable4(router))
            .use(last as unknown as express4.ErrorRequestHandler)
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    return {
      async get(path) {
        const response = await fetch(`http://127.0.0.1:${port}${path}`)
        return { status: response.status, body: await response.json() }
      },
      close: () => new Promise((resolve) => server.close(() => resolve())),
    }
  }

const servers: Record<'express' | 'express4' | 'fastify', Serve> = {
  express: serveExpress(5),
  express4: serveExpress(4),
  async fastify(orgkit, resolveActor, onError) {
    const app = Fastify()
    await app.register(orgkitFastify, { orgkit, prefix: '/api', resolveActor, onError })
    await app.ready()
    return {
      async get(path) {
        const response = await app.inject({ method: 'GET', url: path })
        return { status: response.statusCode, body: response.json() }
      },
      close: () => app.close(),
    }
  },
}

describe.each(['express', 'express4', 'fastify'] as const)('unexpected errors on %s', (adapter) => {
  let env: TestStorage
  let orgkit: Orgkit
  let resolver: Resolver
  let reported: unknown[]
  let onError: (error: unknown) => void
  let server: Awaited<ReturnType<Serve>>

  beforeAll(async () => {
    env = await createTestStorage('sqlite')
    orgkit = createOrgkit({ storage: env.storage })
    server = await servers[adapter](
      orgkit,
      () => resolver(),
      (error) => onError(error),
    )
  })
  afterAll(async () => {
    await server?.close()
    await env?.destroy()
  })

  const answer = (resolve: Resolver, report: (error: unknown) => void = (error) => reported.push(error)) => {
    resolver = resolve
    reported = []
    onError = report
    return server.get('/api/organizations')
  }

  it('answers a bare 500 that leaks nothing, and hands the cause to onError', async () => {
    const cause = new Error('connection to db-primary.internal:5432 refused')
    const response = await answer(() => {
      throw cause
    })
    expect(response).toEqual({ status: 500, body: { error: { code: 'internal', message: 'Something went wrong.' } } })
    expect(reported).toEqual([cause])
  })

  it('never accepts the system actor from a request', async () => {
    const response = await answer(() => ({ type: 'system' }))
    expect(response.status).toBe(500)
    expect(response.body).toEqual({ error: { code: 'internal', message: 'Something went wrong.' } })
    expect(String(reported[0])).toMatch(/system actor/)
  })

  it('keeps serving when onError itself throws', async () => {
    const failing = await answer(
      () => {
        throw new Error('resolver down')
      },
      () => {
        throw new Error('logger down')
      },
    )
    expect(failing.status).toBe(500)
    expect(JSON.stringify(failing.body)).not.toMatch(/down/)
    const rejecting = await answer(
      () => {
        throw new Error('resolver down')
      },
      async () => {
        throw new Error('async logger down')
      },
    )
    expect(rejecting.status).toBe(500)
    expect((await answer(() => null)).status).toBe(401)
  })
})
