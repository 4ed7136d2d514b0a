/**
 * Moves what Better Auth's organization plugin holds into orgkit, in the same database:
 * organizations, their members with their roles, and the invitations still pending. Better
 * Auth's `user` table stays where it is and becomes orgkit's users table
 * (`BETTER_AUTH_USERS`); Better Auth's own tables are read, never written or dropped.
 *
 * Run it again and it moves only what it has not moved yet: each organization it creates
 * keeps the Better Auth id in its `privateMetadata.betterAuthId` (server-side only).
 */
import { isOrgkitError, type Orgkit, type UserActor } from '@orgkit/core'
import type { UsersTableOptions } from '@orgkit/kysely'
import type { Kysely } from 'kysely'

/** Better Auth's `user` table, mapped for `kyselyStorage(db, { users: BETTER_AUTH_USERS })`. */
export const BETTER_AUTH_USERS = {
  table: 'user',
  columns: { id: 'id', email: 'email', name: 'name', imageUrl: 'image' },
} as const satisfies UsersTableOptions

/** Better Auth's tables as its organization plugin creates them (camelCase columns). */
interface BetterAuthTables {
  organization: { id: string; name: string; slug: string | null; logo: string | null; metadata: string | null }
  member: { id: string; organizationId: string; userId: string; role: string; createdAt: unknown }
  invitation: {
    id: string
    organizationId: string
    email: string
    role: string | null
    status: string
    expiresAt: unknown
    inviterId: string
  }
}

/** orgkit's system roles, highest first: a Better Auth member with several roles gets the highest. */
const ROLE_ORDER = ['owner', 'admin', 'member'] as const

export interface MigrationReport {
  /** Each Better Auth organization and the orgkit organization it became (or already was). */
  organizations: { betterAuthId: string; id: string; slug: string; created: boolean; slugChanged: boolean }[]
  /** Members added (owners included), across all organizations. */
  membersAdded: number
  /** Pending, unexpired invitations issued again in orgkit, with their new secret token. */
  invitations: { email: string; organizationId: string; token: string; acceptUrl: string }[]
  /** What was left behind, and why. */
  skipped: { kind: 'organization' | 'member' | 'invitation'; id: string; reason: string }[]
}

/**
 * Migrates Better Auth's organization plugin data into orgkit. `orgkit` must run on `db`
 * with `users: BETTER_AUTH_USERS`, after `migrateToLatest(db)`. Invitations are issued
 * again through orgkit, so `invitations.send` (if configured) mails each invitee a new link:
 * Better Auth's links carry the invitation id as their secret, which orgkit never accepts.
 */
