import { betterAuth } from 'better-auth'
import { makeSignature } from 'better-auth/crypto'
import { getMigrations } from 'better-auth/db/migration'
import { organization } from 'better-auth/plugins/organization'
import type SqliteDatabase from 'better-sqlite3'
import type pg from 'pg'
import type { StatementCounter } from '../measure'
import { type BenchOrganization, type BenchSystem, type BenchUser, benchUser } from '../workloads'

const SECRET = 'orgkit-bench-secret-not-a-real-one-0123456789abcdef'
const BATCH = 500

/**
 * Better Auth with its organization plugin, called in-process through `auth.api.*` as a
 * server would, on a SQLite database or a PostgreSQL pool (whose connections' `search_path`
 * names a scratch schema). Endpoints that take `userId` in the body on the server (create an
 * organization, add a member) are called without a session; the others need one, so each
 * user gets a session row and the signed session cookie Better Auth itself would set.
 */
export async function betterAuthSystem(
  db: SqliteDatabase.Database | pg.Pool,
  counter: StatementCounter,
): Promise<BenchSystem & { version: string }> {
  const auth = betterAuth({
    database: db,
    secret: SECRET,
    baseURL: 'http://127.0.0.1:3000',
    telemetry: { enabled: false },
    logger: { level: 'error' },
    rateLimit: { enabled: false },
    // Its adapter caps every list read without a limit at 100 rows, silently: W7's user is
    // in 200 organizations and `listOrganizations` would return half of them.
    advanced: { database: { defaultFindManyLimit: 1000 } },
    plugins: [organization({ membershipLimit: 10_000_000, invitationLimit: 10_000_000 })],
  })
  const { runMigrations } = await getMigrations(auth.options)
  await runMigrations()

  const cookies = new Map<string, Headers>()
  const memberIds = new Map<string, string>()
  const now = new Date().toISOString()
  const expires = new Date(Date.now() + 30 * 86_400_000).toISOString()
  let nextUser = 0

  const rows = rowWriter(db)
  const headersOf = (user: BenchUser): Headers => {
    const headers = cookies.get(user.id)
    if (headers === undefined) throw new Error(`no session for ${user.id}`)
    return headers
  }
  const memberKey = (org: BenchOrganization, user: BenchUser) => `${org.id} ${user.id}`

  const system: BenchSystem & { version: string } = {
    name: 'Better Auth',
    version: '',
    counter,
    notes: [],
    async seedUsers(count) {
      const users: BenchUser[] = []
      for (let i = 0; i < count; i++) users.push(benchUser(nextUser++))
      for (let i = 0; i < users.length; i += BATCH) {
        const batch = users.slice(i, i + BATCH)
        await rows.usersWithSessions(batch, now, expires)
        for (const u of batch) {
          const token = `tok_${u.id}`
          const signed = `${token}.${await makeSignature(token, SECRET)}`
          cookies.set(u.id, new Headers({ cookie: `better-auth.session_token=${encodeURIComponent(signed)}` }))
        }
      }
      return users
    },
    async createOrganization(owner, name, slug) {
      const org = await auth.api.createOrganization({ body: { name, slug, userId: owner.id } })
      if (!org) throw new Error('Better Auth created no organization')
      return { id: org.id, slug: org.slug }
    },
    async addMember(_owner, org, user, role) {
      const member = await auth.api.addMember({ body: { userId: user.id, role, organizationId: org.id } })
      if (!member) throw new Error('Better Auth added no member')
      memberIds.set(memberKey(org, user), member.id)
    },
    async pageAt(_owner, _org, offset) {
      return offset
    },
    async listMembers(owner, org, page) {
      const result = await auth.api.listMembers({
        headers: headersOf(owner),
        query: { organizationId: org.id, limit: 50, offset: page as number },
      })
      return result.members.length
    },
    async invite(owner, org, email) {
      const invitation = await auth.api.createInvitation({
        headers: headersOf(owner),
        body: { email, role: 'member', organizationId: org.id },
      })
      return invitation.id
    },
    async accept(invitee, _org, invitationId) {
      await auth.api.acceptInvitation({ headers: headersOf(invitee), body: { invitationId } })
    },
    async can(user, org) {
      // A plain member holds only `ac: read` among Better Auth's default statements (it has
      // no "members.read"); that is the granted permission the check asks for.
      const result = await auth.api.hasPermission({
        headers: headersOf(user),
        body: { organizationId: org.id, permissions: { ac: ['read'] } },
      })
      return result.success
    },
    async changeRole(owner, org, user, role) {
      const memberId = memberIds.get(memberKey(org, user))
      if (memberId === undefined) throw new Error(`no member id for ${user.id}`)
      await auth.api.updateMemberRole({ headers: headersOf(owner), body: { memberId, role, organizationId: org.id } })
    },
    async listOrganizations(user) {
      const orgs = await auth.api.listOrganizations({ headers: headersOf(user) })
      return orgs.length
    },
    async settle() {
      await rows.analyze()
    },
    async resolveSession(user) {
      const session = await auth.api.getSession({ headers: headersOf(user) })
      if (session === null) throw new Error(`no session for ${user.id}`)
    },
    async seedLargeOrganization(owner, count) {
      if (!('exec' in db)) throw new Error('the large organization is measured on SQLite only')
      const org = await this.createOrganization(owner, 'Large', 'large')
      const start = nextUser
      nextUser += count
      const base = Date.UTC(2026, 0, 1)
      // The rows Better Auth's own addMember writes: the user (seeded, as everywhere) and
      // the member row. Generated by SQLite in one INSERT … SELECT each.
      db.exec(`with recursive seq(n) as (select ${start} union all select n + 1 from seq where n < ${start + count - 1})
        insert into "user" (id, name, email, "emailVerified", image, "createdAt", "updatedAt")
        select 'usr_' || n, 'User usr_' || n, 'user' || n || '@example.com', 1, null, '${now}', '${now}' from seq`)
      db.exec(`with recursive seq(n) as (select ${start} union all select n + 1 from seq where n < ${start + count - 1})
        insert into "member" (id, "organizationId", "userId", role, "createdAt")
        select 'mem_' || n, '${org.id}', 'usr_' || n, 'member', strftime('%Y-%m-%dT%H:%M:%fZ', (${base} + n) / 1000.0, 'unixepoch') from seq`)
      db.exec('analyze')
      return org
    },
  }
  return system
}

