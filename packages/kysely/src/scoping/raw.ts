import { type RawBuilder, type RawNode, sql } from 'kysely'
import type { ScopedTable, ScopedTableSet } from './options'

/**
 * The comment that opens a raw fragment the host has reviewed. It travels in the SQL
 * text itself, so it survives every plugin that rebuilds the node before the scope sees
 * it, and shows in the statement logs.
 */
export const REVIEWED_RAW_MARK = '/* orgkit: unscoped */ '

/**
 * The `sql` tag for a raw fragment that may name a scoped table, reviewed by a person:
 * the scope lets it through as written, adding no condition. `reason` says why it is
 * safe, for the reviewer who reads the call (it is not sent to the database).
 *
 * ```ts
 * const rows = await unscopedSql('platform report: counts per organization')<Row>`
 *   select organization_id, count(*) as n from projects group by organization_id`.execute(scoped)
 * ```
 *
 * Only this fragment is let through: a raw fragment nested in it is checked on its own.
 */
export function unscopedSql(
  reason: string,
): <T = unknown>(strings: TemplateStringsArray, ...values: unknown[]) => RawBuilder<T> {
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new Error('@orgkit/kysely: unscopedSql needs a reason, for whoever reviews the query.')
  }
  return <T = unknown>(strings: TemplateStringsArray, ...values: unknown[]): RawBuilder<T> => {
    const marked = [`${REVIEWED_RAW_MARK}${strings[0] ?? ''}`, ...strings.slice(1)]
    const template = Object.assign(marked, {
      raw: [`${REVIEWED_RAW_MARK}${strings.raw[0] ?? ''}`, ...strings.raw.slice(1)],
    })
    return sql<T>(template as unknown as TemplateStringsArray, ...values)
  }
}

export function isReviewedRaw(node: RawNode): boolean {
  return node.sqlFragments[0]?.startsWith(REVIEWED_RAW_MARK) === true
}

/**
 * The first scoped table whose name appears as a word in the fragments, if any. A
 * conservative reading: a column or alias spelled like a scoped table counts too (mark
 * such a fragment reviewed); a table name assembled from parameters cannot hide, since
 * parameters are values, never SQL.
 */
export function scopedTableInFragments(tables: ScopedTableSet, fragments: readonly string[]): ScopedTable | undefined {
  return tables.mentionedIn(fragments.join(' '))
}
