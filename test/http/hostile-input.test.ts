/**
 * What a careless or hostile client sends, answered alike by every adapter on every
 * database: NUL and control characters, lone surrogates, mangled slugs, odd numbers,
 * unknown routes, malformed URLs, wrong content types, oversized bodies on keep-alive
 * connections, and the bytes of the answers themselves.
 */
import { Agent, request as httpRequest } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { type Actor, createOrgkit } from '@orgkit/core'
import { routes } from '@orgkit/core/http'
import { createExpressRouter } from '@orgkit/express'
import { orgkitFastify, orgkitFrameworkErrors } from '@orgkit/fastify'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type TestStorage } from '../support/databases'
import { ADAPTERS, type AdapterName, adapterMatrix, createTestApp, mountable4, type TestApp } from './harness'

const validationFailed = (path: string) => ({
  error: { code: 'validation_failed', message: expect.any(String), details: [{ path, message: expect.any(String) }] },
})
const notFound = { error: { code: 'not_found', message: expect.any(String) } }

describe.each(adapterMatrix())('hostile strings on %s over %s', (adapter, dialect) => {
  let app: TestApp
  beforeAll(async () => {
    app = await createTestApp(adapter, dialect)
    await app.addUser({ id: 'ann', email: 'ann@example.com', username: 'ann' })
    await app.addUser({ id: 'bob', email: 'bob@example.com', username: 'bob' })
    expect((await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Acme' } })).status).toBe(201)
  })
  afterAll(() => app?.close())

  it('refuses U+0000 in every path parameter with a 400 naming it', async () => {
    for (const [method, path, field] of [
      ['GET', '/organizations/ac%00me', 'path.org'],
      ['GET', '/organizations/acme/members/bob%00', 'path.userId'],
      ['DELETE', '/organizations/acme/members/%00', 'path.userId'],
      ['DELETE', '/organizations/acme/invitations/inv_%00', 'path.id'],
      ['POST', '/organizations/acme/invitations/inv_%00/resend', 'path.id'],
      ['DELETE', '/organizations/acme/api-keys/key_%00', 'path.id'],
      ['POST', '/organizations/acme/domains/ac%00me.com/verify', 'path.domain'],
      ['DELETE', '/organizations/acme/domains/%00', 'path.domain'],
      ['POST', '/organizations/acme/join-requests/jrq_%00/deny', 'path.id'],
      ['DELETE', '/join-requests/jrq_%00', 'path.id'],
      ['DELETE', '/organizations/acme/invitation-links/lnk_%00', 'path.id'],
    ] as const) {
      const response = await app.request(method, path, { as: 'ann' })
      expect({ path, status: response.status, body: response.body }).toEqual({
        path,
        status: 400,
        body: validationFailed(field),
      })
    }
  })

  it('refuses U+0000 in string body fields and query parameters, and stores nothing', async () => {
    for (const [method, path, body, field] of [
      ['POST', '/organizations', { name: 'Nul\u0000Corp' }, 'body.name'],
      ['POST', '/organizations', { name: 'Nul Corp', description: 'a\u0000b' }, 'body.description'],
      ['POST', '/organizations', { name: 'Nul Corp', metadata: { plan: 'x\u0000' } }, 'body.metadata.plan'],
      ['PATCH', '/organizations/acme', { contactEmail: 'a\u0000@example.com' }, 'body.contactEmail'],
      ['POST', '/organizations/acme/members', { userId: 'bob\u0000', role: 'member' }, 'body.userId'],
      ['POST', '/organizations/acme/members', { username: 'bob\u0000', role: 'member' }, 'body.username'],
      ['POST', '/organizations/acme/members', { userId: 'bob', role: 'mem\u0000ber' }, 'body.role'],
      ['POST', '/organizations/acme/invitations', { email: 'c\u0000@example.com', role: 'member' }, 'body.email'],
      ['POST', '/organizations/acme/transfer-ownership', { userId: 'bob\u0000' }, 'body.userId'],
      ['POST', '/organizations/acme/api-keys', { name: 'ci', role: 'member\u0000' }, 'body.role'],
      ['POST', '/invitations/accept', { id: 'inv_\u0000' }, 'body.id'],
      ['POST', '/invitations/preview', { token: 'tok\u0000' }, 'body.token'],
      ['POST', '/organizations/acme/domains', { domain: 'ac\u0000me.com' }, 'body.domain'],
      ['PATCH', '/organizations/acme/domains/acme.com', { role: 'mem\u0000ber' }, 'body.role'],
      ['POST', '/organizations/acme/join-requests/jrq_x/approve', { role: 'mem\u0000ber' }, 'body.role'],
      ['POST', '/organizations/acme/invitation-links', { role: 'mem\u0000ber' }, 'body.role'],
      ['POST', '/organizations/acme/invitation-links', { role: 'member', domain: 'a\u0000.com' }, 'body.domain'],
    ] as const) {
      const response = await app.request(method, path, { as: 'ann', body })
      expect({ path, status: response.status, body: response.body }).toEqual({
        path,
        status: 400,
        body: validationFailed(field),
      })
    }
    // A bulk invitation's items: the whole request is refused, naming the item's field.
    const bulk = await app.request('POST', '/organizations/acme/invitations/bulk', {
      as: 'ann',
      body: { invitations: [{ email: 'ok@example.com' }, { email: 'c\u0000@example.com', role: 'member' }] },
    })
    expect(bulk).toEqual({ status: 400, body: validationFailed('body.invitations.1.email') })
    const invited = await app.request('GET', '/organizations/acme/invitations', { as: 'ann' })
    expect(invited.body.data).toEqual([])
    const query = await app.request('GET', '/organizations/acme/members?q=b%00', { as: 'ann' })
    expect(query).toEqual({ status: 400, body: validationFailed('query.q') })
    const mine = await app.request('GET', '/organizations', { as: 'ann' })
    expect(mine.body.data.map((organization: { slug: string }) => organization.slug)).toEqual(['acme'])
    expect((await app.request('GET', '/organizations/acme/members/bob', { as: 'ann' })).status).toBe(404)
  })

  it('refuses other control characters and DEL in ids, slugs, emails, keys and usernames', async () => {
    for (const [method, path, body, field] of [
      ['GET', '/organizations/ac%01me', undefined, 'path.org'],
      ['GET', '/organizations/acme%7F', undefined, 'path.org'],
      ['GET', '/organizations/acme/members/bob%0A', undefined, 'path.userId'],
      ['POST', '/organizations/acme/members', { userId: 'bob\t', role: 'member' }, 'body.userId'],
      ['POST', '/organizations/acme/members', { username: 'bob\u007f', role: 'member' }, 'body.username'],
      ['POST', '/organizations/acme/invitations', { email: 'c\u001b@example.com', role: 'member' }, 'body.email'],
      ['POST', '/organizations', { name: 'Ctl', slug: 'ctl\n' }, 'body.slug'],
      ['POST', '/invitations/accept', { token: 'a\rb' }, 'body.token'],
      ['POST', '/organizations/acme/domains', { domain: 'ac\u0007me.com' }, 'body.domain'],
      ['POST', '/organizations/acme/invitation-links', { role: 'member', domain: 'acme\u001b.com' }, 'body.domain'],
    ] as const) {
      const response = await app.request(method, path, { as: 'ann', ...(body ? { body } : {}) })
      expect({ path, status: response.status, body: response.body }).toEqual({
        path,
        status: 400,
        body: validationFailed(field),
      })
    }
  })

  it('keeps tab and line breaks in free text, and refuses other controls and lone surrogates there', async () => {
    const created = await app.request('POST', '/organizations', {
      as: 'ann',
      body: { name: 'Tab\tCo', description: 'line one\nline two\r\n\tend', metadata: { note: 'a\nb' } },
    })
    expect(created.status).toBe(201)
    const read = await app.request('GET', `/organizations/${created.body.slug}`, { as: 'ann' })
    expect(read.body).toMatchObject({
      name: 'Tab\tCo',
      description: 'line one\nline two\r\n\tend',
      metadata: { note: 'a\nb' },
    })
    for (const [body, field] of [
      [{ name: 'Bell\u0007' }, 'body.name'],
      [{ name: 'Ok', description: 'esc\u001b[31m' }, 'body.description'],
      [{ name: 'Half \ud83d' }, 'body.name'],
      [{ name: 'Ok', metadata: { 'a\u0001': 'b' } }, 'body.metadata'],
    ] as const) {
      const response = await app.request('POST', '/organizations', { as: 'ann', body })
      expect({ field, status: response.status, body: response.body }).toEqual({
        field,
        status: 400,
        body: validationFailed(field),
      })
    }
  })
})

describe.each(ADAPTERS)('the HTTP edge on %s', (adapter) => {
  let app: TestApp
  beforeAll(async () => {
    app = await createTestApp(adapter, 'sqlite')
    await app.addUser({ id: 'ann', email: 'ann@example.com' })
    expect((await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Acme' } })).status).toBe(201)
  })
  afterAll(() => app?.close())

  it('lower-cases a slug but never mangles one into the pattern', async () => {
    for (const slug of ['\u212Aelvin', 'adv ', ' adv', '\u0130stanbul', 'ａｃｍｅ']) {
      const response = await app.request('POST', '/organizations', { as: 'ann', body: { name: 'X', slug } })
      expect({ slug, status: response.status, body: response.body }).toEqual({
        slug,
        status: 400,
        body: validationFailed('body.slug'),
      })
    }
    const upper = await app.request('POST', '/organizations', { as: 'ann', body: { name: 'X', slug: 'Kelvin-Co' } })
    expect(upper.status).toBe(201)
    expect(upper.body.slug).toBe('kelvin-co')
  })

  it('reads ?limit= as a plain decimal number only', async () => {
    for (const limit of ['0x10', '1e1', '16.0', '%2016', '%2B16', '016', '0', '101', '-1', '']) {
      const response = await app.request('GET', `/organizations?limit=${limit}`, { as: 'ann' })
      expect({ limit, status: response.status, body: response.body }).toEqual({
        limit,
        status: 400,
        body: validationFailed('query.limit'),
      })
    }
    for (const limit of ['1', '16', '100']) {
      expect((await app.request('GET', `/organizations?limit=${limit}`, { as: 'ann' })).status).toBe(200)
    }
  })

  it('answers 404 not_found in the error shape for every path or method that is not a route', async () => {
    for (const [method, path] of [
      ['GET', ''],
      ['GET', '/'],
      ['GET', '/nope'],
      ['GET', '/organizations/acme/nope'],
      ['GET', '/organizations/acme/members/ann/extra'],
      ['GET', '/Industries'],
      ['GET', '/industries/'],
      ['GET', '/organizations/'],
      ['PUT', '/organizations'],
      ['POST', '/industries'],
      ['PATCH', '/openapi.json'],
      ['DELETE', '/invitations'],
      ['OPTIONS', '/organizations'],
    ] as const) {
      const response = await app.request(method, path, { as: 'ann' })
      expect({ method, path, status: response.status, body: response.body }).toEqual({
        method,
        path,
        status: 404,
        body: notFound,
      })
    }
    // Unknown is unknown whatever the body: no content-type or size check runs first.
    const posted = await app.request('POST', '/nope', { rawBody: 'plain', headers: { 'content-type': 'text/plain' } })
    expect(posted).toEqual({ status: 404, body: notFound })
  })

  it('answers 400 validation_failed for a path or query that is not valid percent-encoding', async () => {
    for (const path of [
      '/organizations/%zz',
      '/organizations/100%',
      '/organizations/%E0%A4%A',
      '/organizations/acme/members/%FF',
      '/nope/%zz',
    ]) {
      const response = await app.request('GET', path, { as: 'ann' })
      expect({ path, status: response.status, body: response.body }).toEqual({
        path,
        status: 400,
        body: validationFailed('path'),
      })
    }
    const query = await app.request('GET', '/organizations/acme/members?q=%zz', { as: 'ann' })
    expect(query).toEqual({ status: 400, body: validationFailed('query') })
  })

  it('routes parameters of any length to the route, whose schema judges them', async () => {
    // Fastify's router gives up on parameters over 100 characters with its own 414.
    const long = await app.request('GET', `/organizations/${'a'.repeat(200)}`, { as: 'ann' })
    expect(long).toEqual({ status: 404, body: notFound })
    const member = await app.request('GET', `/organizations/acme/members/${'u'.repeat(200)}`, { as: 'ann' })
    expect(member).toEqual({ status: 404, body: notFound })
    const tooLong = await app.request('GET', `/organizations/${'a'.repeat(300)}`, { as: 'ann' })
    expect(tooLong).toEqual({ status: 400, body: validationFailed('path.org') })
    // Percent-escapes of unreserved characters are the characters themselves (RFC 3986).
    expect((await app.request('GET', '/organization%73/acme', { as: 'ann' })).status).toBe(200)
  })

  it('takes JSON only, as application/json or application/*+json in UTF-8', async () => {
    const json = JSON.stringify({ name: 'Typed' })
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json-seq',
      'application/json; charset=iso-8859-1',
      'json',
      'application/',
    ]) {
      const response = await app.request('POST', '/organizations', {
        as: 'ann',
        rawBody: json,
        headers: { 'content-type': type },
      })
      expect({ type, status: response.status, body: response.body }).toEqual({
        type,
        status: 400,
        body: validationFailed('body'),
      })
    }
    for (const type of ['application/json; charset=UTF-8', 'application/merge-patch+json', 'Application/JSON']) {
      const response = await app.request('POST', '/organizations', {
        as: 'ann',
        rawBody: JSON.stringify({ name: `Typed ${type.length}` }),
        headers: { 'content-type': type },
      })
      expect({ type, status: response.status }).toEqual({ type, status: 201 })
    }
    const malformed = await app.request('POST', '/organizations', { as: 'ann', rawBody: '{"name": ' })
    expect(malformed).toEqual({ status: 400, body: validationFailed('body') })
  })

  it('refuses a body nested thousands of levels deep with a 400 on every route, without parsing it', async () => {
    const depth = 5_000
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`
    const deepObject = `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`
    const deepField = `{"name":"Deep","metadata":${deepObject}}`
    const bodyRoutes = routes.filter((route) => route.method !== 'GET')
    expect(bodyRoutes.length).toBeGreaterThan(20)
    for (const route of bodyRoutes) {
      const path = route.path.replace(/:(\w+)/g, (_, name: string) => (name === 'org' ? 'acme' : 'x'))
      for (const rawBody of [deepArray, deepObject, deepField]) {
        const response = await app.request(route.method, path, { as: 'ann', rawBody })
        expect({ route: `${route.method} ${route.path}`, status: response.status, body: response.body }).toEqual({
          route: `${route.method} ${route.path}`,
          status: 400,
          body: validationFailed('body'),
        })
      }
    }
    // Brackets inside strings are text, not nesting.
    const bracketed = await app.request('POST', '/organizations', {
      as: 'ann',
      rawBody: JSON.stringify({ name: 'Brackets', metadata: { note: '['.repeat(depth), quote: '\\"{{{' } }),
    })
    expect(bracketed.status).toBe(201)
  })

  it('refuses a body on a DELETE, which takes none, as it does on any route without one', async () => {
    const response = await app.request('DELETE', '/organizations/acme', { as: 'ann', body: { force: true } })
    expect(response).toEqual({ status: 400, body: validationFailed('body') })
    expect((await app.request('GET', '/organizations/acme', { as: 'ann' })).status).toBe(200)
  })
})

/** A real server on port 0 for each adapter (Fastify included), for what only a socket shows. */
async function listen(adapter: AdapterName, bodyLimit?: number) {
  const env: TestStorage = await createTestStorage('sqlite')
  await env.addUser({ id: 'ann', email: 'ann@example.com' })
  const orgkit = createOrgkit({ storage: env.storage })
  const resolveActor = (headers: Record<string, unknown>): Actor | null =>
    headers['x-user-id'] === 'ann' ? { type: 'user', userId: 'ann' } : null
  const options = { resolveActor: (req: { headers: Record<string, unknown> }) => resolveActor(req.headers) }
  let port: number
  let close: () => Promise<void>
  if (adapter === 'fastify') {
    const app = Fastify({ frameworkErrors: orgkitFrameworkErrors({ prefix: '/api' }) })
    await app.register(orgkitFastify, { orgkit, prefix: '/api', ...options, ...(bodyLimit ? { bodyLimit } : {}) })
    await app.listen({ port: 0, host: '127.0.0.1' })
    port = (app.server.address() as AddressInfo).port
    close = () => app.close()
  } else {
    const router = createExpressRouter(orgkit, { ...options, ...(bodyLimit ? { bodyLimit } : {}) })
    const app = adapter === 'express' ? express().use('/api', router) : express4().use('/api', mountable4(router))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    port = (server.address() as AddressInfo).port
    close = () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
  return {
    port,
    async close() {
      await close()
      await env.destroy()
    },
  }
}

interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  reusedSocket: boolean
}

function send(
  port: number,
  agent: Agent,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, method, path: `/api${path}`, agent, headers: { 'x-user-id': 'ann', ...headers } },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            reusedSocket: request.reusedSocket,
          }),
        )
      },
    )
    request.on('error', reject)
    request.end(body)
  })
}

describe.each(ADAPTERS)('connections and bytes on %s', (adapter) => {
  let server: Awaited<ReturnType<typeof listen>>
  let agent: Agent
  beforeAll(async () => {
    server = await listen(adapter, 4096)
    agent = new Agent({ keepAlive: true, maxSockets: 1 })
  })
  afterAll(async () => {
    agent?.destroy()
    await server?.close()
  })

  it('ends every JSON answer, errors included, with a newline', async () => {
    for (const [method, path, status] of [
      ['GET', '/industries', 200],
      ['POST', '/organizations', 400],
      ['GET', '/nope', 404],
      ['GET', '/organizations/%zz', 400],
    ] as const) {
      const response = await send(server.port, agent, method, path)
      expect({ path, status: response.status, type: response.headers['content-type'] }).toEqual({
        path,
        status,
        type: 'application/json; charset=utf-8',
      })
      expect(response.text.endsWith('}\n'), response.text).toBe(true)
      expect(JSON.parse(response.text)).toBeTypeOf('object')
    }
  })

  it('answers a body over bodyLimit with a 400 and keeps the keep-alive connection usable', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(20_000) })
    const refused = await send(server.port, agent, 'POST', '/organizations', big, {
      'content-type': 'application/json',
    })
    expect(refused.status).toBe(400)
    expect(JSON.parse(refused.text)).toEqual(validationFailed('body'))
    expect(refused.headers.connection).not.toBe('close')
    const next = await send(server.port, agent, 'GET', '/industries')
    expect(next.status).toBe(200)
    expect(next.reusedSocket).toBe(true)
    // Under the limit, the same route takes it.
    const small = await send(server.port, agent, 'POST', '/organizations', JSON.stringify({ name: 'Small' }), {
      'content-type': 'application/json',
    })
    expect(small.status).toBe(201)
  })

  it('refuses a body that is not UTF-8 rather than storing replacement characters', async () => {
    const bytes = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')])
    const response = await send(server.port, agent, 'POST', '/organizations', bytes, {
      'content-type': 'application/json',
    })
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text)).toEqual(validationFailed('body'))
  })

  it('answers an announced body far over the limit at once, with Connection: close', async () => {
    const socket = connect(server.port, '127.0.0.1')
    const received: Buffer[] = []
    socket.on('data', (chunk) => received.push(chunk))
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.on('error', () => {})
    socket.write(
      'POST /api/organizations HTTP/1.1\r\nHost: localhost\r\nx-user-id: ann\r\n' +
        'content-type: application/json\r\ncontent-length: 10000000000\r\n\r\n{"name":',
    )
    await closed
    const text = Buffer.concat(received).toString('utf8')
    expect(text).toMatch(/^HTTP\/1\.1 400 /)
    expect(text.toLowerCase()).toContain('connection: close')
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual(validationFailed('body'))
  })
})

describe('bodyLimit on both adapters', () => {
  it('defaults to 1 MiB and is checked when the app is built', async () => {
    const env = await createTestStorage('sqlite')
    const orgkit = createOrgkit({ storage: env.storage })
    try {
      expect(() => createExpressRouter(orgkit, { bodyLimit: 0 })).toThrow('@orgkit/express: the `bodyLimit`')
      await expect(Fastify().register(orgkitFastify, { orgkit, bodyLimit: 1.5 }).ready()).rejects.toThrow(
        '@orgkit/fastify: the `bodyLimit`',
      )
    } finally {
      await env.destroy()
    }
    for (const adapter of ADAPTERS) {
      const server = await listen(adapter)
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      try {
        const justUnder = JSON.stringify({ name: 'x', description: 'y'.repeat(1_048_576 - 40) })
        const justOver = JSON.stringify({ name: 'x', description: 'y'.repeat(1_048_576) })
        const headers = { 'content-type': 'application/json' }
        const under = await send(server.port, agent, 'POST', '/organizations', justUnder, headers)
        // Read whole (then refused by the schema's 2000-character description), not cut off.
        expect({ adapter, body: JSON.parse(under.text) }).toEqual({
          adapter,
          body: validationFailed('body.description'),
        })
        const over = await send(server.port, agent, 'POST', '/organizations', justOver, headers)
        expect({ adapter, body: JSON.parse(over.text) }).toEqual({ adapter, body: validationFailed('body') })
      } finally {
        agent.destroy()
        await server.close()
      }
    }
  })
})

describe.each(['express', 'express4'] as const)("a body the host's own JSON parser read on %s", (adapter) => {
  it('is taken as parsed, and held to the same depth limit: a 400, not a stack overflow', async () => {
    const env = await createTestStorage('sqlite')
    await env.addUser({ id: 'ann', email: 'ann@example.com' })
    const orgkit = createOrgkit({ storage: env.storage })
    const router = createExpressRouter(orgkit, { resolveActor: () => ({ type: 'user', userId: 'ann' }) })
    const app =
      adapter === 'express'
        ? express()
            .use(express.json({ limit: '1mb' }))
            .use('/api', router)
        : express4()
            .use(express4.json({ limit: '1mb' }))
            .use('/api', mountable4(router))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    const agent = new Agent()
    try {
      const headers = { 'content-type': 'application/json' }
      const depth = 5_000
      for (const body of [
        `${'['.repeat(depth)}${']'.repeat(depth)}`,
        `{"name":"Deep","metadata":${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}}`,
      ]) {
        const response = await send(port, agent, 'POST', '/organizations', body, headers)
        expect({ status: response.status, body: JSON.parse(response.text) }).toEqual({
          status: 400,
          body: validationFailed('body'),
        })
      }
      // 31 levels below `metadata` is one too many; 30 are kept.
      const nested = (levels: number) => `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`
      const over = await send(
        port,
        agent,
        'POST',
        '/organizations',
        `{"name":"Over","metadata":${nested(31)}}`,
        headers,
      )
      expect(over.status).toBe(400)
      const kept = await send(
        port,
        agent,
        'POST',
        '/organizations',
        `{"name":"Kept","metadata":${nested(30)}}`,
        headers,
      )
      expect({ status: kept.status, body: JSON.parse(kept.text) }).toMatchObject({
        status: 201,
        body: { name: 'Kept' },
      })
    } finally {
      agent.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await env.destroy()
    }
  })
})
