import type {
  AuditEvents,
  InvitationListFilter,
  InvitationRecord,
  InvitationRef,
  InvitationStatus,
  InvitationWithInviter,
  PageInput,
  TransactionInvitationRepository,
} from '@orgkit/core'
import {
  type Insertable,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type SqlBool,
  sql,
  type UpdateQueryBuilder,
  type UpdateResult,
} from 'kysely'
import { affected, parseStringArray, toCount, toJson } from '../codec'
import { compiled, compiledInsertUnlessExists, slot, slotRow } from '../compiled'
import type { StorageContext } from '../context'
import { moveOrganizationCount } from '../counts'
import type { StorageDialect } from '../dialects'
import {
  auditInserts,
  cte,
  type FoldedRow,
  folded,
  foldedVariants,
  insertRow,
  insertRowWhere,
  runFolded,
} from '../folded'
import { type KeysetRead, keysetPage, keysetQuery, readKeysetPage } from '../keyset'
import type { InvitationsTable, OrgkitDatabase } from '../schema'
import { auditRepository, auditValues } from './audit'
import {
  hostUserColumns,
  type InviteeRow,
  insertIndexEntry,
  insertMembership,
  inviteeAndInviter,
  inviteeFromRows,
  inviteeValues,
  mappedUserSelection,
  readInvitee,
  type UserColumns,
  userFromRow,
} from './members'

/**
 * Invitations live in their organization's table. Three questions start without an
 * organization, and each has a table of its own keyed by what the question starts from:
 * `invitation_ids` (public id) and `invitation_tokens` (token hash) are global lookups,
 * resolved in two steps — the lookup, then the invitation by `organization_id` and id —
 * and `email_invitations` indexes the pending invitations by addressee email. All three
 * are written in the transaction that writes the invitation (docs/scaling.md).
 *
 * `pending_email` holds the email while the invitation is pending and is cleared by every
 * transition out of `pending`, in the same statement. UNIQUE(organization_id,
 * pending_email) therefore makes "one pending invitation per email" a database constraint.
 */
// The statements of creating and accepting an invitation, compiled once per storage.
const invitationById = compiled((context) =>
  context.db
    .selectFrom('invitations')
    .selectAll()
    .where('organization_id', '=', slot<string>('organizationId'))
    .where('id', '=', slot<string>('id')),
)
export const INVITATION_COLUMNS = [
  'organization_id',
  'id',
  'email',
  'pending_email',
  'role',
  'team_ids',
  'status',
  'token_hash',
  'expires_at',
  'invited_by',
  'responded_by',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof InvitationsTable)[]
const insertInvitation = compiledInsertUnlessExists((context) =>
  context.db.insertInto('invitations').values(slotRow<Insertable<InvitationsTable>>(INVITATION_COLUMNS)),
)
const idLookup = compiled((context) =>
  context.db.selectFrom('invitation_ids').select(['organization_id', 'id']).where('id', '=', slot<string>('id')),
)
const tokenLookup = compiled((context) =>
  context.db
    .selectFrom('invitation_tokens')
    .select(['organization_id', 'invitation_id as id'])
    .where('token_hash', '=', slot<string>('tokenHash')),
)
const insertIdLookup = compiled((context) =>
  context.db
    .insertInto('invitation_ids')
    .values({ id: slot<string>('id'), organization_id: slot<string>('organizationId') }),
)
const insertTokenLookup = compiled((context) =>
  context.db.insertInto('invitation_tokens').values({
    token_hash: slot<string>('tokenHash'),
    organization_id: slot<string>('organizationId'),
    invitation_id: slot<string>('id'),
  }),
)
const insertEmailIndex = compiled((context) =>
  context.db.insertInto('email_invitations').values({
    email: slot<string>('email'),
    organization_id: slot<string>('organizationId'),
    invitation_id: slot<string>('id'),
    created_at: slot<string>('createdAt'),
    expires_at: slot<string>('expiresAt'),
  }),
)
const unindexEmail = compiled((context) =>
  context.db
    .deleteFrom('email_invitations')
    .where('email', '=', slot<string>('email'))
    .where('organization_id', '=', slot<string>('organizationId'))
    .where('invitation_id', '=', slot<string>('id')),
)

