/**
 * The request's organization (`runInOrganization`, on AsyncLocalStorage): `requirePermission`
 * runs the host's handler in the organization it authorized, and orgkit's own routes run the
 * host's hooks and listeners in the event's organization. It holds across `await`, timers,
 * event emitters and a streamed response, and two requests in flight at once, forced to
 * interleave with deferred promises, each see only their own.
 */
import { EventEmitter } from 'node:events'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { type Actor, createOrgkit, currentOrganizationId, type Orgkit } from '@orgkit/core'
import { requirePermission as expressPermission } from '@orgkit/express'
import { requirePermission as fastifyPermission } from '@orgkit/fastify'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type TestStorage, testDialects } from '../support/databases'
import { createTestApp, mountable4, type TestApp } from './harness'

interface Deferred<T = void> {
  promise: Promise<T>
  resolve(value: T): void
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

/** Per request tag: the handler says it arrived, then waits until the test lets it go on. */
class Gates {
  private readonly arrived = new Map<string, Deferred>()
  private readonly released = new Map<string, Deferred>()
  private get(map: Map<string, Deferred>, tag: string): Deferred {
    let entry = map.get(tag)
    if (entry === undefined) {
      entry = deferred()
      map.set(tag, entry)
    }
    return entry
  }
  /** In the handler: announce arrival, wait for release. */
  async pass(tag: string): Promise<void> {
    this.get(this.arrived, tag).resolve()
    await this.get(this.released, tag).promise
  }
  reached = (tag: string) => this.get(this.arrived, tag).promise
  release = (tag: string) => this.get(this.released, tag).resolve()
}

/** What the handler saw, at each kind of asynchronous step. */
type Seen = Record<'start' | 'afterAwait' | 'timer' | 'immediate' | 'emitter' | 'stream', string | null>

const now = () => currentOrganizationId() ?? null

/** The tags of the requests whose handler ran. */
const started = new Set<string>()

/** The host handler's work: the organization at each step, the last read when its response streams. */
async function probe(gates: Gates, tag: string): Promise<Readable> {
  started.add(tag)
  const seen: Partial<Seen> = { start: now() }
  await gates.pass(tag)
  seen.afterAwait = now()
  seen.timer = await new Promise<string | null>((resolve) => setTimeout(() => resolve(now()), 0))
  seen.immediate = await new Promise<string | null>((resolve) => setImmediate(() => resolve(now())))
  const emitter = new EventEmitter()
  const heard = new Promise<string | null>((resolve) => emitter.once('tick', () => resolve(now())))
  queueMicrotask(() => emitter.emit('tick'))
  seen.emitter = await heard
  // Read when the response is pulled, not when the handler returns.
  let sent = false
  return new Readable({
    read() {
      if (sent) return void this.push(null)
      sent = true
      this.push(JSON.stringify({ ...seen, stream: now() }))
    },
  })
}

const actorOf = (userId: unknown): Actor | null =>
  typeof userId === 'string' && userId !== '' ? { type: 'user', userId } : null

type Call = (path: string, userId: string, tag: string) => Promise<{ status: number; body: Seen }>

async function serve(adapter: 'express' | 'express4' | 'fastify', orgkit: Orgkit, gates: Gates) {
  if (adapter !== 'fastify') {
    const guard = expressPermission(orgkit, 'projects.read', {
      resolveActor: (req) => actorOf(req.headers['x-user-id']),
    })
    const handler = (req: express.Request, res: express.Response, next: express.NextFunction) => {
      probe(gates, String(req.headers['x-tag']))
        .then((stream) => {
          res.setHeader('content-type', 'application/json')
          stream.pipe(res)
        })
        .catch(next)
    }
    const app =
      adapter === 'express'
        ? express().get('/projects/:org', guard, handler)
        : express4().get('/projects/:org', mountable4(guard), mountable4(handler))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    const call: Call = async (path, userId, tag) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { 'x-user-id': userId, 'x-tag': tag },
      })
      return { status: response.status, body: (await response.json()) as Seen }
    }
    return { call, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
  }
  const app = Fastify()
  app.get(
    '/projects/:org',
    {
      preHandler: fastifyPermission(orgkit, 'projects.read', { resolveActor: (r) => actorOf(r.headers['x-user-id']) }),
    },
    async (request, reply) => reply.type('application/json').send(await probe(gates, String(request.headers['x-tag']))),
  )
  await app.ready()
  const call: Call = async (path, userId, tag) => {
    const response = await app.inject({ method: 'GET', url: path, headers: { 'x-user-id': userId, 'x-tag': tag } })
    return { status: response.statusCode, body: response.json() as Seen }
  }
  return { call, close: () => app.close() }
}

