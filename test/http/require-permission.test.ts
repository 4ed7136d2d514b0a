import type { AddressInfo } from 'node:net'
import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { createExpressRouter, requirePermission as expressPermission } from '@orgkit/express'
import { requirePermission as fastifyPermission, orgkitFastify } from '@orgkit/fastify'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createTestStorage, type TestStorage } from '../support/databases'
import { mountable4 } from './harness'

type Call = (path: string, userId?: string) => Promise<{ status: number; body: unknown }>

const actorOf = (userId: unknown): Actor | null =>
  typeof userId === 'string' && userId !== '' ? { type: 'user', userId } : null

/** The host's own route, guarded by orgkit: the same checks as orgkit's routes, on either framework. */
async function serve(
  adapter: 'express' | 'express4' | 'fastify',
  orgkit: Orgkit,
): Promise<{ call: Call; close(): Promise<void> }> {
  if (adapter !== 'fastify') {
    const guard = expressPermission(orgkit, 'projects.update', {
      resolveActor: (req) => actorOf(req.headers['x-user-id']),
    })
    const handler = (_req: express.Request, res: express.Response) =>
      res.json({ organization: res.locals.orgkit!.organization.slug, role: res.locals.orgkit!.role!.key })
    const app =
      adapter === 'express'
        ? express().get('/projects/:org', guard, handler)
        : express4().get('/projects/:org', mountable4(guard), mountable4(handler))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    return {
      call: async (path, userId) => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`, {
          headers: userId ? { 'x-user-id': userId } : {},
        })
        return { status: response.status, body: await response.json() }
      },
      close: () => new Promise((resolve) => server.close(() => resolve())),
    }
  }
  const app = Fastify()
  app.get(
    '/projects/:org',
    {
      preHandler: fastifyPermission(orgkit, 'projects.update', {
        resolveActor: (r) => actorOf(r.headers['x-user-id']),
      }),
    },
    async (request) => ({ organization: request.orgkit?.organization.slug, role: request.orgkit?.role?.key }),
  )
  await app.ready()
  return {
    call: async (path, userId) => {
      const response = await app.inject({ method: 'GET', url: path, headers: userId ? { 'x-user-id': userId } : {} })
      return { status: response.statusCode, body: response.json() }
    },
    close: () => app.close(),
  }
}

describe.each(['express', 'express4', 'fastify'] as const)('requirePermission on %s', (adapter) => {
  let env: TestStorage
  let orgkit: Orgkit
  let server: Awaited<ReturnType<typeof serve>>

  beforeAll(async () => {
    env = await createTestStorage('sqlite')
    for (const id of ['ann', 'cat', 'dan']) await env.addUser({ id, email: `${id}@example.com` })
    orgkit = createOrgkit({
      storage: env.storage,
      permissions: ['projects.read', 'projects.update'],
      roles: { member: { grants: ['members.read', 'projects.read'] } },
    })
    await orgkit.as({ type: 'user', userId: 'ann' }).organizations.create({ name: 'Acme' })
    await orgkit.as({ type: 'user', userId: 'ann' }).members.add('acme', { userId: 'cat' })
    server = await serve(adapter, orgkit)
  })
  afterAll(async () => {
    await server?.close()
    await env?.destroy()
  })

  it('lets a holder through with the grant, and refuses everyone else with orgkit’s error body', async () => {
    expect(await server.call('/projects/acme', 'ann')).toEqual({
      status: 200,
      body: { organization: 'acme', role: 'owner' },
    })
    expect(await server.call('/projects/acme', 'cat')).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    })
    expect(await server.call('/projects/acme', 'dan')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    })
    expect(await server.call('/projects/acme')).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthenticated' } },
    })
  })

  it('refuses NUL and control characters in the organization with a 400, on every database alike', async () => {
    for (const path of ['/projects/ac%00me', '/projects/ac%01me']) {
      expect({ path, ...(await server.call(path, 'ann')) }).toEqual({
        path,
        status: 400,
        body: {
          error: {
            code: 'validation_failed',
            message: expect.any(String),
            details: [{ path: 'path.org', message: expect.any(String) }],
          },
        },
      })
    }
  })

  it('refuses an undeclared permission when the route is built', () => {
    const guard = adapter === 'fastify' ? fastifyPermission : expressPermission
    expect(() => guard(orgkit, 'projects.destroy')).toThrow(/projects\.destroy/)
  })

  it('refuses bad options when the route is built, naming the package', () => {
    const guard = adapter === 'fastify' ? fastifyPermission : expressPermission
    const pkg = adapter === 'fastify' ? '@orgkit/fastify' : '@orgkit/express'
    expect(() => guard(orgkit, 'projects.update', { resolveActor: 'x-user-id' as never })).toThrow(
      new RegExp(`${pkg}.*resolveActor`),
    )
    expect(() => guard({} as Orgkit, 'projects.update')).toThrow(pkg)
  })
})

describe('adapter options', () => {
  it('names the package in every option error', async () => {
    const env = await createTestStorage('sqlite')
    onTestFinished(() => env.destroy())
    const orgkit = createOrgkit({ storage: env.storage })
    expect(() => createExpressRouter({} as Orgkit)).toThrow(/^@orgkit\/express: /)
    expect(() => createExpressRouter(orgkit, { onError: true as never })).toThrow('@orgkit/express: the `onError`')
    expect(() => createExpressRouter(orgkit, { bodyLimit: -1 })).toThrow('@orgkit/express: the `bodyLimit`')
    await expect(
      Fastify()
        .register(orgkitFastify, { prefix: '/api' } as never)
        .ready(),
    ).rejects.toThrow(/^@orgkit\/fastify: the `orgkit` option/)
    await expect(
      Fastify()
        .register(orgkitFastify, { orgkit, resolveActor: {} as never })
        .ready(),
    ).rejects.toThrow('@orgkit/fastify: the `resolveActor` option')
  })
})