/**
 * An invitation answered or revoked (`transition`) on SQLite: out of `pending` only while pending
 * and unexpired, its email read back with RETURNING to unindex it. PostgreSQL and MariaDB go
 * through `leavePending`, which folds or reads the email as each allows.
 */
const respondReturningEmail = compiled((context) =>
  context.db
    .updateTable('invitations')
    .set({
      status: slot<'accepted' | 'declined' | 'revoked'>('to'),
      pending_email: null,
      responded_by: slot<string | null>('respondedBy'),
      updated_at: slot<string>('now'),
    })
    .where('organization_id', '=', slot<string>('organizationId'))
    .where('id', '=', slot<string>('id'))
    .where('status', '=', 'pending')
    .where('expires_at', '>', slot<string>('now'))
    .returning('email'),
)

/**
 * PostgreSQL: a new invitation and its audit events in one statement, and on one server its
 * id and token lookups and its addressee's index entry too, each written only if the
 * invitation was (see folded.ts). Distributed, those three are on their own shards: a
 * statement each, after this one.
 */
const foldedInvitationInsert = foldedVariants()
function insertInvitationFolded(distributed: boolean, pending: boolean, events: number) {
  return foldedInvitationInsert(`${distributed} ${pending} ${events}`, () => {
    const row = slotRow<Record<string, unknown>>(INVITATION_COLUMNS)
    const added = cte('added', sql`${insertRow('invitations', row, null)} on conflict do nothing returning 1`)
    return folded([added, ...invitationWrites(distributed, pending, events)], 'added')
  })
}

/**
 * PostgreSQL on one server: `insertInvitationFolded`, with the addressee's membership and the
 * inviter's user read in the statement (`inviteeAndInviter`, as `members.findInvitee` reads
 * them, the addressee's email in `addressee`). The invitation is inserted only where no host
 * user with that email is a member; the statement answers how many rows it wrote and the
 * rows it read (at least one row: `written` with nulls when it read none).
 */
const foldedInviteeInsert = foldedVariants<FoldedRow & Partial<InviteeRow>>({ meetsHostUsers: true })
function insertUnlessMemberFolded(pending: boolean, events: number) {
  return foldedInviteeInsert(`${pending} ${events}`, (context) => {
    const row = slotRow<Record<string, unknown>>(INVITATION_COLUMNS)
    const noMember = sql`not exists (select 1 from invitee where marker = 0 and member_id is not null)`
    const ctes = [
      cte('invitee', sql`${inviteeAndInviter(context, 'addressee')}`),
      cte('added', sql`${insertRowWhere('invitations', row, noMember)} on conflict do nothing returning 1`),
      ...invitationWrites(false, pending, events),
    ]
    return sql<
      FoldedRow & Partial<InviteeRow>
    >`with ${sql.join(ctes)} select w.written, r.* from (select count(*) as written from added) as w left join invitee as r on true`
  })
}

/** See `writeInvitation`. */
interface Unless {
  run(context: StorageContext, values: Record<string, unknown>): Promise<boolean>
  refused(): boolean
}

/**
 * The CTEs that follow the invitation's insert (`added`): on one server its id and token
 * lookups and its addressee's index entry, then its audit events, each written only if the
 * invitation was.
 */
function invitationWrites(distributed: boolean, pending: boolean, events: number): RawBuilder<unknown>[] {
  const ids = { organization_id: slot<string>('organization_id'), id: slot<string>('id') }
  const ctes: RawBuilder<unknown>[] = []
  if (!distributed) {
    const token = { token_hash: slot('token_hash'), organization_id: ids.organization_id, invitation_id: ids.id }
    ctes.push(cte('by_id', insertRow('invitation_ids', ids, 'added')))
    ctes.push(cte('by_token', insertRow('invitation_tokens', token, 'added')))
    if (pending) {
      const entry = {
        email: slot<string>('email'),
        organization_id: ids.organization_id,
        invitation_id: ids.id,
        created_at: slot('created_at'),
        expires_at: slot('expires_at'),
      }
      ctes.push(cte('by_email', insertRow('email_invitations', entry, 'added')))
    }
  }
  return [...ctes, ...auditInserts(events, 'added')]
}

