/**
 * The whole storage port on plain `Map`s, for tests: the core's services run on it without a
 * database, and it is the smallest example of a `Storage` that passes the conformance suite
 * (`runStorageConformance` in this package).
 *
 * How it keeps the port's guarantees:
 * - Transactions run one at a time (an async mutex), each on its own copy of the tables,
 *   which replaces the committed tables when the function resolves; a throw drops the copy,
 *   so every write of the transaction rolls back. Serialized transactions make every
 *   "exactly one concurrent caller" guarantee hold, and make `lock` a plain read.
 * - A repository method called outside a transaction is a transaction of its own, so it
 *   queues behind a running transaction like a statement waits for a row lock.
 * - Rows are frozen once stored and replaced, never changed in place, so a copy of the tables
 *   is a copy of the maps; callers get clones, so nothing they do changes a stored row.
 * - Pages are keyset pages with the cursor key `[epoch milliseconds, id]`, as the SQL
 *   adapter encodes them.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import {
  type AddDecidedOn,
  type ApiKeyRecord,
  type AuditEventRecord,
  buildPage,
  type CreatorSlot,
  type CursorKey,
  type CustomRolePatch,
  type CustomRoleRecord,
  type InvitationRecord,
  type MemberRecord,
  type MemberWithUser,
  type OrganizationInsert,
  type OrganizationPatch,
  type OrganizationRecord,
  type OrganizationWithRole,
  OrgkitError,
  type Page,
  type PageInput,
  type Repositories,
  readOrganizationPage,
  type Storage,
  type TeamMemberRecord,
  type TeamMemberWithUser,
  type TeamPatch,
  type TeamRecord,
  type TransactionRepositories,
  type UserSummary,
} from '@orgkit/core'
import { type EnrollmentTables, emptyEnrollmentTables, enrollmentRepositories } from './memory-enrollment'

export interface MemoryStorage extends Storage {
  /** Adds (or replaces) a user of the host application, as read by `users` and member lists. */
  addUser(user: UserSummary): void
}

/** The tables, keyed like the SQL adapter's primary keys (see `key`). */
interface Tables extends EnrollmentTables {
  organizations: Map<string, OrganizationRecord>
  /** The global slug → organization id lookup. */
  organizationSlugs: Map<string, string>
  /** Team organizations created per user (`organizations.insert` with a creator's slot). */
  organizationCreators: Map<string, number>
  members: Map<string, MemberRecord>
  teams: Map<string, TeamRecord>
  teamMembers: Map<string, TeamMemberRecord>
  roles: Map<string, CustomRoleRecord>
  invitations: Map<string, InvitationRecord>
  /** The global invitation id → organization lookup. */
  invitationLookups: Map<string, { organizationId: string; tokenHash: string; email: string }>
  apiKeys: Map<string, ApiKeyRecord>
  /** The global key prefix → key lookup. */
  apiKeyPrefixes: Map<string, { organizationId: string; keyId: string }>
  auditEvents: Map<string, AuditEventRecord>
}

function emptyTables(): Tables {
  return {
    organizations: new Map(),
    organizationSlugs: new Map(),
    organizationCreators: new Map(),
    members: new Map(),
    teams: new Map(),
    teamMembers: new Map(),
    roles: new Map(),
    invitations: new Map(),
    invitationLookups: new Map(),
    apiKeys: new Map(),
    apiKeyPrefixes: new Map(),
    auditEvents: new Map(),
    ...emptyEnrollmentTables(),
  }
}

/** A transaction's working copy: new maps holding the same (frozen) rows. */
function copyTables(tables: Tables): Tables {
  const copy: Record<string, Map<string, unknown>> = {}
  for (const [name, table] of Object.entries(tables) as [string, Map<string, unknown>][]) copy[name] = new Map(table)
  return copy as unknown as Tables
}

/** A composite primary key; NUL never occurs in an id. */
const key = (...parts: string[]) => parts.join('\u0000')

