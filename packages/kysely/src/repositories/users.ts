import type { UserDirectory, UserSummary } from '@orgkit/core'
import { type RawBuilder, type SqlBool, sql } from 'kysely'
import { compiled, slot } from '../compiled'
import type { StorageContext } from '../context'
import { hostIdValue } from '../host-users'
import { emailIs, type HostUserColumns, hostUserColumns, userSummaryFromRow, userSummarySelection } from './members'

/** One user's summary, by `condition` (built from the storage's column mapping). */
const selectUser = (context: StorageContext, condition: (columns: HostUserColumns) => RawBuilder<SqlBool>) => {
  const columns = hostUserColumns(context.users)
  return context.db
    .selectFrom('host_users as u')
    .select(userSummarySelection(columns))
    .where(condition(columns))
    .limit(1)
}

const userById = compiled(
  (context) =>
    selectUser(context, (c) => sql<SqlBool>`${c.id} = ${context.hostUsers.id.fromParameter(slot<string>('id'))}`),
  { meetsHostUsers: true },
)
const userByEmail = compiled((context) => selectUser(context, (c) => emailIs(context, c, slot<string>('email'))), {
  meetsHostUsers: true,
})
const userByUsername = compiled(
  (context) => selectUser(context, (c) => sql<SqlBool>`${c.username} = ${slot<string>('username')}`),
  { meetsHostUsers: true },
)

/**
 * The host's user table, read-only. Ids compare as the host's id type (see `HostIdSql`).
 * Emails compare case-insensitively (see `emailIs`). Usernames compare exactly, as the host
 * stores them.
 */
export function userDirectory(context: StorageContext): UserDirectory {
  const { users } = context

  const findOne = async (
    query: typeof userById,
    values: Readonly<Record<string, unknown>>,
  ): Promise<UserSummary | null> => {
    const row = (await query.run(context, values)).rows[0]
    return row === undefined ? null : userSummaryFromRow(row)
  }

  return {
    async findById(id) {
      // An id the host's column cannot hold ('abc' for an integer column) names no user.
      const value = hostIdValue(users.idType, id)
      return value === null ? null : findOne(userById, { id: value })
    },
    findByEmail: (email) => findOne(userByEmail, { email: email.trim().toLowerCase() }),
    async findByUsername(username) {
      if (users.username === undefined) return null
      return findOne(userByUsername, { username })
    },
  }
}
