/**
 * One contract suite, every adapter: `createTestApp('express' | 'express4' | 'fastify', dialect)`
 * serves orgkit's routes under `/api` on a fresh database, and `request()` speaks HTTP to it —
 * through a real server on port 0 for Express (5, and 4 as the `express4` package), through
 * `inject` for Fastify.
 *
 * The host's login is stood in by the `x-user-id` header (users added with `addUser`) and
 * `x-organization-id` for `{org} = me`; `Authorization: Bearer ok_…` goes to orgkit.
 */
import type { AddressInfo } from 'node:net'
import { type Actor, createOrgkit, type Orgkit, type OrgkitOptions } from '@orgkit/core'
import { createExpressRouter } from '@orgkit/express'
import { orgkitFastify, orgkitFrameworkErrors } from '@orgkit/fastify'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import {
  createTestStorage,
  type TestDatabaseOptions,
  type TestDialect,
  type TestStorage,
  type TestStorageOptions,
  type TestUser,
  testDialects,
} from '../support/databases'

export type AdapterName = 'express' | 'express4' | 'fastify'
/** `express` is Express 5; the adapter claims Express 4 too, so the suite runs on both. */
export const ADAPTERS: readonly AdapterName[] = ['express', 'express4', 'fastify']

/**
 * Every adapter on every configured dialect: `describe.each(adapterMatrix())`. Express 4 runs
 * on SQLite only: it differs from Express 5 in the framework, never in the database, which
 * Express 5 and Fastify already cover on every dialect — and the suite stays fast.
 */
export function adapterMatrix(): [AdapterName, TestDialect][] {
  return ADAPTERS.flatMap((adapter) =>
    testDialects()
      .filter((dialect) => adapter !== 'express4' || dialect === 'sqlite')
      .map((dialect): [AdapterName, TestDialect] => [adapter, dialect]),
  )
}

/** The adapter's types are Express 5's; Express 4 calls the same `(req, res, next)`. */
export function mountable4(handler: unknown): express4.RequestHandler {
  return handler as express4.RequestHandler
}

export interface RequestOptions {
  /** Signed in as this user id (`x-user-id`). */
  as?: string
  /** `Authorization: Bearer <apiKey>`. */
  apiKey?: string
  /** `x-organization-id`, the current organization for `me`. */
  organization?: string
  body?: unknown
  /** Sent as is with `content-type: application/json` (for malformed JSON). */
  rawBody?: string
  /** Extra headers, sent last (so `content-type` here wins). */
  headers?: Record<string, string>
}

export interface TestResponse {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON.
  body: any
}

export interface TestApp {
  adapter: AdapterName
  orgkit: Orgkit
  env: TestStorage
  /** Adds a host user; `id` may be left to the database where the users table generates ids. */
  addUser(user: Partial<TestUser> & { platformRole?: 'superadmin' }): Promise<TestUser>
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>
  close(): Promise<void>
}

export async function createTestApp(
  adapter: AdapterName,
  dialect: TestDialect,
  options: Omit<OrgkitOptions, 'storage'> = {},
  /**
   * For the test database: `log` hears every statement (see `TestDatabaseOptions`),
   * `userIds` shapes the host's users table (see `TestStorageOptions`).
   */
  database: TestDatabaseOptions & TestStorageOptions = {},
): Promise<TestApp> {
  const env = await createTestStorage(dialect, database)
  const orgkit = createOrgkit({ ...options, storage: env.storage })
  const users = new Map<string, TestUser & { platformRole?: 'superadmin' }>()
  const resolveActor = (headers: Record<string, string | string[] | undefined>): Actor | null => {
    const user = users.get(String(headers['x-user-id'] ?? ''))
    if (!user) return null
    const organization = headers['x-organization-id']
    return {
      type: 'user',
      userId: user.id,
      email: user.email,
      emailVerified: user.emailVerified,
      platformRole: user.platformRole,
      organizationId: typeof organization === 'string' ? organization : undefined,
    }
  }

  let send: (method: string, path: string, headers: Record<string, string>, payload?: string) => Promise<TestResponse>
  let close: () => Promise<void>
  if (adapter === 'express' || adapter === 'express4') {
    const router = createExpressRouter(orgkit, { resolveActor: (req) => resolveActor(req.headers), onError: () => {} })
    const app = adapter === 'express' ? express().use('/api', router) : express4().use('/api', mountable4(router))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    send = async (method, path, headers, payload) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, body: payload ?? null })
      const text = await response.text()
      // The host's own answers (Express's HTML 404) come back as text.
      const json = response.headers.get('content-type')?.includes('json') ?? false
      return { status: response.status, body: text === '' ? undefined : json ? JSON.parse(text) : text }
    }
    close = () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  } else {
    const app = Fastify({ frameworkErrors: orgkitFrameworkErrors({ prefix: '/api' }) })
    await app.register(orgkitFastify, {
      orgkit,
      prefix: '/api',
      resolveActor: (request) => resolveActor(request.headers),
      onError: () => {},
    })
    await app.ready()
    send = async (method, path, headers, payload) => {
      const response = await app.inject({
        method: method as 'GET',
        url: path,
        headers,
        ...(payload === undefined ? {} : { payload }),
      })
      const json = String(response.headers['content-type'] ?? '').includes('json')
      return {
        status: response.statusCode,
        body: response.body === '' ? undefined : json ? response.json() : response.body,
      }
    }
    close = () => app.close()
  }

  return {
    adapter,
    orgkit,
    env,
    async addUser(user) {
      const created = await env.addUser(user)
      users.set(created.id, { ...created, ...(user.platformRole ? { platformRole: user.platformRole } : {}) })
      return created
    },
    request(method, path, options = {}) {
      const headers: Record<string, string> = {}
      if (options.as) headers['x-user-id'] = options.as
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`
      if (options.organization) headers['x-organization-id'] = options.organization
      let payload: string | undefined
      if (options.rawBody !== undefined || options.body !== undefined) {
        headers['content-type'] = 'application/json'
        payload = options.rawBody ?? JSON.stringify(options.body)
      }
      Object.assign(headers, options.headers)
      return send(method, `/api${path}`, headers, payload)
    },
    async close() {
      await close()
      await env.destroy()
    },
  }
}