export function memoryStorage(): MemoryStorage {
  let committed = emptyTables()
  const users = new Map<string, UserSummary>()
  const inTransaction = new AsyncLocalStorage<true>()
  let queue: Promise<unknown> = Promise.resolve()

  /** Runs `fn` after every transaction queued before it, alone. */
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = queue.then(fn)
    queue = result.catch(() => undefined)
    return result
  }

  const transaction = <T>(fn: (tx: TransactionRepositories) => Promise<T>): Promise<T> => {
    // The storage itself called from inside a transaction would wait for that transaction
    // forever (as on SQLite's single connection): say so instead of hanging.
    if (inTransaction.getStore()) {
      return Promise.reject(new Error('memoryStorage: called outside the transaction from inside one; use `tx`'))
    }
    return serialized(async () => {
      const draft = copyTables(committed)
      const scope = { open: true }
      try {
        // No handle to give the host's hooks: the working copy is not theirs to write.
        const tx = { ...repositories(draft, users, scope), transaction: undefined }
        const result = await inTransaction.run(true, () => fn(tx))
        committed = draft
        return result
      } finally {
        scope.open = false
      }
    })
  }

  // Outside a transaction every method is a transaction of its own, and the repositories
  // lack what only a transaction can do (`lock`, the locking reads, an invitation's
  // `accept`): at run time as in the types.
  const template = repositories(emptyTables(), users, { open: false })
  const outside = {} as Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>>
  for (const [name, repository] of Object.entries(template)) {
    outside[name] = {}
    for (const method of Object.keys(repository)) {
      if (
        name === 'organizations' &&
        ['lock', 'lockWithMember', 'lockWithTarget', 'lockForAcceptance'].includes(method)
      )
        continue
      if (name === 'invitations' && method === 'accept') continue
      outside[name][method] = (...args) =>
        transaction((tx) => {
          const target = (tx as unknown as typeof outside)[name]![method]!
          return target(...args)
        })
    }
  }

  return {
    ...(outside as unknown as Repositories),
    transaction,
    addUser(user) {
      users.set(user.id, Object.freeze({ ...user }))
    },
  }
}

