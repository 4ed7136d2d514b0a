import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createOrgkit, type Orgkit } from '@orgkit/core'
import { kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import { organization } from 'better-auth/plugins/organization'
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BETTER_AUTH_USERS, type MigrationReport, migrateFromBetterAuth, orgkitRole } from '../src/migrate'

/**
 * A database Better Auth created and filled through its own API (users signed up, an
 * organization with an admin, a member of two roles, invitations pending, accepted and
 * canceled), then migrated and checked through orgkit's API.
 */
describe('migrating from Better Auth’s organization plugin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgkit-better-auth-'))
  const file = join(dir, 'auth.db')
  const ids: Record<string, string> = {}
  let db: Kysely<unknown>
  let orgkit: Orgkit
  let report: MigrationReport

  beforeAll(async () => {
    const auth = betterAuth({
      database: new SQLite(file),
      secret: 'a test secret of better auth, 32+ chars',
      baseURL: 'http://127.0.0.1:3000',
      telemetry: { enabled: false },
      logger: { level: 'error' },
      rateLimit: { enabled: false },
      emailAndPassword: { enabled: true },
      plugins: [organization()],
    })
    await (await getMigrations(auth.options)).runMigrations()
    const headers: Record<string, Headers> = {}
    for (const name of ['ann', 'bob', 'cat', 'dan', 'eve']) {
      const { headers: set, response } = await auth.api.signUpEmail({
        body: { email: `${name}@example.com`, password: 'correct horse battery', name },
        returnHeaders: true,
      })
      ids[name] = response.user.id
      headers[name] = new Headers({ cookie: set.get('set-cookie')!.split(';')[0]! })
    }
    const acme = await auth.api.createOrganization({
      body: { name: 'Acme Rockets', slug: 'acme-rockets', metadata: { plan: 'pro' } },
      headers: headers.ann!,
    })
    ids.acme = acme!.id
    await auth.api.addMember({ body: { userId: ids.bob!, role: 'admin', organizationId: ids.acme } })
    await auth.api.addMember({ body: { userId: ids.cat!, role: ['member', 'admin'], organizationId: ids.acme } })
    // A slug orgkit refuses (a reserved word): it gets one from the name.
    const admin = await auth.api.createOrganization({
      body: { name: 'Admin Tools', slug: 'admin' },
      headers: headers.bob!,
    })
    ids.admin = admin!.id
    const invite = (email: string, organizationId: string, by: string, role: 'member' | 'admin' = 'member') =>
      auth.api.createInvitation({ body: { email, role, organizationId }, headers: headers[by]! })
    await invite('dan@example.com', ids.acme, 'ann', 'admin')
    const accepted = await invite('eve@example.com', ids.admin, 'bob')
    await auth.api.acceptInvitation({ body: { invitationId: accepted.id }, headers: headers.eve! })
    const canceled = await invite('zed@example.com', ids.acme, 'ann')
    await auth.api.cancelInvitation({ body: { invitationId: canceled.id }, headers: headers.ann! })

    db = new Kysely({ dialect: new SqliteDialect({ database: new SQLite(file) }) })
    const { error } = await migrateToLatest(db)
    if (error) throw error
    orgkit = createOrgkit({ storage: kyselyStorage(db, { users: BETTER_AUTH_USERS }) })
    report = await migrateFromBetterAuth(db, orgkit)
  })
  afterAll(async () => {
    await db?.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  const as = (name: string) => orgkit.as({ type: 'user', userId: ids[name]!, email: `${name}@example.com` })

  it('moves each organization with its profile, owned by its Better Auth owner', async () => {
    expect(report.organizations).toHaveLength(2)
    expect(report.organizations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ betterAuthId: ids.acme, slug: 'acme-rockets', created: true, slugChanged: false }),
        expect.objectContaining({ betterAuthId: ids.admin, slug: 'admin-tools', created: true, slugChanged: true }),
      ]),
    )
    const acme = await as('ann').organizations.get('acme-rockets')
    expect(acme).toMatchObject({ name: 'Acme Rockets', role: 'owner', memberCount: 3, metadata: { plan: 'pro' } })
    expect((await as('bob').organizations.get('admin-tools')).role).toBe('owner')
  })

  it('moves the members with one role each, the highest of theirs, and names from the user table', async () => {
    const members = await as('ann').members.list('acme-rockets')
    expect(members.data.map((member) => [member.user.name, member.role]).sort()).toEqual([
      ['ann', 'owner'],
      ['bob', 'admin'],
      ['cat', 'admin'],
    ])
    // Eve accepted her invitation in Better Auth: she is a member now.
    expect((await as('eve').organizations.get('admin-tools')).role).toBe('member')
    expect(orgkitRole('member,admin')).toBe('admin')
    expect(orgkitRole('billing')).toBe('billing')
  })

  it('issues pending invitations again with a new secret, and leaves used and canceled ones', async () => {
    expect(report.invitations).toEqual([
      expect.objectContaining({ email: 'dan@example.com', token: expect.any(String), acceptUrl: expect.any(String) }),
    ])
    const listed = await as('ann').invitations.list('acme-rockets', { status: 'pending' })
    expect(listed.data.map((invitation) => [invitation.email, invitation.role])).toEqual([['dan@example.com', 'admin']])
    const joined = await as('dan').invitations.accept({ token: report.invitations[0]!.token })
    expect(joined).toMatchObject({ role: 'admin', user: { name: 'dan' } })
    expect(report.skipped).toEqual([])
  })

  it('moves nothing twice when run again', async () => {
    const again = await migrateFromBetterAuth(db, orgkit)
    expect(again.organizations.map((organization) => organization.created)).toEqual([false, false])
    expect(again.membersAdded).toBe(0)
    expect(again.invitations).toEqual([])
    expect(again.skipped.map((skipped) => skipped.kind)).toEqual(['invitation'])
    expect((await as('ann').organizations.list()).data.map((organization) => organization.slug)).toEqual([
      'acme-rockets',
    ])
  })
})