/** Seeds users with their sessions and refreshes statistics, on SQLite or PostgreSQL. */
function rowWriter(db: SqliteDatabase.Database | pg.Pool): {
  usersWithSessions(users: readonly BenchUser[], now: string, expires: string): Promise<void>
  analyze(): Promise<void>
} {
  if ('exec' in db) {
    const insertUser = db.prepare(
      'insert into "user" (id, name, email, "emailVerified", image, "createdAt", "updatedAt") values (?, ?, ?, 1, null, ?, ?)',
    )
    const insertSession = db.prepare(
      'insert into "session" (id, "expiresAt", token, "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") values (?, ?, ?, ?, ?, \'\', \'\', ?)',
    )
    return {
      async usersWithSessions(users, now, expires) {
        db.transaction(() => {
          for (const u of users) {
            insertUser.run(u.id, `User ${u.id}`, u.email, now, now)
            insertSession.run(`ses_${u.id}`, expires, `tok_${u.id}`, now, now, u.id)
          }
        })()
      },
      async analyze() {
        db.exec('analyze')
      },
    }
  }
  return {
    async usersWithSessions(users, now, expires) {
      const ids = users.map((u) => u.id)
      await db.query(
        `insert into "user" (id, name, email, "emailVerified", image, "createdAt", "updatedAt")
         select id, 'User ' || id, email, true, null, $3, $3 from unnest($1::text[], $2::text[]) as t(id, email)`,
        [ids, users.map((u) => u.email), now],
      )
      await db.query(
        `insert into "session" (id, "expiresAt", token, "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")
         select 'ses_' || id, $2, 'tok_' || id, $3, $3, '', '', id from unnest($1::text[]) as t(id)`,
        [ids, expires, now],
      )
    },
    async analyze() {
      await db.query('analyze')
    },
  }
}
