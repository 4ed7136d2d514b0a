import { type OrganizationRecord, type PageInput, pageInput, type Storage } from '@orgkit/core'
import { afterAll, beforeAll, expect } from 'vitest'
import { at, organization } from './fixtures'

/** A host user as the suite adds them; the storage's user directory must then find it. */
export interface ConformanceUser {
  id: string
  email: string
  username: string | null
  name: string | null
}

/** What the suite needs from an implementation: a fresh, empty storage and its host users. */
export interface ConformanceEnv {
  storage: Storage
  /** Adds a user to the host's users, as the host application would. */
  addUser(user: ConformanceUser): Promise<unknown>
  /** Releases whatever `make` opened. */
  destroy(): Promise<void>
  /**
   * How many sessions on the storage's database wait for a lock right now, as the server
   * shows them (PostgreSQL's `pg_stat_activity`, InnoDB's status…). The cases about what a
   * lock reads after a wait poll it, to let the transaction holding the lock commit only
   * once another one really waits for it. A storage whose transactions run one at a time
   * (in memory, SQLite) leaves it out: a transaction started while another is open is
   * queued behind it by construction.
   */
  lockWaiters?: (() => Promise<number>) | undefined
}

/** Makes a fresh, empty storage for one run of the suite (or of one part of it). */
export type MakeConformanceEnv = () => Promise<ConformanceEnv>

/**
 * What every part of the suite is handed: the storage under test (set once `make` has
 * resolved, so read it inside a test or a hook) and the helpers the parts share.
 */
export interface ConformanceContext {
  readonly storage: Storage
  /** A first page of `limit` (default 20), or the page at `cursor`. */
  page(limit?: number, cursor?: string): PageInput
  /** A fresh organization, stored, with `members` (user id → role) added in the order given, one second apart. */
  organizationWith(slug: string, members?: Record<string, string>): Promise<OrganizationRecord>
  /**
   * Resolves once a session waits for a lock (`ConformanceEnv.lockWaiters`, polled: each
   * poll asks the server, so the wait ends on its event, not after a time); at once for a
   * storage without `lockWaiters`.
   */
  untilWaitingForLock(): Promise<void>
}

/** The users every part of the suite may refer to: their emails, usernames and names are what the lookups test. */
const USERS: ConformanceUser[] = [
  { id: 'ann', email: 'Ann@Example.com', username: 'ann', name: 'Ann Lee' },
  { id: 'bob', email: 'bob@example.com', username: 'bob_1', name: 'Bob' },
  { id: 'cat', email: 'cat@example.com', username: 'cat%', name: 'Cat' },
  { id: 'dan', email: 'dan@example.com', username: 'dan', name: 'Dan' },
]

/**
 * Registers, in the enclosing `describe`, the hooks that make one storage for its tests
 * (with the suite's host users) and release it after them.
 */
export function conformanceContext(make: MakeConformanceEnv): ConformanceContext {
  let env: ConformanceEnv | undefined
  beforeAll(async () => {
    env = await make()
    for (const user of USERS) await env.addUser(user)
  })
  afterAll(() => env?.destroy())

  const context: ConformanceContext = {
    get storage(): Storage {
      if (env === undefined) throw new Error('the storage is made in beforeAll: read it inside a test or a hook')
      return env.storage
    },
    page: (limit = 20, cursor?: string) => pageInput({ limit, cursor }),
    async organizationWith(slug, members = {}) {
      const { storage } = context
      const org = organization(slug)
      expect(await storage.organizations.insert(org)).toBe('inserted')
      let second = 0
      for (const [userId, role] of Object.entries(members)) {
        second += 1
        expect(await storage.members.insert({ organizationId: org.id, userId, role, joinedAt: at(second) })).toBe(true)
      }
      return org
    },
    async untilWaitingForLock() {
      const lockWaiters = env?.lockWaiters
      if (lockWaiters === undefined) return
      while ((await lockWaiters()) === 0) {
        // Asked again: the server does not show the waiter yet.
      }
    },
  }
  return context
}
