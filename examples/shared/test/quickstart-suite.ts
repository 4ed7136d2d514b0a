import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createDemoHost, type DemoHost, ORGKIT_VERSION } from '@orgkit/example-shared'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** A quickstart app listening on a free loopback port. */
export interface RunningApp {
  /** `http://127.0.0.1:<port>` */
  url: string
  close(): Promise<void>
}

/**
 * The one walkthrough both quickstarts must pass, over real HTTP: each app's test only
 * says how to start it on a demo host. The host runs on a temporary SQLite file.
 */
export function describeQuickstart(name: string, start: (host: DemoHost) => Promise<RunningApp>): void {
  describe(`the ${name} quickstart`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgkit-quickstart-'))
    const mail: string[] = []
    let host: DemoHost
    let app: RunningApp | undefined
    let base: string

    beforeAll(async () => {
      host = await createDemoHost({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, log: (line) => mail.push(line) })
      app = await start(host)
      base = app.url
    })
    afterAll(async () => {
      await app?.close()
      await host?.close()
      rmSync(dir, { recursive: true, force: true })
    })

    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? null : JSON.stringify(body),
      })
      const text = await response.text()
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
    }

    it('signs up demo users, creates an organization, invites and lists members', async () => {
      const ann = await call('POST', '/demo/users', { email: 'ann@example.com', username: 'ann', name: 'Ann' })
      expect(ann.status).toBe(201)
      expect(ann.body.id).toMatch(/^usr_/)
      // Signing up again (the README's tour, run twice) answers the same user.
      expect(await call('POST', '/demo/users', { email: 'ann@example.com' })).toEqual({ status: 200, body: ann.body })
      expect((await call('POST', '/demo/users', { email: 'someone@example.com', username: 'ann' })).status).toBe(409)
      expect((await call('POST', '/demo/users', { email: 'nope' })).status).toBe(400)
      const bob = await call('POST', '/demo/users', { email: 'bob@example.com', username: 'bob' })

      const org = await call('POST', '/api/organizations', { name: 'Acme' }, { 'x-user-id': ann.body.id })
      expect(org.status).toBe(201)
      expect(org.body).toMatchObject({ slug: 'acme', role: 'owner' })
      const invited = await call(
        'POST',
        '/api/organizations/acme/invitations',
        { email: 'bob@example.com' },
        { 'x-user-id': ann.body.id },
      )
      expect(invited.status).toBe(201)
      expect(mail.at(-1)).toContain(invited.body.acceptUrl)
      const page = await fetch(invited.body.acceptUrl.replace('http://localhost:3000', base))
      expect(page.status).toBe(200)
      expect(await page.text()).toContain(JSON.stringify({ token: invited.body.token }))
      expect((await fetch(`${base}/invitations/accept?token=x'y`)).status).toBe(400)
      const accepted = await call(
        'POST',
        '/api/invitations/accept',
        { token: invited.body.token },
        { 'x-user-id': bob.body.id },
      )
      expect(accepted.status).toBe(200)
      const members = await call('GET', '/api/organizations/me/members', undefined, {
        'x-user-id': bob.body.id,
        'x-organization-id': org.body.id,
      })
      expect(members.body.data.map((m: { user: { username: string } }) => m.user.username).sort()).toEqual([
        'ann',
        'bob',
      ])
      expect((await call('GET', '/api/organizations', undefined, { 'x-user-id': 'usr_unknown' })).status).toBe(401)
    })

    it("guards the host's own routes with orgkit permissions, for users and API keys", async () => {
      const owner = (await call('POST', '/demo/users', { email: 'owner@example.com' })).body.id
      const member = (await call('POST', '/demo/users', { email: 'member@example.com', username: 'member' })).body.id
      const outsider = (await call('POST', '/demo/users', { email: 'outsider@example.com' })).body.id
      const as = (id: string) => ({ 'x-user-id': id })
      await call('POST', '/api/organizations', { name: 'Projects Org' }, as(owner))
      await call('POST', '/api/organizations/projects-org/members', { username: 'member' }, as(owner))
      await call('POST', '/api/organizations', { name: 'Elsewhere' }, as(outsider))
      await call('POST', '/organizations/elsewhere/projects', { name: 'Not yours' }, as(outsider))

      const created = await call('POST', '/organizations/projects-org/projects', { name: 'Rocket' }, as(owner))
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ id: expect.stringMatching(/^prj_/), name: 'Rocket' })
      const listed = await call('GET', '/organizations/projects-org/projects', undefined, as(member))
      expect(listed).toEqual({ status: 200, body: { data: [created.body] } })

      const forbidden = await call('POST', '/organizations/projects-org/projects', { name: 'Mine' }, as(member))
      expect(forbidden.status).toBe(403)
      expect(forbidden.body.error.code).toBe('forbidden')
      expect((await call('GET', '/organizations/projects-org/projects', undefined, as(outsider))).status).toBe(404)
      expect((await call('GET', '/organizations/projects-org/projects')).status).toBe(401)
      const invalid = await call('POST', '/organizations/projects-org/projects', { name: '', extra: 1 }, as(owner))
      expect(invalid.status).toBe(400)
      expect(invalid.body.error.code).toBe('validation_failed')

      const key = await call(
        'POST',
        '/api/organizations/projects-org/api-keys',
        { name: 'CI', role: 'member' },
        as(owner),
      )
      const byKey = await call('GET', '/organizations/me/projects', undefined, {
        authorization: `Bearer ${key.body.secret}`,
      })
      expect(byKey.body.data.map((project: { name: string }) => project.name)).toEqual(['Rocket'])
    })

    it('answers GET /api with an index, and serves the API reference from the installed files', async () => {
      expect(await call('GET', '/api')).toEqual({
        status: 200,
        body: {
          name: 'orgkit',
          version: ORGKIT_VERSION,
          description: expect.any(String),
          reference: '/api/reference',
          openapi: '/api/openapi.json',
        },
      })
      expect(ORGKIT_VERSION).toMatch(/^\d+\.\d+\.\d+/)
      // docs/quickstart.md shows this answer; only the version moves with releases.
      const guide = readFileSync(join(import.meta.dirname, '../../../docs/quickstart.md'), 'utf8')
      const shown = JSON.parse(/`GET \/api` answers what is there:\n\n```json\n(.*)\n```/.exec(guide)![1]!)
      expect({ ...shown, version: ORGKIT_VERSION }).toEqual((await call('GET', '/api')).body)
      const page = await fetch(`${base}/api/reference`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const html = await page.text()
      // Everything the page loads is served here: no CDN, no other origin.
      const loaded = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!)
      expect(loaded.sort()).toEqual([
        '/api/reference/favicon-32x32.png',
        '/api/reference/init.js',
        '/api/reference/swagger-ui-bundle.js',
        '/api/reference/swagger-ui.css',
      ])
      const types: Record<string, string> = {}
      for (const path of loaded) {
        const response = await fetch(`${base}${path}`)
        expect(response.status, path).toBe(200)
        types[path] = response.headers.get('content-type') ?? ''
        expect((await response.arrayBuffer()).byteLength, path).toBeGreaterThan(100)
      }
      expect(types['/api/reference/swagger-ui-bundle.js']).toMatch(/^text\/javascript/)
      expect(types['/api/reference/swagger-ui.css']).toMatch(/^text\/css/)
      expect(await (await fetch(`${base}/api/reference/init.js`)).text()).toContain('"/api/openapi.json"')
      for (const path of [
        '/api/reference/package.json',
        '/api/reference/..%2Fpackage.json',
        '/api/reference/index.html',
      ]) {
        expect((await fetch(`${base}${path}`)).status, path).toBe(404)
      }
    })

    it("ends the app's own JSON answers with a newline, as orgkit's", async () => {
      const id = (await call('POST', '/demo/users', { email: 'lines@example.com' })).body.id
      await call('POST', '/api/organizations', { name: 'Lines' }, { 'x-user-id': id })
      for (const [method, path, body] of [
        ['GET', '/api'],
        ['POST', '/demo/users', '{"email":"lines@example.com"}'],
        ['GET', '/organizations/lines/projects'],
        ['POST', '/organizations/lines/projects', '{"name":"Lined"}'],
        ['GET', '/api/organizations/lines'],
      ] as const) {
        const response = await fetch(`${base}${path}`, {
          method,
          headers: { 'x-user-id': id, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ?? null,
        })
        expect(response.headers.get('content-type'), path).toBe('application/json; charset=utf-8')
        expect(await response.text(), `${method} ${path}`).toMatch(/^\{.*\}\n$/)
      }
    })

    it("runs the README's curl tour as written, twice, with the same answers", async () => {
      const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8')
      const tour = readme.slice(readme.indexOf('## A tour with curl'), readme.indexOf('### What the quickstart'))
      const script = [...tour.matchAll(/```sh\n([\s\S]*?)```/g)]
        .map((match) => match[1]!)
        .join('\n')
        .replaceAll('localhost:3000', base.replace('http://', ''))
      expect(script).toContain('TOKEN=')
      /** Each printed line: `id`, a status, `ok` for a JSON answer, `error:<code>` for a refusal. */
      const run = async () => {
        const { stdout } = await promisify(execFile)('bash', ['-c', script])
        return stdout
          .trimEnd()
          .split('\n')
          .map((line) => {
            if (/^usr_\w+$/.test(line)) return 'id'
            if (/^\d{3}$/.test(line)) return line
            try {
              const body = JSON.parse(line) as { error?: { code: string } }
              return body.error ? `error:${body.error.code}` : 'ok'
            } catch {
              return `not one JSON answer: ${line}`
            }
          })
      }
      const expected = [
        'id',
        'ok', // Ann's organization
        'ok', // Bob added
        'ok', // the members
        'error:forbidden',
        'error:not_found',
        'ok', // the preview: the invitation step gave a token
        'error:email_mismatch',
        'ok', // Cat accepts
        'error:invitation_used',
        'ok', // a project
        'ok', // the projects
        'error:forbidden',
        'ok', // the API key
        'ok', // `me` by key
        'ok', // the projects by key
        '204',
        'error:unauthenticated',
        'ok', // the audit trail
        'error:last_owner',
      ]
      expect(await run()).toEqual(expected)
      expect(await run()).toEqual(expected)
    })

    it('answers malformed JSON on its own routes in the same error shape', async () => {
      const response = await fetch(`${base}/demo/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"email":',
      })
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ error: { code: 'validation_failed' } })
    })
  })
}
