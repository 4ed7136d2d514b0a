/**
 * The HTTP adapters against a hand-written route of the same framework doing the same work:
 * `GET /organizations/{org}/members?limit=50` with the users joined, behind the same
 * `x-user-id` header check and membership read. The server runs in a process of its own
 * (`worker.ts http-server <framework>`), on loopback; autocannon drives it from the parent.
 */
import type { Orgkit } from '@orgkit/core'
import { createExpressRouter } from '@orgkit/express'
import { orgkitFastify } from '@orgkit/fastify'
import autocannon from 'autocannon'
import express from 'express'
import Fastify from 'fastify'
import type { Spread } from './measure'
import type { ScratchDb } from './targets/orgkit'

export interface HttpResult {
  framework: string
  orgkitRps: Spread
  handWrittenRps: Spread
  /** SQL statements per request, from the server's own count. */
  orgkitStatements: number
  handWrittenStatements: number
  non2xx: number
}

/** Where the server answers how many SQL statements it has sent so far (not under either route's prefix). */
export const STATEMENTS_PATH = '/bench/statements'

const ROLES_WITH_MEMBERS_READ = new Set(['owner', 'admin', 'member'])

/** What orgkit's route does, written out by hand: membership check, then the keyset page with users joined. */
async function handWrittenPage(
  db: ScratchDb,
  userId: string | undefined,
  org: string,
): Promise<{ status: number; body: unknown }> {
  if (userId === undefined || userId === '') {
    return { status: 401, body: { error: { code: 'unauthenticated', message: 'Sign in first.' } } }
  }
  const membership = await db
    .selectFrom('orgkit_members')
    .select('role')
    .where('organization_id', '=', org)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  if (membership === undefined) return { status: 404, body: { error: { code: 'not_found', message: 'Not found.' } } }
  if (!ROLES_WITH_MEMBERS_READ.has(membership.role)) {
    return { status: 403, body: { error: { code: 'forbidden', message: 'Forbidden.' } } }
  }
  const rows = await db
    .selectFrom('orgkit_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'm.role', 'm.joined_at', 'u.email', 'u.name'])
    .where('m.organization_id', '=', org)
    .orderBy('m.joined_at')
    .orderBy('m.user_id')
    .limit(51)
    .execute()
  const data = rows.slice(0, 50).map((row) => ({
    organizationId: org,
    userId: row.user_id,
    role: row.role,
    joinedAt: new Date(row.joined_at).toISOString(),
    user: { id: row.user_id, email: row.email, username: null, name: row.name, imageUrl: null },
  }))
  const last = data.at(-1)
  const hasMore = rows.length > 50
  return {
    status: 200,
    body: {
      data,
      nextCursor:
        hasMore && last ? Buffer.from(JSON.stringify([last.joinedAt, last.userId])).toString('base64url') : null,
      prevCursor: null,
      hasMore,
    },
  }
}

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)

/** Starts the server on 127.0.0.1, on a port of the system's choosing. */
export async function startServer(
  framework: string,
  orgkit: Orgkit,
  db: ScratchDb,
  statements: () => number,
): Promise<{ port: number; close(): Promise<void> }> {
  if (framework === 'express') {
    const app = express()
    app.use(
      '/api',
      createExpressRouter(orgkit, {
        resolveActor: (req) => {
          const userId = header(req.headers['x-user-id'])
          return userId ? { type: 'user', userId } : null
        },
      }),
    )
    app.get(STATEMENTS_PATH, (_req, res) => {
      res.json({ count: statements() })
    })
    app.get('/raw/organizations/:org/members', async (req, res) => {
      const { status, body } = await handWrittenPage(db, header(req.headers['x-user-id']), req.params.org)
      res.status(status).json(body)
    })
    const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
    })
    const address = server.address()
    return {
      port: typeof address === 'object' && address !== null ? address.port : 0,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    }
  }
  const app = Fastify()
  await app.register(orgkitFastify, {
    orgkit,
    prefix: '/api',
    resolveActor: (request) => {
      const userId = header(request.headers['x-user-id'])
      return userId ? { type: 'user', userId } : null
    },
  })
  app.get(STATEMENTS_PATH, async () => ({ count: statements() }))
  app.get<{ Params: { org: string } }>('/raw/organizations/:org/members', async (request, reply) => {
    const { status, body } = await handWrittenPage(db, header(request.headers['x-user-id']), request.params.org)
    return reply.status(status).send(body)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  return { port: typeof address === 'object' && address !== null ? address.port : 0, close: () => app.close() }
}

/** Requests per second, 10 connections, for `seconds`; counts answers that are not 2xx. */
export async function load(
  url: string,
  userId: string,
  seconds: number,
): Promise<{ rps: number; requests: number; non2xx: number }> {
  const result = await autocannon({ url, connections: 10, duration: seconds, headers: { 'x-user-id': userId } })
  return { rps: result.requests.average, requests: result.requests.total, non2xx: result.non2xx + result.errors }
}