export async function migrateFromBetterAuth(
  // biome-ignore lint/suspicious/noExplicitAny: the host's database, whatever its other tables.
  db: Kysely<any>,
  orgkit: Orgkit,
  options: { now?: Date } = {},
): Promise<MigrationReport> {
  const ba = db as unknown as Kysely<BetterAuthTables>
  const now = options.now ?? new Date()
  const system = orgkit.as({ type: 'system' })
  const report: MigrationReport = { organizations: [], membersAdded: 0, invitations: [], skipped: [] }
  const moved = new Map<string, string>()

  for (const organization of await ba.selectFrom('organization').selectAll().orderBy('id').execute()) {
    const members = await ba
      .selectFrom('member')
      .selectAll()
      .where('organizationId', '=', organization.id)
      .orderBy('createdAt')
      .orderBy('id')
      .execute()
    const roled = members.map((member) => ({ ...member, role: orgkitRole(member.role) }))
    const owner = roled.find((member) => member.role === 'owner')
    if (!owner) {
      report.skipped.push({ kind: 'organization', id: organization.id, reason: 'it has no owner' })
      continue
    }
    const ownerActor: UserActor = { type: 'user', userId: owner.userId }
    const existing = await findMoved(orgkit, ownerActor, organization.id)
    let target: { id: string; slug: string }
    if (existing) {
      target = existing
      report.organizations.push({ betterAuthId: organization.id, ...existing, created: false, slugChanged: false })
    } else {
      const slug = organization.slug?.toLowerCase()
      const profile = {
        name: organization.name,
        ...(organization.logo ? { logoUrl: organization.logo } : {}),
        metadata: parseMetadata(organization.metadata),
        privateMetadata: { betterAuthId: organization.id },
      }
      // A slug orgkit refuses (reserved, too long, not its pattern) or already taken: it
      // makes one from the name instead, and the report says so.
      const created = await orgkit
        .as(ownerActor)
        .organizations.create({ ...profile, ...(slug ? { slug } : {}) })
        .catch((error: unknown) => {
          if (slug && isOrgkitError(error) && (error.code === 'validation_failed' || error.code === 'conflict')) {
            return orgkit.as(ownerActor).organizations.create(profile)
          }
          throw error
        })
      target = { id: created.id, slug: created.slug }
      report.organizations.push({
        betterAuthId: organization.id,
        ...target,
        created: true,
        slugChanged: created.slug !== organization.slug,
      })
      report.membersAdded += 1
    }
    moved.set(organization.id, target.id)

    for (const member of roled) {
      if (member.userId === owner.userId) continue
      try {
        await system.members.add(target.id, { userId: member.userId, role: member.role })
        report.membersAdded += 1
      } catch (error) {
        // Already moved by an earlier run: nothing to do.
        if (isOrgkitError(error) && error.code === 'conflict') continue
        report.skipped.push({ kind: 'member', id: member.id, reason: reasonOf(error) })
      }
    }
  }

  const pending = await ba.selectFrom('invitation').selectAll().where('status', '=', 'pending').orderBy('id').execute()
  for (const invitation of pending) {
    const organizationId = moved.get(invitation.organizationId)
    if (organizationId === undefined) {
      report.skipped.push({ kind: 'invitation', id: invitation.id, reason: 'its organization was not moved' })
      continue
    }
    if (new Date(invitation.expiresAt as string).getTime() <= now.getTime()) {
      report.skipped.push({ kind: 'invitation', id: invitation.id, reason: 'it has expired' })
      continue
    }
    try {
      const issued = await orgkit
        .as({ type: 'user', userId: invitation.inviterId })
        .invitations.create(organizationId, { email: invitation.email, role: orgkitRole(invitation.role ?? 'member') })
      report.invitations.push({
        email: issued.email,
        organizationId,
        token: issued.token,
        acceptUrl: issued.acceptUrl,
      })
    } catch (error) {
      // A second run finds its own invitation pending (conflict), or the invitee a member.
      report.skipped.push({ kind: 'invitation', id: invitation.id, reason: reasonOf(error) })
    }
  }
  return report
}

/**
 * Better Auth stores a member's roles as a comma-separated list (`admin,member`); orgkit
 * gives a member one role, the highest of them. A role orgkit does not know (a Better Auth
 * dynamic role) is kept by key: configure a role of that key in `createOrgkit({ roles })`.
 */
export function orgkitRole(roles: string): string {
  const keys = roles
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean)
  return ROLE_ORDER.find((key) => keys.includes(key)) ?? keys[0] ?? 'member'
}

/** The orgkit organization an earlier run made of this Better Auth organization, if any. */
async function findMoved(orgkit: Orgkit, owner: UserActor, betterAuthId: string) {
  let cursor: string | undefined
  do {
    const page = await orgkit.as(owner).organizations.list({ limit: 100, ...(cursor ? { cursor } : {}) })
    const found = page.data.find((organization) => organization.privateMetadata.betterAuthId === betterAuthId)
    if (found) return { id: found.id, slug: found.slug }
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  return undefined
}

function parseMetadata(text: string | null): Record<string, unknown> {
  if (!text) return {}
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}

function reasonOf(error: unknown): string {
  return isOrgkitError(error) ? `${error.code}: ${error.message}` : String(error)
}
