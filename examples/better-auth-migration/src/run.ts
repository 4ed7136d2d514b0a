/**
 * `npm run migrate -w @orgkit/example-better-auth-migration` with `DATABASE_URL` set to the
 * database Better Auth uses (`sqlite:<file>`, `postgres://…`, `mysql://…`): creates orgkit's
 * tables there, moves the data, and prints the report.
 */
import { createOrgkit } from '@orgkit/core'
import { openDatabase } from '@orgkit/example-shared'
import { kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import { BETTER_AUTH_USERS, migrateFromBetterAuth } from './migrate'

const url = process.env.DATABASE_URL
if (!url) throw new Error('Set DATABASE_URL to the database Better Auth uses.')
const { db } = openDatabase(url)
try {
  const { error } = await migrateToLatest(db)
  if (error) throw error
  const orgkit = createOrgkit({ storage: kyselyStorage(db, { users: BETTER_AUTH_USERS }) })
  console.log(JSON.stringify(await migrateFromBetterAuth(db, orgkit), null, 2))
} finally {
  await db.destroy()
}
