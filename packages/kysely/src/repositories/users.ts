import type { UserDirectory, UserSummary } from '@orgkit/core'
import { type RawBuilder, type SqlBool, sql } from 'kysely'
import type { StorageContext } from '../context'
import { hostUserColumns } from './members'

/**
 * The host's user table, read-only. Emails compare case-insensitively: against the column
 * as stored when the host says it stores them lower-cased (`emailNormalized`, served by its
 * plain index on the column), otherwise with `lower()` on the column (served by an index on
 * `lower(email)` where the engine has one). Usernames compare exactly, as the host stores them.
 */
export function userDirectory(context: StorageContext): UserDirectory {
  const { db, users } = context
  const columns = hostUserColumns(users)

  const findOne = async (condition: RawBuilder<SqlBool>): Promise<UserSummary | null> => {
    const row = await db
      .selectFrom('host_users as u')
      .select([
        columns.id.as('id'),
        columns.email.as('email'),
        columns.username.as('username'),
        columns.name.as('name'),
        columns.imageUrl.as('image_url'),
      ])
      .where(condition)
      .limit(1)
      .executeTakeFirst()
    if (row === undefined || row.id === null) return null
    return {
      // Host ids may be numbers; orgkit speaks strings.
      id: String(row.id),
      email: row.email ?? null,
      username: row.username ?? null,
      name: row.name ?? null,
      imageUrl: row.image_url ?? null,
    }
  }

  return {
    findById: (id) => findOne(sql<SqlBool>`${columns.id} = ${id}`),
    findByEmail(email) {
      const normalized = email.trim().toLowerCase()
      return findOne(
        users.emailNormalized
          ? sql<SqlBool>`${columns.email} = ${normalized}`
          : sql<SqlBool>`lower(${columns.email}) = ${normalized}`,
      )
    },
    async findByUsername(username) {
      if (users.username === undefined) return null
      return findOne(sql<SqlBool>`${columns.username} = ${username}`)
    },
  }
}
