import type { UserDirectory, UserSummary } from '@orgkit/core'
import { type RawBuilder, type SqlBool, sql } from 'kysely'
import { compiled, slot } from '../compiled'
import type { StorageContext } from '../context'
import { emailIs, type HostUserColumns, hostUserColumns, userSummaryFromRow, userSummarySelection } from './members'

/**
 * The host's user table, read-only. Emails compare case-insensitively: against the column
 * as stored when the host says it stores them lower-cased (`emailNormalized`, served by its
 * plain index on the column), otherwise with `lower()` on the column (served by an index on
 * `lower(email)` where the engine has one). Usernames compare exactly, as the host stores them.
 */
/** One user's summary, by `condition` (built from the storage's column mapping). */
const selectUser = (context: StorageContext, condition: (columns: HostUserColumns) => RawBuilder<SqlBool>) => {
  const columns = hostUserColumns(context.users)
  return context.db
    .selectFrom('host_users as u')
    .select(userSummarySelection(columns))
    .where(condition(columns))
    .limit(1)
}

const userById = compiled((context) => selectUser(context, (c) => sql<SqlBool>`${c.id} = ${slot<string>('id')}`))
const userByEmail = compiled((context) => selectUser(context, (c) => emailIs(context.users, c, slot<string>('email'))))
const userByUsername = compiled((context) =>
  selectUser(context, (c) => sql<SqlBool>`${c.username} = ${slot<string>('username')}`),
)

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
    findById: (id) => findOne(userById, { id }),
    findByEmail: (email) => findOne(userByEmail, { email: email.trim().toLowerCase() }),
    async findByUsername(username) {
      if (users.username === undefined) return null
      return findOne(userByUsername, { username })
    },
  }
}