/**
 * PostgreSQL: an invitation accepted with its membership in one statement (see folded.ts).
 * `consumed` takes the invitation out of `pending` (while pending and unexpired: the same
 * condition as `transition`, decided on the row's lock) and answers its email; the
 * membership is inserted for the row it answered, and the kept count, the events and, on
 * one server, the user's index entry and the addressee's `email_invitations` entry follow.
 * The statement answers the email (`null`: the invitation was not consumed) and whether the
 * membership was added (not: a member already, with the invitation consumed, which the
 * caller rolls back). Distributed, the two index rows are on their own shards (the user's,
 * the email's): a statement each, after this one.
 */
const foldedAcceptance = foldedVariants<{ email: string | null; added: string | number }>()
function acceptFolded(distributed: boolean, events: number) {
  return foldedAcceptance(`${distributed} ${events}`, (context) => {
    const organizationId = slot<string>('organizationId')
    const id = slot<string>('id')
    const userId = slot<string>('userId')
    const joinedAt = slot<string>('joinedAt')
    const consumed = context.db
      .updateTable('invitations')
      .set({ status: 'accepted', pending_email: null, responded_by: userId, updated_at: joinedAt })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', joinedAt)
      .returning('email')
    const ids = { organization_id: organizationId, user_id: userId }
    const ctes = [
      cte('consumed', sql`${consumed}`),
      cte(
        'added',
        sql`${insertRow('members', { ...ids, role: slot<string>('role'), joined_at: joinedAt }, 'consumed')} on conflict do nothing returning 1`,
      ),
      cte(
        'counted',
        sql`update ${sql.table('organizations')} set ${sql.ref('member_count')} = ${sql.ref('member_count')} + 1 where ${sql.ref('id')} = ${organizationId} and exists (select 1 from ${sql.id('added')})`,
      ),
    ]
    if (!distributed) {
      ctes.push(
        cte(
          'unindexed',
          sql`delete from ${sql.table('email_invitations')} where ${sql.ref('email')} in (select ${sql.ref('email')} from ${sql.id('consumed')}) and ${sql.ref('organization_id')} = ${organizationId} and ${sql.ref('invitation_id')} = ${id}`,
        ),
        cte('indexed', insertRow('user_memberships', { ...ids, joined_at: joinedAt }, 'added')),
      )
    }
    return sql<{
      email: string | null
      added: string | number
    }>`with ${sql.join([...ctes, ...auditInserts(events, 'added')])} select (select ${sql.ref('email')} from ${sql.id('consumed')}) as ${sql.id('email')}, (select count(*) from ${sql.id('added')}) as ${sql.id('added')}`
  })
}

/** `invitations.locate`: the invitation's organization and id, from the token's or the id's global lookup. */
export async function locateInvitation(
  context: StorageContext,
  ref: InvitationRef,
): Promise<{ organizationId: string; id: string } | null> {
  const found =
    'tokenHash' in ref
      ? (await tokenLookup.run(context, { tokenHash: ref.tokenHash })).rows[0]
      : (await idLookup.run(context, { id: ref.id })).rows[0]
  return found === undefined ? null : { organizationId: found.organization_id, id: found.id }
}

