import { createOrgkit, type UserActor } from '@orgkit/core'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type TestStorage, testDialects } from '../support/databases'

const user = (userId: string): UserActor => ({ type: 'user', userId, email: `${userId}@example.com` })

/**
 * After a whole invitation and API-key lifecycle, no raw token or key secret may be found
 * in any row of any table, nor in anything a list or get returns: only their hashes (and a
 * key's public prefix) are kept.
 */
describe.each(testDialects())('no secret at rest on %s', (dialect) => {
  let env: TestStorage

  beforeAll(async () => {
    env = await createTestStorage(dialect)
  })
  afterAll(() => env?.destroy())

  async function everyRow(): Promise<string> {
    const tables =
      dialect === 'sqlite'
        ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(env.db)
        : dialect === 'postgres'
          ? await sql<{
              name: string
            }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
              env.db,
            )
          : await sql<{
              name: string
            }>`select table_name as name from information_schema.tables where table_schema = database()`.execute(env.db)
    expect(tables.rows.length).toBeGreaterThan(8)
    const dumps: string[] = []
    for (const { name } of tables.rows) {
      const rows = await sql`select * from ${sql.table(name)}`.execute(env.db)
      dumps.push(
        `${name}: ${JSON.stringify(rows.rows, (_key, value) => (Buffer.isBuffer(value) ? value.toString('utf8') : value))}`,
      )
    }
    return dumps.join('\n')
  }

  it('finds no raw token or secret in any table or response', async () => {
    for (const id of ['ann', 'bob', 'cat']) await env.addUser({ id, email: `${id}@example.com`, username: id })
    const secrets: string[] = []
    const orgkit = createOrgkit({
      storage: env.storage,
      invitations: { send: (_invitation, { token, acceptUrl }) => void secrets.push(token, acceptUrl) },
    })
    const ann = orgkit.as(user('ann'))
    await ann.organizations.create({ name: 'Acme' })

    const invited = await ann.invitations.create('acme', { email: 'bob@example.com', role: 'admin' })
    const resent = await ann.invitations.resend('acme', invited.id)
    await orgkit.as(user('bob')).invitations.preview({ token: resent.token })
    await orgkit.as(user('bob')).invitations.accept({ token: resent.token })
    const declined = await ann.invitations.create('acme', { email: 'cat@example.com' })
    await orgkit.as(user('cat')).invitations.decline({ token: declined.token })
    const revoked = await ann.invitations.create('acme', { email: 'dan@example.com' })
    await ann.invitations.revoke('acme', revoked.id)

    const key = await ann.apiKeys.create('acme', { name: 'CI', role: 'member' })
    const keyActor = await orgkit.authenticateApiKey(key.secret)
    const other = await orgkit.as(user('bob')).apiKeys.create('acme', { name: 'ops', permissions: ['members.read'] })
    await ann.apiKeys.revoke('acme', other.id)

    for (const token of [invited.token, resent.token, declined.token, revoked.token]) secrets.push(token)
    // `ok_<prefix>_<secret>`: the secret part is base64url, which may itself hold `_`, so it
    // is cut off by the pattern, never at the last underscore (that gave a random short tail).
    for (const full of [key.secret, other.secret]) {
      const secretPart = /^ok_[a-z0-9]{12}_(.+)$/.exec(full)?.[1]
      expect(secretPart?.length).toBeGreaterThanOrEqual(32)
      secrets.push(full, secretPart!)
    }
    expect(new Set(secrets).size).toBeGreaterThanOrEqual(8)

    const responses = JSON.stringify([
      await ann.invitations.list('acme'),
      await ann.invitations.list('acme', { status: 'accepted' }),
      await orgkit.as(user('cat')).invitations.mine(),
      await ann.apiKeys.list('acme'),
      await ann.audit.list('acme', { limit: 100 }),
      await orgkit.as(keyActor).organizations.get('me'),
      await ann.members.list('acme'),
    ])
    const rows = await everyRow()
    for (const secret of secrets) {
      const token = secret.includes('token=') ? decodeURIComponent(secret.slice(secret.indexOf('token=') + 6)) : secret
      expect(rows, 'a table holds a raw secret').not.toContain(token)
      expect(responses, 'a list or get returned a raw secret').not.toContain(token)
    }
    // What is stored is the hash, so the scan looked where the secrets would have been.
    expect(rows).toContain(key.prefix)
  })
})