const everywhere = (organizationId: string): Seen => ({
  start: organizationId,
  afterAwait: organizationId,
  timer: organizationId,
  immediate: organizationId,
  emitter: organizationId,
  stream: organizationId,
})

describe.each(['express', 'express4', 'fastify'] as const)(
  "requirePermission sets the request's organization on %s",
  (adapter) => {
    let env: TestStorage
    let orgkit: Orgkit
    let server: Awaited<ReturnType<typeof serve>>
    const gates = new Gates()
    const ids: Record<string, string> = {}

    beforeAll(async () => {
      env = await createTestStorage('sqlite')
      for (const id of ['ann', 'bob']) await env.addUser({ id, email: `${id}@example.com` })
      orgkit = createOrgkit({ storage: env.storage, permissions: ['projects.read'] })
      ids.acme = (await orgkit.as({ type: 'user', userId: 'ann' }).organizations.create({ name: 'Acme' })).id
      ids.globex = (await orgkit.as({ type: 'user', userId: 'bob' }).organizations.create({ name: 'Globex' })).id
      server = await serve(adapter, orgkit, gates)
    })
    afterAll(async () => {
      await server?.close()
      await env?.destroy()
    })

    it('two interleaved requests each see their own organization through await, timers, emitters and the stream', async () => {
      // A enters and parks; B enters and parks; B finishes first, then A.
      const a = server.call('/projects/acme', 'ann', 'a1')
      await gates.reached('a1')
      const b = server.call(`/projects/${ids.globex}`, 'bob', 'b1')
      await gates.reached('b1')
      gates.release('b1')
      const second = await b
      gates.release('a1')
      const first = await a
      expect(first).toEqual({ status: 200, body: everywhere(ids.acme!) })
      expect(second).toEqual({ status: 200, body: everywhere(ids.globex!) })
      // Nothing leaked out of the requests into the code that made them.
      expect(currentOrganizationId()).toBeUndefined()
    })

    it('leaves a refused request with no handler and no organization', async () => {
      const refused = await server.call(`/projects/${ids.globex}`, 'ann', 'never')
      expect(refused.status).toBe(404)
    })
  },
)

/**
 * Hooks run inside the transaction: SQLite has one connection, so two transactions never
 * overlap there, and the requests are made to interleave in their listeners (after the
 * commit) instead. PostgreSQL and MariaDB interleave them inside the hooks.
 */
describe.each(
  (['express', 'fastify'] as const).flatMap((adapter) => testDialects().map((dialect) => [adapter, dialect] as const)),
)("orgkit's own routes run hooks and listeners in the resolved {org} on %s, %s", (adapter, dialect) => {
  let app: TestApp
  const gates = new Gates()
  const hooks: Record<string, string | null> = {}
  const listeners: Record<string, string | null> = {}
  const ids: Record<string, string> = {}
  const gated = dialect === 'sqlite' ? 'listener' : 'hook'

  /** The organization before and after parking at the gate, or what changed. */
  async function observe(where: 'hook' | 'listener', userId: string): Promise<string | null> {
    const before = now()
    if (where === gated) await gates.pass(userId)
    return before === now() ? before : `changed from ${before} to ${now()}`
  }

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect)
    for (const id of ['ann', 'bob', 'cat', 'dan']) await app.addUser({ id, email: `${id}@example.com` })
    app.orgkit.before('member.removed', async (event) => {
      hooks[event.target.id] = await observe('hook', event.target.id)
    })
    app.orgkit.on('member.removed', async (event) => {
      listeners[event.target.id] = await observe('listener', event.target.id)
    })
    for (const [owner, slug, member] of [
      ['ann', 'acme', 'cat'],
      ['bob', 'globex', 'dan'],
    ] as const) {
      const created = await app.request('POST', '/organizations', { as: owner, body: { name: slug, slug } })
      expect(created.status).toBe(201)
      ids[slug] = created.body.id
      const added = await app.request('POST', `/organizations/${slug}/members`, {
        as: owner,
        body: { userId: member, role: 'member' },
      })
      expect(added.status, JSON.stringify(added.body)).toBe(201)
    }
  })
  afterAll(() => app?.close())

  it('two interleaved member removals each run their hook and listener in their own organization', async () => {
    const a = app.request('DELETE', '/organizations/acme/members/cat', { as: 'ann' })
    await gates.reached('cat')
    const b = app.request('DELETE', `/organizations/${ids.globex}/members/dan`, { as: 'bob' })
    await gates.reached('dan')
    gates.release('dan')
    expect((await b).status).toBe(204)
    gates.release('cat')
    expect((await a).status).toBe(204)
    expect(hooks).toEqual({ cat: ids.acme, dan: ids.globex })
    expect(listeners).toEqual({ cat: ids.acme, dan: ids.globex })
  })
})