export function invitationRepository(context: StorageContext): TransactionInvitationRepository {
  const { db, dialect, atomic } = context
  const toRecord = (row: Selectable<InvitationsTable>) => invitationFromRow(row, dialect)

  const selectOne = async (executor: Kysely<OrgkitDatabase>, organizationId: string, id: string) =>
    (await invitationById.run({ ...context, db: executor }, { organizationId, id })).rows[0]

  /** The second step of a global lookup: the invitation in its organization's table. */
  const resolve = async (found: { organization_id: string; id: string } | undefined) => {
    if (found === undefined) return null
    const row = await selectOne(db, found.organization_id, found.id)
    return row === undefined ? null : toRecord(row)
  }

  /** Takes a pending invitation out of its addressee's index, once it stops being pending. */
  const unindex = (executor: Kysely<OrgkitDatabase>, organizationId: string, id: string, email: string) =>
    unindexEmail.run({ ...context, db: executor }, { email, organizationId, id })

  /**
   * A conditional update of one invitation that takes it out of `pending`, and its index
   * row with it. The email is read in the UPDATE where the engine has RETURNING on it
   * (PostgreSQL, SQLite); MariaDB reads the row it has just locked.
   */
  const leavePending = async (
    trx: Kysely<OrgkitDatabase>,
    update: UpdateQueryBuilder<OrgkitDatabase, 'invitations', 'invitations', UpdateResult>,
    organizationId: string,
    id: string,
  ): Promise<boolean> => {
    let email: string | undefined
    if (dialect.name === 'postgres' && !(await context.distributed(trx))) {
      // On one server the index row goes in the same statement (see folded.ts): both tables
      // are on this server, and a trip saved is the whole cost of the second statement.
      const statement = folded(
        [
          cte('left_pending', sql`${update.returning('email')}`),
          cte(
            'unindexed',
            sql`delete from ${sql.table('email_invitations')} where ${sql.ref('email')} in (select ${sql.ref('email')} from ${sql.id('left_pending')}) and ${sql.ref('organization_id')} = ${organizationId} and ${sql.ref('invitation_id')} = ${id}`,
          ),
        ],
        'left_pending',
      )
      const { rows } = await statement.execute(trx)
      return Number(rows[0]?.written ?? 0) > 0
    }
    if (dialect.name === 'mysql') {
      // The status always changes when the row matches, so affected rows mean the same with
      // and without mysql2's FOUND_ROWS flag.
      if (affected((await update.executeTakeFirst()).numUpdatedRows) === 0) return false
      email = (await selectOne(trx, organizationId, id))?.email
    } else {
      email = (await update.returning('email').executeTakeFirst())?.email
      if (email === undefined) return false
    }
    if (email !== undefined) await unindex(trx, organizationId, id, email)
    return true
  }

  /**
   * `transition` in `trx`. The whole precondition is in the WHERE clause: concurrent accepts,
   * declines and revokes of one invitation queue on its row lock, the first flips the status,
   * and the others re-check the condition against the committed row and match nothing.
   */
  const respond = async (
    trx: Kysely<OrgkitDatabase>,
    organizationId: string,
    id: string,
    change: { to: 'accepted' | 'declined' | 'revoked'; respondedBy: string | null; now: Date },
  ): Promise<boolean> => {
    if (dialect.name !== 'sqlite') {
      return leavePending(
        trx,
        trx
          .updateTable('invitations')
          .set({
            status: change.to,
            pending_email: null,
            responded_by: change.respondedBy,
            updated_at: dialect.toTimestamp(change.now),
          })
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .where('expires_at', '>', dialect.toTimestamp(change.now)),
        organizationId,
        id,
      )
    }
    // On SQLite the same update, compiled once, reads the email with RETURNING.
    const { rows } = await respondReturningEmail.run(
      { ...context, db: trx },
      { organizationId, id, to: change.to, respondedBy: change.respondedBy, now: dialect.toTimestamp(change.now) },
    )
    const email = rows[0]?.email
    if (email === undefined) return false
    await unindex(trx, organizationId, id, email)
    return true
  }

  /**
   * `insert`, where `unless` (PostgreSQL on one server only) runs the statement that writes
   * the invitation in place of `insertInvitationFolded` and answers whether it wrote it, and,
   * when it did not, whether the write was refused (`'refused'`, nothing written): then no
   * expired invitation's slot is released for it.
   */
  const writeInvitation = (
    invitation: InvitationRecord,
    now: Date,
    events: AuditEvents,
    unless?: Unless,
  ): Promise<'inserted' | 'duplicate' | 'refused'> =>
    atomic(async (trx) => {
      const email = invitation.email
      // Of concurrent inserts for one email exactly one passes the unique key; the others
      // wait for it to commit and then insert nothing.
      const row: Insertable<InvitationsTable> = {
        organization_id: invitation.organizationId,
        id: invitation.id,
        email,
        pending_email: invitation.status === 'pending' ? email : null,
        role: invitation.role,
        team_ids: toJson(invitation.teamIds),
        status: invitation.status,
        token_hash: invitation.tokenHash,
        expires_at: dialect.toTimestamp(invitation.expiresAt),
        invited_by: invitation.invitedBy,
        responded_by: invitation.respondedBy,
        created_at: dialect.toTimestamp(invitation.createdAt),
        updated_at: dialect.toTimestamp(invitation.updatedAt),
      }
      const inTransaction = { ...context, db: trx }
      const pending = invitation.status === 'pending'
      const distributed = dialect.name === 'postgres' ? await context.distributed(trx) : null
      const insert =
        distributed === null
          ? () => insertInvitation.run(inTransaction, row)
          : unless !== undefined
            ? () => unless.run(inTransaction, auditValues(events, dialect, { ...row }))
            : () =>
                runFolded(
                  insertInvitationFolded(distributed, pending, events.length),
                  inTransaction,
                  auditValues(events, dialect, { ...row }),
                )
      let inserted = await insert()
      if (!inserted && unless?.refused()) return 'refused' as const
      if (!inserted) {
        // The email's slot is held. By an expired pending invitation, it is released and
        // the insert tried again; by an unexpired one, this is a duplicate. Trying the
        // insert first spares the common case (a free slot) a statement.
        const released = await trx
          .updateTable('invitations')
          .set({ status: 'expired', pending_email: null, updated_at: dialect.toTimestamp(now) })
          .where('organization_id', '=', invitation.organizationId)
          .where('pending_email', '=', email)
          .where('expires_at', '<=', dialect.toTimestamp(now))
          .executeTakeFirst()
        if (affected(released.numUpdatedRows) === 0) return 'duplicate' as const
        await trx
          .deleteFrom('email_invitations')
          .where('email', '=', email)
          .where('organization_id', '=', invitation.organizationId)
          .where('expires_at', '<=', dialect.toTimestamp(now))
          .execute()
        inserted = await insert()
        if (!inserted && unless?.refused()) return 'refused' as const
      }
      if (!inserted) return 'duplicate' as const
      // On one server PostgreSQL wrote the rest with the invitation.
      if (distributed === false) return 'inserted' as const
      const ids = { organizationId: invitation.organizationId, id: invitation.id }
      await insertIdLookup.run(inTransaction, ids)
      await insertTokenLookup.run(inTransaction, { ...ids, tokenHash: invitation.tokenHash })
      if (pending) {
        await insertEmailIndex.run(inTransaction, {
          ...ids,
          email,
          createdAt: dialect.toTimestamp(invitation.createdAt),
          expiresAt: dialect.toTimestamp(invitation.expiresAt),
        })
      }
      // MariaDB and SQLite: the events in a statement of their own (PostgreSQL wrote them
      // with the invitation).
      if (distributed === null) await auditRepository(inTransaction).append(events)
      return 'inserted' as const
    })

  const insert: TransactionInvitationRepository['insert'] = async (invitation, now, events = []) => {
    const outcome = await writeInvitation(invitation, now, events)
    return outcome === 'refused' ? 'duplicate' : outcome
  }

  return {
    insert,

    async insertUnlessMember(invitation, now, events, inviterId) {
      const values = inviteeValues(context, invitation.organizationId, invitation.email, inviterId)
      if (dialect.name !== 'postgres' || (await context.distributed(db))) {
        // The addressee read first, then the insert: two statements.
        const { isMember, inviter } = await readInvitee(context, values)
        if (isMember) return { outcome: 'member', inviter }
        return { outcome: await insert(invitation, now, events), inviter }
      }
      let read: readonly InviteeRow[] = []
      const isMember = () => read.some((row) => Number(row.marker) === 0 && row.member_id !== null)
      const outcome = await writeInvitation(invitation, now, events, {
        async run(inTransaction, written) {
          const statement = insertUnlessMemberFolded(invitation.status === 'pending', events.length)
          const { rows } = await statement.run(inTransaction, {
            ...written,
            organizationId: values.organizationId,
            addressee: values.email,
            inviterId: values.inviterId,
          })
          read = rows.filter((row): row is FoldedRow & InviteeRow => row.marker !== null && row.marker !== undefined)
          return Number(rows[0]?.written ?? 0) > 0
        },
        refused: isMember,
      })
      const { inviter } = inviteeFromRows(read)
      return { outcome: outcome === 'refused' ? 'member' : outcome, inviter }
    },

    async find(organizationId, id) {
      const row = await selectOne(db, organizationId, id)
      return row === undefined ? null : toRecord(row)
    },

    findById: async (id) => resolve((await idLookup.run(context, { id })).rows[0]),

    findByTokenHash: async (tokenHash) => resolve((await tokenLookup.run(context, { tokenHash })).rows[0]),

    locate: (ref) => locateInvitation(context, ref),

    list: (organizationId, filter, now, page) =>
      readKeysetPage(invitationPage(context, organizationId, filter, now, page), dialect),

    async listPendingForEmail(email, now, page) {
      // A page of the addressee's index, then its invitations in one statement that names
      // their organizations (on Citus: only those organizations' shards).
      const entries = await keysetQuery(
        db
          .selectFrom('email_invitations as e')
          .select(['e.organization_id', 'e.invitation_id'])
          .where('e.email', '=', email.trim().toLowerCase())
          .where('e.expires_at', '>', dialect.toTimestamp(now)),
        { time: 'e.created_at', id: 'e.invitation_id', order: 'desc' },
        page,
        dialect,
      ).execute()
      if (entries.length === 0) return keysetPage<InvitationWithInviter>([], page, createdKey)
      const rows = await invitationsWithInviters(context)
        .where('i.organization_id', 'in', [...new Set(entries.map((entry) => entry.organization_id))])
        .where(
          'i.id',
          'in',
          entries.map((entry) => entry.invitation_id),
        )
        .execute()
      const byKey = new Map(rows.map((row) => [`${row.organization_id} ${row.id}`, row]))
      const records = entries.flatMap((entry) => {
        const row = byKey.get(`${entry.organization_id} ${entry.invitation_id}`)
        return row === undefined ? [] : [invitationWithInviterFromRow(row, dialect)]
      })
      return keysetPage(records, page, createdKey)
    },

    transition: (organizationId, id, change) => atomic((trx) => respond(trx, organizationId, id, change)),

    accept: (id, member, events = []) =>
      atomic(async (trx) => {
        const inTransaction = { ...context, db: trx }
        const { organizationId, userId } = member
        const joinedAt = dialect.toTimestamp(member.joinedAt)
        if (dialect.name === 'postgres') {
          const distributed = await context.distributed(trx)
          const values = auditValues(events, dialect, { organizationId, id, userId, role: member.role, joinedAt })
          const row = (await acceptFolded(distributed, events.length).run(inTransaction, values)).rows[0]
          const email = row?.email ?? null
          if (email === null) return 'settled'
          if (Number(row?.added ?? 0) === 0) return 'duplicate'
          if (distributed) {
            await unindex(trx, organizationId, id, email)
            await insertIndexEntry.run(inTransaction, { organizationId, userId, joinedAt })
          }
          return 'accepted'
        }
        // MariaDB and SQLite: the statements of a transition and of `members.insert`, in turn.
        if (!(await respond(trx, organizationId, id, { to: 'accepted', respondedBy: userId, now: member.joinedAt }))) {
          return 'settled'
        }
        if (!(await insertMembership(context, trx, member))) return 'duplicate'
        await moveOrganizationCount(inTransaction, organizationId, 'member_count', 1)
        await auditRepository(inTransaction).append(events)
        return 'accepted'
      }),

    revokePendingWithRole: (organizationId, role, now) =>
      atomic(async (trx) => {
        // Locked while read, then each moved out of `pending` by the conditional update every
        // transition uses (one that an accept won meanwhile is not counted).
        const pending = await dialect
          .forUpdate(
            trx
              .selectFrom('invitations')
              .select('id')
              .where('organization_id', '=', organizationId)
              .where('status', '=', 'pending')
              .where('role', '=', role),
          )
          .execute()
        let revoked = 0
        for (const { id } of pending) {
          const update = trx
            .updateTable('invitations')
            .set({ status: 'revoked', pending_email: null, responded_by: null, updated_at: dialect.toTimestamp(now) })
            .where('organization_id', '=', organizationId)
            .where('id', '=', id)
            .where('status', '=', 'pending')
          if (await leavePending(trx, update, organizationId, id)) revoked += 1
        }
        return revoked
      }),

    rotateToken: (organizationId, id, change) =>
      atomic(async (trx) => {
        // Locked while read, so the hash replaced below is the current one: two concurrent
        // resends queue here, and each replaces the hash the other left.
        const current = await dialect
          .forUpdate(
            trx
              .selectFrom('invitations')
              .selectAll()
              .where('organization_id', '=', organizationId)
              .where('id', '=', id)
              .where('status', '=', 'pending'),
          )
          .executeTakeFirst()
        if (current === undefined) return null
        const changed = {
          token_hash: change.tokenHash,
          expires_at: dialect.toTimestamp(change.expiresAt),
          updated_at: dialect.toTimestamp(change.now),
        }
        await trx
          .updateTable('invitations')
          .set(changed)
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .execute()
        // The old hash stops resolving in the same transaction.
        await trx.deleteFrom('invitation_tokens').where('token_hash', '=', current.token_hash).execute()
        await trx
          .insertInto('invitation_tokens')
          .values({ token_hash: change.tokenHash, organization_id: organizationId, invitation_id: id })
          .execute()
        await trx
          .updateTable('email_invitations')
          .set({ expires_at: changed.expires_at })
          .where('email', '=', current.email)
          .where('organization_id', '=', organizationId)
          .where('invitation_id', '=', id)
          .execute()
        return toRecord({ ...current, ...changed })
      }),

    async countPending(organizationId, now) {
      const row = await db
        .selectFrom('invitations')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('organization_id', '=', organizationId)
        .where('status', '=', 'pending')
        .where('expires_at', '>', dialect.toTimestamp(now))
        .executeTakeFirst()
      return toCount(row?.count)
    },
  }
}