function repositories(
  t: Tables,
  users: Map<string, UserSummary>,
  scope: { open: boolean },
): Omit<TransactionRepositories, 'transaction'> {
  /** Wraps a synchronous body: refused once the transaction ended, results cloned for the caller. */
  const op =
    <A extends unknown[], R>(body: (...args: A) => R) =>
    async (...args: A): Promise<R> => {
      if (!scope.open) throw new Error("memoryStorage: a transaction's repositories were used after it ended")
      return structuredClone(body(...structuredClone(args)))
    }

  const store = <T extends object>(row: T): T => Object.freeze(row)
  const userSummary = (id: string): UserSummary =>
    users.get(id) ?? { id, email: null, username: null, name: null, imageUrl: null }
  const withInviter = (invitation: InvitationRecord) => ({ ...invitation, inviter: userSummary(invitation.invitedBy) })
  const rowsOf = <T extends { organizationId: string }>(table: Map<string, T>, organizationId: string) =>
    [...table.values()].filter((row) => row.organizationId === organizationId)

  type MemberFilter = { role?: string | undefined; q?: string | undefined }
  const memberPage = (organizationId: string, filter: MemberFilter, page: PageInput) => {
    const q = filter.q?.toLowerCase()
    const rows = rowsOf(t.members, organizationId)
      .filter((member) => filter.role === undefined || member.role === filter.role)
      .map((member): MemberWithUser => ({ ...member, user: userSummary(member.userId) }))
      .filter(
        ({ user }) =>
          q === undefined ||
          q === '' ||
          [user.name, user.email, user.username].some((value) => value?.toLowerCase().startsWith(q)),
      )
    return keysetPage(rows, page, 'asc', (row) => ({ at: row.joinedAt, id: row.userId }))
  }

  const moveOrganizationCount = (organizationId: string, field: 'memberCount' | 'teamCount', delta: 1 | -1) => {
    const organization = t.organizations.get(organizationId)
    if (organization)
      t.organizations.set(organizationId, store({ ...organization, [field]: organization[field] + delta }))
  }
  const moveTeamCount = (organizationId: string, teamId: string, delta: 1 | -1) => {
    const team = t.teams.get(key(organizationId, teamId))
    if (team) t.teams.set(key(organizationId, teamId), store({ ...team, memberCount: team.memberCount + delta }))
  }

  /** The audit events a write takes along (`AuditEvents`): written with it, in its transaction. */
  const appendEvents = (events: readonly AuditEventRecord[] = []) => {
    for (const event of events) {
      const eventKey = key(event.organizationId, event.id)
      if (t.auditEvents.has(eventKey)) throw new Error(`memoryStorage: duplicate id ${event.id}`)
      t.auditEvents.set(eventKey, store(event))
    }
  }

  const addMember = (member: MemberRecord, events?: readonly AuditEventRecord[]) => {
    const memberKey = key(member.organizationId, member.userId)
    if (t.members.has(memberKey)) return false
    t.members.set(memberKey, store(member))
    moveOrganizationCount(member.organizationId, 'memberCount', 1)
    appendEvents(events)
    return true
  }

  const findInvitation = (organizationId: string, id: string) => t.invitations.get(key(organizationId, id)) ?? null
  const setInvitation = (invitation: InvitationRecord) =>
    t.invitations.set(key(invitation.organizationId, invitation.id), store(invitation))
  const isLive = (invitation: InvitationRecord, now: Date) =>
    invitation.status === 'pending' && invitation.expiresAt.getTime() > now.getTime()

  const findApiKey = (organizationId: string, id: string) => t.apiKeys.get(key(organizationId, id)) ?? null

  const deleteOrganization = (id: string): boolean => {
    const organization = t.organizations.get(id)
    if (organization === undefined) return false
    const owned = [t.members, t.teams, t.teamMembers, t.roles, t.invitations, t.apiKeys, t.auditEvents] as Map<
      string,
      { organizationId: string }
    >[]
    const lookups = [
      t.invitationLookups,
      t.apiKeyPrefixes,
      t.domains,
      t.verifiedDomains,
      t.joinRequests,
      t.invitationLinks,
      t.invitationLinkTokens,
    ] as Map<string, { organizationId: string }>[]
    for (const table of [...owned, ...lookups]) {
      for (const [rowKey, row] of table) if (row.organizationId === id) table.delete(rowKey)
    }
    for (const [slug, organizationId] of t.organizationSlugs)
      if (organizationId === id) t.organizationSlugs.delete(slug)
    t.organizations.delete(id)
    // The creator's slot comes back with the team organization it was claimed for.
    if (organization.type === 'team' && organization.createdBy !== null) {
      const count = t.organizationCreators.get(organization.createdBy) ?? 0
      if (count > 0) t.organizationCreators.set(organization.createdBy, count - 1)
    }
    return true
  }

  const built: Omit<TransactionRepositories, 'transaction'> = {
    organizations: {
      insert: op(
        (
          organization: OrganizationRecord,
          owner?: { userId: string; role: string },
          events?: readonly AuditEventRecord[],
          creatorSlot?: CreatorSlot,
        ): OrganizationInsert => {
          if (t.organizationSlugs.has(organization.slug)) return 'slug_taken'
          if (t.organizations.has(organization.id)) throw new Error(`memoryStorage: duplicate id ${organization.id}`)
          // The slot `delete` gives back: a team organization's, counted for its creator.
          const creator = organization.type === 'team' ? organization.createdBy : null
          if (creatorSlot !== undefined && creator !== null) {
            const count = t.organizationCreators.get(creator) ?? 0
            if (creatorSlot.limit !== null && count >= creatorSlot.limit) return 'limit_reached'
            t.organizationCreators.set(creator, count + 1)
          }
          t.organizationSlugs.set(organization.slug, organization.id)
          t.organizations.set(organization.id, store(owner ? { ...organization, memberCount: 1 } : organization))
          if (owner) {
            const member = { organizationId: organization.id, ...owner, joinedAt: organization.createdAt }
            t.members.set(key(organization.id, owner.userId), store(member))
          }
          appendEvents(events)
          return 'inserted'
        },
      ),
      findById: op((id: string) => t.organizations.get(id) ?? null),
      findBySlug: op((slug: string) => {
        const id = t.organizationSlugs.get(slug)
        return (id !== undefined && t.organizations.get(id)) || null
      }),
      findIdBySlug: op((slug: string) => t.organizationSlugs.get(slug) ?? null),
      findWithMember: op((ref: { id: string } | { slug: string }, userId: string, readUserId?: string) => {
        const id = 'id' in ref ? ref.id : t.organizationSlugs.get(ref.slug)
        const organization = id === undefined ? undefined : t.organizations.get(id)
        if (organization === undefined) return null
        const member = t.members.get(key(organization.id, userId)) ?? null
        return readUserId === undefined
          ? { organization, member }
          : { organization, member, user: users.get(readUserId) ?? null }
      }),
      lock: op((id: string) => t.organizations.get(id) ?? null),
      lockWithMember: op((id: string, userId: string, readUserId?: string) => {
        const organization = t.organizations.get(id)
        if (organization === undefined) return null
        const member = t.members.get(key(id, userId)) ?? null
        return readUserId === undefined
          ? { organization, member }
          : { organization, member, user: users.get(readUserId) ?? null }
      }),
      lockWithTarget: op((id: string, userId: string, targetUserId: string) => {
        const organization = t.organizations.get(id)
        if (organization === undefined) return null
        const target = t.members.get(key(id, targetUserId))
        return {
          organization,
          member: t.members.get(key(id, userId)) ?? null,
          target: target ? { ...target, user: userSummary(target.userId) } : null,
        }
      }),
      lockForAcceptance: op((id: string, invitationId: string, userId: string) => {
        const organization = t.organizations.get(id)
        const invitation = findInvitation(id, invitationId)
        if (organization === undefined || invitation === null) return null
        return {
          organization,
          invitation,
          inviter: t.members.get(key(id, invitation.invitedBy)) ?? null,
          user: users.get(userId) ?? null,
        }
      }),
      update: op((id: string, patch: OrganizationPatch, now: Date) => {
        const current = t.organizations.get(id)
        if (current === undefined) return null
        if (patch.slug !== undefined && patch.slug !== current.slug) {
          if (t.organizationSlugs.has(patch.slug)) return 'slug_taken' as const
          t.organizationSlugs.set(patch.slug, id)
          t.organizationSlugs.delete(current.slug)
        }
        const updated = store({ ...current, ...pick(patch, ORGANIZATION_PATCH_FIELDS), updatedAt: now })
        t.organizations.set(id, updated)
        return updated
      }),
      bumpRolesVersion: op((id: string, now: Date) => {
        const current = t.organizations.get(id)
        if (current)
          t.organizations.set(id, store({ ...current, rolesVersion: current.rolesVersion + 1, updatedAt: now }))
      }),
      delete: op(deleteOrganization),
      listForUser: op((userId: string, page: PageInput): Page<OrganizationWithRole> => {
        const rows = [...t.members.values()].flatMap((member) => {
          const organization = member.userId === userId ? t.organizations.get(member.organizationId) : undefined
          return organization
            ? [{ organization: { ...organization, role: member.role }, joinedAt: member.joinedAt }]
            : []
        })
        const built = keysetPage(rows, page, 'asc', (row) => ({ at: row.joinedAt, id: row.organization.id }))
        return { ...built, data: built.data.map((row) => row.organization) }
      }),
      listAll: op((page: PageInput) =>
        keysetPage([...t.organizations.values()], page, 'asc', (row) => ({ at: row.createdAt, id: row.id })),
      ),
    },

    members: {
      insert: op(addMember),
      insertIfUnchanged: op((member: MemberRecord, decidedOn: AddDecidedOn, events?: readonly AuditEventRecord[]) => {
        const organization = t.organizations.get(member.organizationId)
        const caller = t.members.get(key(member.organizationId, decidedOn.callerId))
        const unchanged =
          organization !== undefined &&
          organization.rolesVersion === decidedOn.rolesVersion &&
          caller?.role === decidedOn.callerRole &&
          (decidedOn.memberLimit === null || organization.memberCount < decidedOn.memberLimit)
        if (!unchanged) return 'changed' as const
        return addMember(member, events) ? ('inserted' as const) : ('duplicate' as const)
      }),
      find: op((organizationId: string, userId: string) => t.members.get(key(organizationId, userId)) ?? null),
      findWithUser: op((organizationId: string, userId: string): MemberWithUser | null => {
        const member = t.members.get(key(organizationId, userId))
        return member ? { ...member, user: userSummary(member.userId) } : null
      }),
      findWithCaller: op((organizationId: string, callerId: string, userId: string) => {
        const organization = t.organizations.get(organizationId)
        if (organization === undefined) return null
        const member = t.members.get(key(organizationId, callerId)) ?? null
        const target = member === null ? undefined : t.members.get(key(organizationId, userId))
        return { organization, member, target: target ? { ...target, user: userSummary(target.userId) } : null }
      }),
      findInvitee: op((organizationId: string, email: string, inviterId: string) => {
        const address = email.trim().toLowerCase()
        const invitee = [...users.values()].find((user) => user.email?.toLowerCase() === address) ?? null
        return {
          invitee,
          isMember: invitee !== null && t.members.has(key(organizationId, invitee.id)),
          inviter: users.get(inviterId) ?? null,
        }
      }),
      list: op(memberPage),
      listWithMember: op((organizationId: string, userId: string, filter: MemberFilter, page: PageInput) => {
        const organization = t.organizations.get(organizationId)
        if (organization === undefined) return null
        const member = t.members.get(key(organizationId, userId)) ?? null
        return { organization, member, page: member === null ? null : memberPage(organizationId, filter, page) }
      }),
      updateRole: op((organizationId: string, userId: string, role: string, events?: readonly AuditEventRecord[]) => {
        const current = t.members.get(key(organizationId, userId))
        if (current === undefined) return false
        t.members.set(key(organizationId, userId), store({ ...current, role }))
        appendEvents(events)
        return true
      }),
      delete: op((organizationId: string, userId: string, events?: readonly AuditEventRecord[]) => {
        if (!t.members.delete(key(organizationId, userId))) return false
        moveOrganizationCount(organizationId, 'memberCount', -1)
        // Only members can be team members: the user leaves every team of the organization.
        for (const [rowKey, membership] of t.teamMembers) {
          if (membership.organizationId !== organizationId || membership.userId !== userId) continue
          t.teamMembers.delete(rowKey)
          moveTeamCount(organizationId, membership.teamId, -1)
        }
        appendEvents(events)
        return true
      }),
      countWithRole: op(
        (organizationId: string, role: string) =>
          rowsOf(t.members, organizationId).filter((member) => member.role === role).length,
      ),
      reassignRole: op((organizationId: string, from: string, to: string) => {
        const holders = rowsOf(t.members, organizationId).filter((member) => member.role === from)
        for (const member of holders) t.members.set(key(organizationId, member.userId), store({ ...member, role: to }))
        return holders.length
      }),
    },

    invitations: {
      insert: op((invitation: InvitationRecord, now: Date, events?: readonly AuditEventRecord[]) => {
        const sameEmail = rowsOf(t.invitations, invitation.organizationId).filter(
          (other) => other.status === 'pending' && other.email === invitation.email,
        )
        // An expired pending invitation still holds the email's slot; release it first.
        for (const stale of sameEmail.filter((other) => !isLive(other, now))) {
          setInvitation({ ...stale, status: 'expired', updatedAt: now })
        }
        const blocked = invitation.status === 'pending' && sameEmail.some((other) => isLive(other, now))
        if (blocked || t.invitationLookups.has(invitation.id)) return 'duplicate' as const
        setInvitation(invitation)
        t.invitationLookups.set(invitation.id, {
          organizationId: invitation.organizationId,
          tokenHash: invitation.tokenHash,
          email: invitation.email,
        })
        appendEvents(events)
        return 'inserted' as const
      }),
      find: op(findInvitation),
      findById: op((id: string) => {
        const lookup = t.invitationLookups.get(id)
        return lookup ? findInvitation(lookup.organizationId, id) : null
      }),
      locate: op((ref: { tokenHash: string } | { id: string }) => {
        for (const [id, lookup] of t.invitationLookups) {
          if ('id' in ref ? id === ref.id : lookup.tokenHash === ref.tokenHash) {
            return { organizationId: lookup.organizationId, id }
          }
        }
        return null
      }),
      findByTokenHash: op((tokenHash: string) => {
        for (const [id, lookup] of t.invitationLookups) {
          if (lookup.tokenHash === tokenHash) return findInvitation(lookup.organizationId, id)
        }
        return null
      }),
      list: op(
        (
          organizationId: string,
          filter: { status?: InvitationRecord['status'] | undefined },
          now: Date,
          page: PageInput,
        ) => {
          const status = filter.status
          const rows = rowsOf(t.invitations, organizationId).filter((invitation) => {
            if (status === undefined) return true
            if (status === 'pending') return isLive(invitation, now)
            if (status === 'expired') {
              return invitation.status === 'expired' || (invitation.status === 'pending' && !isLive(invitation, now))
            }
            return invitation.status === status
          })
          return keysetPage(rows.map(withInviter), page, 'desc', (row) => ({ at: row.createdAt, id: row.id }))
        },
      ),
      listPendingForEmail: op((email: string, now: Date, page: PageInput) => {
        const address = email.trim().toLowerCase()
        const rows = [...t.invitationLookups]
          .filter(([, lookup]) => lookup.email === address)
          .flatMap(([id, lookup]) => findInvitation(lookup.organizationId, id) ?? [])
          .filter((invitation) => isLive(invitation, now))
          .map(withInviter)
        return keysetPage(rows, page, 'desc', (row) => ({ at: row.createdAt, id: row.id }))
      }),
      transition: op(
        (
          organizationId: string,
          id: string,
          change: { to: 'accepted' | 'declined' | 'revoked'; respondedBy: string | null; now: Date },
        ) => {
          const current = findInvitation(organizationId, id)
          if (current === null || !isLive(current, change.now)) return false
          setInvitation({ ...current, status: change.to, respondedBy: change.respondedBy, updatedAt: change.now })
          return true
        },
      ),
      accept: op((id: string, member: MemberRecord, events?: readonly AuditEventRecord[]) => {
        const current = findInvitation(member.organizationId, id)
        if (current === null || !isLive(current, member.joinedAt)) return 'settled' as const
        // Checked before anything is written: here a refusal writes nothing at all.
        if (t.members.has(key(member.organizationId, member.userId))) return 'duplicate' as const
        setInvitation({ ...current, status: 'accepted', respondedBy: member.userId, updatedAt: member.joinedAt })
        addMember(member, events)
        return 'accepted' as const
      }),
      rotateToken: op(
        (organizationId: string, id: string, change: { tokenHash: string; expiresAt: Date; now: Date }) => {
          const current = findInvitation(organizationId, id)
          if (current === null || current.status !== 'pending') return null
          const rotated = {
            ...current,
            tokenHash: change.tokenHash,
            expiresAt: change.expiresAt,
            updatedAt: change.now,
          }
          setInvitation(rotated)
          const lookup = t.invitationLookups.get(id)
          if (lookup) t.invitationLookups.set(id, store({ ...lookup, tokenHash: change.tokenHash }))
          return rotated
        },
      ),
      countPending: op(
        (organizationId: string, now: Date) =>
          rowsOf(t.invitations, organizationId).filter((invitation) => isLive(invitation, now)).length,
      ),
      revokePendingWithRole: op((organizationId: string, role: string, now: Date) => {
        const pending = rowsOf(t.invitations, organizationId).filter((i) => i.status === 'pending' && i.role === role)
        for (const invitation of pending)
          setInvitation({ ...invitation, status: 'revoked', respondedBy: null, updatedAt: now })
        return pending.length
      }),
    },

    apiKeys: {
      insert: op((apiKey: ApiKeyRecord) => {
        if (t.apiKeyPrefixes.has(apiKey.prefix) || t.apiKeys.has(key(apiKey.organizationId, apiKey.id))) return false
        t.apiKeyPrefixes.set(apiKey.prefix, store({ organizationId: apiKey.organizationId, keyId: apiKey.id }))
        t.apiKeys.set(key(apiKey.organizationId, apiKey.id), store(apiKey))
        return true
      }),
      find: op(findApiKey),
      findByPrefix: op((prefix: string) => {
        const lookup = t.apiKeyPrefixes.get(prefix)
        return lookup ? findApiKey(lookup.organizationId, lookup.keyId) : null
      }),
      list: op((organizationId: string, page: PageInput) =>
        keysetPage(rowsOf(t.apiKeys, organizationId), page, 'desc', (row) => ({ at: row.createdAt, id: row.id })),
      ),
      revoke: op((organizationId: string, id: string, now: Date) => {
        const current = findApiKey(organizationId, id)
        if (current === null || current.revokedAt !== null) return current
        const revoked = store({ ...current, revokedAt: now })
        t.apiKeys.set(key(organizationId, id), revoked)
        return revoked
      }),
      revokeCreatedBy: op((organizationId: string, userId: string, now: Date) => {
        const keys = rowsOf(t.apiKeys, organizationId).filter((k) => k.createdBy === userId && k.revokedAt === null)
        for (const k of keys) t.apiKeys.set(key(organizationId, k.id), store({ ...k, revokedAt: now }))
        return keys.length
      }),
      revokeWithRole: op((organizationId: string, role: string, now: Date) => {
        const keys = rowsOf(t.apiKeys, organizationId).filter((k) => k.role === role && k.revokedAt === null)
        for (const k of keys) t.apiKeys.set(key(organizationId, k.id), store({ ...k, revokedAt: now }))
        return keys.length
      }),
      touch: op((organizationId: string, id: string, now: Date) => {
        const current = findApiKey(organizationId, id)
        if (current) t.apiKeys.set(key(organizationId, id), store({ ...current, lastUsedAt: now }))
      }),
    },

    audit: {
      append: op((events: readonly AuditEventRecord[]) => appendEvents(events)),
      list: op((organizationId: string, filter: { action?: string | undefined }, page: PageInput) => {
        const rows = rowsOf(t.auditEvents, organizationId).filter(
          (event) => filter.action === undefined || event.action === filter.action,
        )
        return keysetPage(rows, page, 'desc', (row) => ({ at: row.createdAt, id: row.id }))
      }),
    },

    teams: {
      insert: op((team: TeamRecord) => {
        const taken = rowsOf(t.teams, team.organizationId).some((other) => other.slug === team.slug)
        if (taken || t.teams.has(key(team.organizationId, team.id))) return false
        t.teams.set(key(team.organizationId, team.id), store({ ...team, memberCount: 0 }))
        moveOrganizationCount(team.organizationId, 'teamCount', 1)
        return true
      }),
      find: op((organizationId: string, id: string) => t.teams.get(key(organizationId, id)) ?? null),
      findBySlug: op(
        (organizationId: string, slug: string) =>
          rowsOf(t.teams, organizationId).find((team) => team.slug === slug) ?? null,
      ),
      findMany: op((organizationId: string, ids: readonly string[]) =>
        rowsOf(t.teams, organizationId).filter((team) => ids.includes(team.id)),
      ),
      list: op((organizationId: string, page: PageInput) =>
        keysetPage(rowsOf(t.teams, organizationId), page, 'asc', (row) => ({ at: row.createdAt, id: row.id })),
      ),
      update: op((organizationId: string, id: string, patch: TeamPatch, now: Date) => {
        const current = t.teams.get(key(organizationId, id))
        if (current === undefined) return null
        if (patch.slug !== undefined && patch.slug !== current.slug) {
          if (rowsOf(t.teams, organizationId).some((team) => team.slug === patch.slug)) return 'slug_taken' as const
        }
        const updated = store({ ...current, ...pick(patch, TEAM_PATCH_FIELDS), updatedAt: now })
        t.teams.set(key(organizationId, id), updated)
        return updated
      }),
      delete: op((organizationId: string, id: string) => {
        if (!t.teams.delete(key(organizationId, id))) return false
        for (const [rowKey, membership] of t.teamMembers) {
          if (membership.organizationId === organizationId && membership.teamId === id) t.teamMembers.delete(rowKey)
        }
        moveOrganizationCount(organizationId, 'teamCount', -1)
        return true
      }),
    },

    teamMembers: {
      insert: op((member: TeamMemberRecord) => {
        const memberKey = key(member.organizationId, member.teamId, member.userId)
        if (t.teamMembers.has(memberKey)) return false
        t.teamMembers.set(memberKey, store(member))
        moveTeamCount(member.organizationId, member.teamId, 1)
        return true
      }),
      find: op(
        (organizationId: string, teamId: string, userId: string) =>
          t.teamMembers.get(key(organizationId, teamId, userId)) ?? null,
      ),
      findWithUser: op((organizationId: string, teamId: string, userId: string): TeamMemberWithUser | null => {
        const member = t.teamMembers.get(key(organizationId, teamId, userId))
        return member ? { ...member, user: userSummary(member.userId) } : null
      }),
      list: op((organizationId: string, teamId: string, page: PageInput) => {
        const rows = rowsOf(t.teamMembers, organizationId)
          .filter((member) => member.teamId === teamId)
          .map((member): TeamMemberWithUser => ({ ...member, user: userSummary(member.userId) }))
        return keysetPage(rows, page, 'asc', (row) => ({ at: row.joinedAt, id: row.userId }))
      }),
      listForUser: op((organizationId: string, userId: string) =>
        rowsOf(t.teamMembers, organizationId)
          .filter((member) => member.userId === userId)
          .sort((a, b) => compareKeys({ at: a.joinedAt, id: a.teamId }, { at: b.joinedAt, id: b.teamId })),
      ),
      updateRole: op((organizationId: string, teamId: string, userId: string, role: string) => {
        const memberKey = key(organizationId, teamId, userId)
        const current = t.teamMembers.get(memberKey)
        if (current === undefined) return false
        t.teamMembers.set(memberKey, store({ ...current, role }))
        return true
      }),
      delete: op((organizationId: string, teamId: string, userId: string) => {
        if (!t.teamMembers.delete(key(organizationId, teamId, userId))) return false
        moveTeamCount(organizationId, teamId, -1)
        return true
      }),
    },

    roles: {
      insert: op((role: CustomRoleRecord) => {
        const roleKey = key(role.organizationId, role.key)
        if (t.roles.has(roleKey)) return false
        t.roles.set(roleKey, store(role))
        return true
      }),
      findByKey: op((organizationId: string, roleKey: string) => t.roles.get(key(organizationId, roleKey)) ?? null),
      list: op((organizationId: string) =>
        rowsOf(t.roles, organizationId).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      ),
      update: op((organizationId: string, roleKey: string, patch: CustomRolePatch, now: Date) => {
        const current = t.roles.get(key(organizationId, roleKey))
        if (current === undefined) return null
        const updated = store({ ...current, ...pick(patch, ROLE_PATCH_FIELDS), updatedAt: now })
        t.roles.set(key(organizationId, roleKey), updated)
        return updated
      }),
      delete: op((organizationId: string, roleKey: string) => t.roles.delete(key(organizationId, roleKey))),
    },

    users: {
      findById: op((id: string) => users.get(id) ?? null),
      findByEmail: op((email: string) => {
        const address = email.trim().toLowerCase()
        return [...users.values()].find((user) => user.email?.toLowerCase() === address) ?? null
      }),
      findByUsername: op((username: string) => [...users.values()].find((user) => user.username === username) ?? null),
    },

    ...enrollmentRepositories(t, { op, store, key, keysetPage }),
  }
  // The organization with the membership and the team, or the page, read in one transaction
  // as one statement reads them: from one state of the tables.
  built.organizations.findWithInvitation = async (id, invitationId) => {
    const [organization, invitation] = await Promise.all([
      built.organizations.findById(id),
      built.invitations.find(id, invitationId),
    ])
    if (organization === null || invitation === null) return null
    return { organization, invitation, inviter: await built.users.findById(invitation.invitedBy) }
  }
  built.organizations.findWithMemberships = async (id, userId) => {
    const found = await built.organizations.findWithMember({ id }, userId)
    if (found === null) return null
    return { ...found, teams: found.member === null ? [] : await built.teamMembers.listForUser(id, userId) }
  }
  built.organizations.findWithMemberAndTeam = async (ref, userId, teamRef, read) => {
    const found = await built.organizations.findWithMember(ref, userId)
    if (found === null) return null
    const id = found.organization.id
    const team = await ('id' in teamRef ? built.teams.find(id, teamRef.id) : built.teams.findBySlug(id, teamRef.slug))
    const teamMember = team === null ? null : await built.teamMembers.find(id, team.id, userId)
    const withTeam = { ...found, team, teamMember }
    if (read === undefined) return withTeam
    // What the read is about, for a member of the organization only.
    const of = found.member === null ? null : team
    if ('page' in read) return { ...withTeam, page: of && (await built.teamMembers.list(id, of.id, read.page)) }
    return { ...withTeam, target: of && (await built.teamMembers.findWithUser(id, of.id, read.userId)) }
  }
  built.organizations.findWithMemberAndPage = async (id, userId, read) => {
    const found = await built.organizations.findWithMember({ id }, userId)
    if (found === null) return null
    return { ...found, page: found.member === null ? null : await readOrganizationPage(built, id, read) }
  }
  return built
}

