/**
 * The storage the core's tests run on, and what they need of it: a fresh storage and a way
 * to add the host's users. Here that is the in-memory storage of `@orgkit/testing`; the same
 * suites (`../suites/`) run on SQLite, PostgreSQL and MariaDB from the repository's
 * `test/core/`, which may import the Kysely storage that this package's tests never do.
 */
import { randomBytes } from 'node:crypto'
import type { Storage } from '@orgkit/core'
import { memoryStorage } from '@orgkit/testing'

/** A host user as the tests add them. */
export interface TestUser {
  id: string
  email: string
  username: string | null
  name: string | null
  imageUrl: string | null
  emailVerified: boolean
}

/** A fresh storage whatever its kind, with its host users. */
export interface StorageUnderTest {
  /** `memory`, or the SQL dialect. */
  name: string
  storage: Storage
  /** Adds a user to the host's users (see `testUser` for the defaults). */
  addUser(user?: Partial<TestUser>): Promise<TestUser>
  destroy(): Promise<void>
}

/** Makes a fresh, empty storage for one suite. */
export type MakeStorage = () => Promise<StorageUnderTest>

let userCounter = 0

/** A test user; every field has a unique default (`usr_…`, `usr_…@example.test`). */
export function testUser(user: Partial<TestUser> = {}): TestUser {
  userCounter += 1
  const id = user.id ?? `usr_${process.pid}_${userCounter}_${randomBytes(3).toString('hex')}`
  return {
    id,
    email: user.email ?? `${id}@example.test`,
    username: user.username === undefined ? null : user.username,
    name: user.name === undefined ? null : user.name,
    imageUrl: user.imageUrl === undefined ? null : user.imageUrl,
    emailVerified: user.emailVerified ?? false,
  }
}

/** The in-memory storage of `@orgkit/testing`, with its host users. */
export async function memoryStorageUnderTest(): Promise<StorageUnderTest> {
  const storage = memoryStorage()
  return {
    name: 'memory',
    storage,
    async addUser(user) {
      const created = testUser(user)
      storage.addUser({
        id: created.id,
        email: created.email,
        username: created.username,
        name: created.name,
        imageUrl: created.imageUrl,
      })
      return created
    },
    destroy: async () => {},
  }
}