const NEWEST_FIRST = { time: 'i.created_at', id: 'i.id', order: 'desc' } as const
const createdKey = (invitation: InvitationRecord) => ({ at: invitation.createdAt, id: invitation.id })

/**
 * Invitations (`i`) left-joined with their inviters from the host's users (`u`): one query,
 * and an inviter missing from the host's table reads as nulls.
 */
function invitationsWithInviters(context: StorageContext) {
  const inviter = context.hostUsers.id.fromOrgkitColumn(sql.ref('i.invited_by'))
  return context.db
    .selectFrom('invitations as i')
    .leftJoin('host_users as u', (join) => join.on(sql<SqlBool>`${hostUserColumns(context.users).id} = ${inviter}`))
    .selectAll('i')
    .select(mappedUserSelection(context.users))
}

type InvitationInviterRow = Selectable<InvitationsTable> & Partial<UserColumns>

function invitationWithInviterFromRow(row: InvitationInviterRow, dialect: StorageDialect): InvitationWithInviter {
  return { ...invitationFromRow(row, dialect), inviter: userFromRow(row.invited_by, row) }
}

/** A page of the organization's invitations with their inviters, newest first; `filter.status` as of `now`. */
export function invitationPage(
  context: StorageContext,
  organizationId: string,
  filter: InvitationListFilter,
  now: Date,
  page: PageInput,
): KeysetRead<InvitationInviterRow, InvitationWithInviter> {
  const at = context.dialect.toTimestamp(now)
  let query = invitationsWithInviters(context).where('i.organization_id', '=', organizationId)
  const status = filter.status
  if (status === 'pending') {
    query = query.where('i.status', '=', 'pending').where('i.expires_at', '>', at)
  } else if (status === 'expired') {
    query = query.where((eb) =>
      eb.or([eb('i.status', '=', 'expired'), eb.and([eb('i.status', '=', 'pending'), eb('i.expires_at', '<=', at)])]),
    )
  } else if (status !== undefined) {
    query = query.where('i.status', '=', status)
  }
  const toRecord = (row: InvitationInviterRow) => invitationWithInviterFromRow(row, context.dialect)
  return { query, sort: NEWEST_FIRST, page, toRecord, keyOf: createdKey }
}

export function invitationFromRow(row: Selectable<InvitationsTable>, dialect: StorageDialect): InvitationRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    email: row.email,
    role: row.role,
    teamIds: parseStringArray(row.team_ids),
    status: row.status as InvitationStatus,
    tokenHash: row.token_hash,
    expiresAt: dialect.fromTimestamp(row.expires_at),
    invitedBy: row.invited_by,
    createdAt: dialect.fromTimestamp(row.created_at),
    updatedAt: dialect.fromTimestamp(row.updated_at),
    respondedBy: row.responded_by,
  }
}