// ── Patches ───────────────────────────────────────────────────────────────────────

const ORGANIZATION_PATCH_FIELDS = [
  'slug',
  'name',
  'description',
  'logoUrl',
  'websiteUrl',
  'industry',
  'visibility',
  'contactEmail',
  'contactPhone',
  'timezone',
  'metadata',
  'privateMetadata',
] as const satisfies readonly (keyof OrganizationPatch)[]
const TEAM_PATCH_FIELDS = ['slug', 'name', 'description'] as const satisfies readonly (keyof TeamPatch)[]
const ROLE_PATCH_FIELDS = ['name', 'description', 'permissions'] as const satisfies readonly (keyof CustomRolePatch)[]

/** The fields of a patch that are present; `null` is a value (it clears), `undefined` is not. */
function pick<P extends object>(patch: P, fields: readonly (keyof P)[]): Partial<P> {
  const picked: Partial<P> = {}
  for (const field of fields) if (patch[field] !== undefined) picked[field] = patch[field]
  return picked
}

// ── Keyset pages ─────────────────────────────────────────────────────────────────

interface SortKey {
  at: Date
  id: string
}

function compareKeys(a: SortKey, b: SortKey): number {
  return a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * A page of `rows` in `order` by (time, id), as the SQL adapter's keyset query would fetch
 * it: after (or before) the cursor's key, `limit + 1` rows in the direction of travel,
 * handed to `buildPage`.
 */
function keysetPage<T>(rows: T[], page: PageInput, order: 'asc' | 'desc', keyOf: (row: T) => SortKey): Page<T> {
  const travel = page.cursor?.direction === 'before' ? (order === 'asc' ? 'desc' : 'asc') : order
  const sign = travel === 'asc' ? 1 : -1
  const cursor = page.cursor === null ? null : parseKey(page.cursor.key)
  const fetched = rows
    .filter((row) => cursor === null || sign * compareKeys(keyOf(row), cursor) > 0)
    .sort((a, b) => sign * compareKeys(keyOf(a), keyOf(b)))
    .slice(0, page.limit + 1)
  return buildPage(fetched, page, (row) => {
    const { at, id } = keyOf(row)
    return [at.getTime(), id]
  })
}

function parseKey(cursorKey: CursorKey): SortKey {
  const [at, id] = cursorKey
  if (cursorKey.length !== 2 || typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string') {
    // A cursor from another list, or edited by hand: a 400, like any malformed cursor.
    throw new OrgkitError('validation_failed', 'The cursor is malformed.', {
      details: [{ path: 'query.cursor', message: 'Malformed cursor' }],
    })
  }
  return { at: new Date(at), id }
}
