import { createDemoHost, type DemoHost, hostFromEnv, portFromEnv } from '@orgkit/example-shared'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createScratchDatabaseUrl, testDialects } from '../../../test/support/databases'

describe.each(testDialects())('the demo host on %s', (dialect) => {
  let database: { url: string; drop(): Promise<void> }
  let host: DemoHost

  beforeAll(async () => {
    // A `DATABASE_URL` as a user would pass it: the quickstart opens its own database from it.
    database = await createScratchDatabaseUrl(dialect)
    host = await createDemoHost({ databaseUrl: database.url, log: () => {} })
  })
  afterAll(async () => {
    await host?.close()
    await database?.drop()
  })

  const countUsers = async () => (await host.db.selectFrom('users').select('id').execute()).length

  it('signs up users, lower-casing email and username', async () => {
    const created = await host.createUser({
      email: ' Ann@Example.com ',
      username: 'Ann',
      name: 'Ann',
      emailVerified: false,
      platformRole: 'superadmin',
    })
    expect(created).toEqual({
      status: 201,
      body: {
        id: expect.stringMatching(/^usr_[0-9a-f]{16}$/),
        email: 'ann@example.com',
        username: 'ann',
        name: 'Ann',
        emailVerified: false,
        platformRole: 'superadmin',
      },
    })
    const plain = await host.createUser({ email: 'bob@example.com' })
    expect(plain.body).toMatchObject({ username: null, name: null, emailVerified: true, platformRole: null })
  })

  it('answers an existing email with the existing user, unchanged, so that the tour runs twice', async () => {
    const before = await countUsers()
    const [ann] = await host.db.selectFrom('users').select('id').where('email', '=', 'ann@example.com').execute()
    const again = await host.createUser({ email: ' ANN@example.com', username: 'someone-else', name: 'Other' })
    expect(again).toEqual({
      status: 200,
      body: {
        id: ann!.id,
        email: 'ann@example.com',
        username: 'ann',
        name: 'Ann',
        emailVerified: false,
        platformRole: 'superadmin',
      },
    })
    expect(await countUsers()).toBe(before)
  })

  it('refuses a username taken by another email with 409 and bad input with 400, changing nothing', async () => {
    const before = await countUsers()
    expect(await host.createUser({ email: 'new@example.com', username: 'ANN' })).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: 'That username is taken.' } },
    })

    const unknownField = await host.createUser({ email: 'carl@example.com', id: 'usr_chosen' })
    expect(unknownField.status).toBe(400)
    expect(unknownField.body).toEqual({
      error: {
        code: 'validation_failed',
        message: expect.any(String),
        details: [{ path: 'body', message: 'Unknown field: id' }],
      },
    })
    const badEmail = await host.createUser({ email: 'not-an-email' })
    expect(badEmail.body).toMatchObject({ error: { details: [{ path: 'body.email' }] } })
    for (const body of [undefined, null, 'ann', [], { email: 'x@example.com', platformRole: 'owner' }]) {
      expect((await host.createUser(body)).status).toBe(400)
    }
    expect(await countUsers()).toBe(before)
  })

  it('resolves x-user-id to the stored user, and anything else to nobody', async () => {
    const { body } = await host.createUser({ email: 'dora@example.com', emailVerified: false })
    const id = (body as { id: string }).id
    expect(await host.resolveActor({ 'x-user-id': id, 'x-organization-id': 'org_current' })).toEqual({
      type: 'user',
      userId: id,
      email: 'dora@example.com',
      emailVerified: false,
      platformRole: undefined,
      organizationId: 'org_current',
    })
    const superadmin = await host.db.selectFrom('users').select('id').where('email', '=', 'ann@example.com').execute()
    expect(await host.resolveActor({ 'x-user-id': superadmin[0]!.id })).toMatchObject({
      platformRole: 'superadmin',
      emailVerified: false,
      organizationId: undefined,
    })
    expect(await host.resolveActor({})).toBeNull()
    expect(await host.resolveActor({ 'x-user-id': 'usr_nobody' })).toBeNull()
    expect(await host.resolveActor({ 'x-user-id': ['a', 'b'] })).toBeNull()
  })

  it("keeps each organization's projects to itself", async () => {
    const a = await host.projects.create('org_a', { name: ' Rocket ' })
    expect(a).toEqual({
      status: 201,
      body: {
        id: expect.stringMatching(/^prj_/),
        organizationId: 'org_a',
        name: 'Rocket',
        createdAt: expect.any(String),
      },
    })
    await host.projects.create('org_b', { name: 'Satellite' })
    expect(await host.projects.list('org_a')).toEqual({ status: 200, body: { data: [a.body] } })
    expect((await host.projects.create('org_a', { name: 'X', organizationId: 'org_b' })).status).toBe(400)
    expect((await host.projects.list('org_b')).body).toMatchObject({ data: [{ name: 'Satellite' }] })
  })

  it('starts again on the same database: tables and migrations are left as they are', async () => {
    const again = await createDemoHost({ databaseUrl: database.url, log: () => {} })
    try {
      const ann = await again.createUser({ email: 'ann@example.com' })
      expect(ann).toMatchObject({ status: 200, body: { email: 'ann@example.com', username: 'ann' } })
      const org = await again.orgkit.as({ type: 'user', userId: 'usr_x' }).organizations.list()
      expect(org.data).toEqual([])
    } finally {
      await again.close()
    }
  })
})

describe('configuration from the environment', () => {
  it('refuses a DATABASE_URL of an unknown kind without echoing its password', async () => {
    const failure = createDemoHost({ databaseUrl: 'postgress://app:s3cret@db.example/app' })
    await expect(failure).rejects.toThrow(
      'DATABASE_URL must start with sqlite:, postgres:// or mysql:// (got "postgress:…")',
    )
  })

  it('listens on loopback unless HOST says otherwise', () => {
    expect(hostFromEnv(undefined)).toBe('127.0.0.1')
    expect(hostFromEnv('')).toBe('127.0.0.1')
    expect(hostFromEnv(' 0.0.0.0 ')).toBe('0.0.0.0')
  })

  it('reads PORT as a port number, 3000 when unset', () => {
    expect(portFromEnv(undefined)).toBe(3000)
    expect(portFromEnv(' ')).toBe(3000)
    expect(portFromEnv('0')).toBe(0)
    expect(portFromEnv('8080')).toBe(8080)
    for (const bad of ['abc', '-1', '65536', '80.5'])
      expect(() => portFromEnv(bad)).toThrow(/PORT must be a port number/)
  })
})
