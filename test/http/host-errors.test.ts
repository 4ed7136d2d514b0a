import type { AddressInfo } from 'node:net'
import { createOrgkit, OrgkitError } from '@orgkit/core'
import { httpStatusOf as coreHttpStatusOf } from '@orgkit/core/http'
import { orgkitErrorHandler as expressErrorHandler, httpStatusOf as expressHttpStatusOf } from '@orgkit/express'
import { orgkitErrorHandler as fastifyErrorHandler, httpStatusOf as fastifyHttpStatusOf } from '@orgkit/fastify'
import express from 'express'
import express4 from 'express4'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type StorageUnderTest } from '../support/databases'
import { mountable4 } from './harness'

/** The host's own error, which orgkit's error handlers must leave to the host. */
class TeapotError extends Error {}

type Answer = { status: number; text: string; body: unknown }
type Call = (method: string, path: string, payload?: string) => Promise<Answer>

describe('orgkit errors on the host’s own routes', () => {
  let t: StorageUnderTest
  let userId: string
  const reported: unknown[] = []
  beforeAll(async () => {
    t = await createTestStorage('memory')
    userId = (await t.addUser()).id
  })
  afterAll(async () => {
    await t?.destroy()
  })

  /** What every host route below does: domain code through orgkit, which may throw. */
  const work = (path: string): Promise<unknown> => {
    const orgkit = createOrgkit({ storage: t.storage })
    if (path === '/members') return orgkit.as({ type: 'user', userId }).members.list('nowhere')
    if (path === '/internal') return Promise.reject(new OrgkitError('internal', 'db password is hunter2'))
    if (path === '/teapot') return Promise.reject(new TeapotError('short and stout'))
    return Promise.resolve({ ok: true })
  }

  const expectations = (call: () => Call) => {
    it('answers an OrgkitError thrown in a handler with its status and orgkit’s error body', async () => {
      const answer = await call()('GET', '/members')
      expect(answer.status).toBe(404)
      expect(answer.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } })
      // The same bytes as orgkit's own answers, final newline included.
      expect(answer.text.endsWith('}\n')).toBe(true)
    })

    it('answers malformed JSON and a body over the parser’s limit as orgkit’s routes do', async () => {
      const malformed = await call()('POST', '/echo', '{"name": ')
      expect(malformed.status).toBe(400)
      expect(malformed.body).toEqual({
        error: {
          code: 'validation_failed',
          message: 'The request body is not valid JSON.',
          details: [{ path: 'body', message: 'The request body is not valid JSON.' }],
        },
      })
      const large = await call()('POST', '/echo', JSON.stringify({ name: 'x'.repeat(2000) }))
      expect(large.status).toBe(400)
      expect(large.body).toMatchObject({
        error: { code: 'validation_failed', message: 'The request body is too large.' },
      })
      expect(await call()('POST', '/echo', '{"name":"ok"}')).toMatchObject({ status: 200, body: { name: 'ok' } })
    })

    it('answers an internal OrgkitError as a bare 500 and reports it', async () => {
      reported.length = 0
      const answer = await call()('GET', '/internal')
      expect(answer.status).toBe(500)
      expect(answer.body).toEqual({ error: { code: 'internal', message: 'Something went wrong.' } })
      expect(answer.text).not.toContain('hunter2')
      expect(reported).toEqual([expect.objectContaining({ code: 'internal' })])
    })

    it('leaves any other error to the host’s own error handler', async () => {
      const answer = await call()('GET', '/teapot')
      expect(answer).toMatchObject({ status: 418, body: { teapot: 'short and stout' } })
    })
  }

  for (const version of ['express', 'express4'] as const) {
    describe(`on ${version}, a real server`, () => {
      let call: Call
      let close: () => Promise<void>
      beforeAll(async () => {
        const handler = (req: { path: string; body?: unknown }, res: express.Response, next: (e: unknown) => void) => {
          // Express 4 does not catch a rejected promise itself: the host passes it to `next`.
          work(req.path).then((result) => res.json(req.path === '/echo' ? req.body : result), next)
        }
        const hostErrors: express.ErrorRequestHandler = (error, _req, res, _next) => {
          res.status(error instanceof TeapotError ? 418 : 599).json({ teapot: (error as Error).message })
        }
        const orgkitErrors = expressErrorHandler({ onError: (error) => reported.push(error) })
        const server =
          version === 'express'
            ? express()
                .get(['/members', '/internal', '/teapot'], handler)
                .post('/echo', express.json({ limit: 1000 }), handler)
                .use(orgkitErrors)
                .use(hostErrors)
                .listen(0, '127.0.0.1')
            : express4()
                .get(['/members', '/internal', '/teapot'], mountable4(handler))
                .post('/echo', express4.json({ limit: 1000 }), mountable4(handler))
                .use(mountable4(orgkitErrors))
                .use(mountable4(hostErrors))
                .listen(0, '127.0.0.1')
        await new Promise((resolve) => server.once('listening', resolve))
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        call = async (method, path, payload) => {
          const response = await fetch(`${base}${path}`, {
            method,
            headers: payload === undefined ? {} : { 'content-type': 'application/json' },
            body: payload ?? null,
          })
          const text = await response.text()
          return { status: response.status, text, body: JSON.parse(text) }
        }
        close = () => new Promise((resolve) => server.close(() => resolve()))
      })
      afterAll(() => close?.())
      expectations(() => call)
    })
  }

  describe('on Fastify, with inject', () => {
    let app: FastifyInstance
    let call: Call
    beforeAll(async () => {
      app = Fastify({ bodyLimit: 1000 })
      app.setErrorHandler(
        fastifyErrorHandler({
          onError: (error) => reported.push(error),
          otherwise: (error, _request, reply) =>
            reply.code(error instanceof TeapotError ? 418 : 599).send({ teapot: error.message }),
        }),
      )
      for (const path of ['/members', '/internal', '/teapot']) app.get(path, (request) => work(request.url))
      app.post('/echo', async (request) => request.body)
      await app.ready()
      call = async (method, url, payload) => {
        const response = await app.inject({
          method: method as 'GET',
          url,
          ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }),
        })
        return { status: response.statusCode, text: response.body, body: response.json() }
      }
    })
    afterAll(() => app?.close())
    expectations(() => call)

    it('without `otherwise`, throws any other error on to Fastify’s own handler', async () => {
      const bare = Fastify()
      bare.setErrorHandler(fastifyErrorHandler())
      bare.get('/teapot', () => work('/teapot'))
      bare.get('/members', () => work('/members'))
      const teapot = await bare.inject({ url: '/teapot' })
      expect(teapot.statusCode).toBe(500)
      expect(teapot.json()).toMatchObject({ statusCode: 500, message: 'short and stout' })
      expect((await bare.inject({ url: '/members' })).json()).toMatchObject({ error: { code: 'not_found' } })
      await bare.close()
    })
  })

  it('refuses an option that is not a function', () => {
    expect(() => expressErrorHandler({ onError: 'log' as never })).toThrow(/@orgkit\/express: the `onError` option/)
    expect(() => fastifyErrorHandler({ otherwise: 1 as never })).toThrow(/@orgkit\/fastify: the `otherwise` option/)
  })
})

describe('httpStatusOf', () => {
  it('maps an OrgkitError to the status of the HTTP contract, anything else to undefined', () => {
    for (const httpStatusOf of [coreHttpStatusOf, expressHttpStatusOf, fastifyHttpStatusOf]) {
      expect(httpStatusOf(new OrgkitError('not_found'))).toBe(404)
      expect(httpStatusOf(new OrgkitError('conflict'))).toBe(409)
      expect(httpStatusOf(new OrgkitError('invitation_expired'))).toBe(410)
      expect(httpStatusOf(new OrgkitError('internal'))).toBe(500)
      expect(httpStatusOf(new Error('not_found'))).toBeUndefined()
      expect(httpStatusOf({ code: 'not_found' })).toBeUndefined()
      expect(httpStatusOf(undefined)).toBeUndefined()
    }
  })
})
