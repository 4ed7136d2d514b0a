import SQLite from 'better-sqlite3'
import { SignJWT } from 'jose'
import { expect } from 'vitest'

/**
 * What a reader of docs/getting-started.md does with the app it ends with, over HTTP: the
 * same steps against the app run from the repository's sources and from the packed
 * packages. `databaseFile` is the app's SQLite file, where the "existing" users are added.
 */
export async function exerciseGettingStartedApp(base: string, databaseFile: string, jwtSecret: string) {
  const file = new SQLite(databaseFile)
  try {
    // The users the app already had; Ann's email as she typed it.
    file
      .prepare('insert into users (id, email, name) values (?, ?, ?), (?, ?, ?)')
      .run('u_ann', 'Ann@Example.com', 'Ann', 'u_bob', 'bob@example.com', 'Bob')
  } finally {
    file.close()
  }
  const key = new TextEncoder().encode(jwtSecret)
  const token = (sub: string, secret = key) =>
    new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(secret)
  const call = async (method: string, path: string, options: { as?: string; jwt?: string; body?: string } = {}) => {
    const jwt = options.jwt ?? (options.as ? await token(options.as) : undefined)
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(jwt ? { authorization: `Bearer ${jwt}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body ?? null,
    })
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
  }

  const created = await call('POST', '/api/organizations', { as: 'u_ann', body: '{"name":"Acme"}' })
  expect(created).toMatchObject({ status: 201, body: { slug: 'acme', role: 'owner' } })
  const organizationId: string = created.body.id
  expect(await call('GET', '/organizations/acme/projects', { as: 'u_ann' })).toEqual({ status: 200, body: [] })
  const project = await call('POST', '/organizations/acme/projects', { as: 'u_ann', body: '{"name":"Moonshot"}' })
  expect(project).toMatchObject({ status: 201, body: { organization_id: organizationId, name: 'Moonshot' } })
  expect((await call('GET', '/organizations/acme/projects', { as: 'u_ann' })).body).toEqual([project.body])

  // The guard answers as orgkit's own routes: nobody, a non-member, a forged token.
  expect(await call('GET', '/organizations/acme/projects')).toMatchObject({
    status: 401,
    body: { error: { code: 'unauthenticated' } },
  })
  expect((await call('GET', '/organizations/acme/projects', { as: 'u_bob' })).status).toBe(404)
  const forged = await token('u_ann', new TextEncoder().encode('not the secret'))
  expect((await call('GET', '/organizations/acme/projects', { jwt: forged })).status).toBe(401)

  // Members and invitations read the app's users table: Bob by email, in any case.
  const added = await call('POST', '/api/organizations/acme/members', {
    as: 'u_ann',
    body: '{"email":"BOB@example.com"}',
  })
  expect(added).toMatchObject({ status: 201, body: { userId: 'u_bob', role: 'member', user: { name: 'Bob' } } })
  expect((await call('GET', '/organizations/acme/projects', { as: 'u_bob' })).body).toEqual([project.body])
  expect(await call('POST', '/organizations/acme/projects', { as: 'u_bob', body: '{"name":"x"}' })).toMatchObject({
    status: 403,
    body: { error: { code: 'forbidden' } },
  })

  // Malformed JSON on the app's own route: orgkit's error shape, from orgkitErrorHandler.
  expect(await call('POST', '/organizations/acme/projects', { as: 'u_ann', body: '{"name":' })).toMatchObject({
    status: 400,
    body: { error: { code: 'validation_failed', message: 'The request body is not valid JSON.' } },
  })

  // Deleting the organization takes its projects along, through the listener.
  expect((await call('DELETE', '/api/organizations/acme', { as: 'u_ann' })).status).toBe(204)
  const remaining = () => {
    const db = new SQLite(databaseFile, { readonly: true })
    try {
      return db.prepare('select count(*) as n from projects where organization_id = ?').get(organizationId)
    } finally {
      db.close()
    }
  }
  await expect.poll(remaining).toEqual({ n: 0 })
}
