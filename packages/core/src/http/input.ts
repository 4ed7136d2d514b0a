import type { ErrorDetail } from '../shared/errors'
import { OrgkitError } from '../shared/errors'

/**
 * Body fields holding text for people to read: they may keep tab, line feed and carriage
 * return. Every other string (ids, slugs, emails, keys, usernames, tokens, roles,
 * permissions, path and query parameters, object keys) is a name for a machine and may
 * hold no control character at all.
 */
const FREE_TEXT_FIELDS: ReadonlySet<string> = new Set(['name', 'description'])
/** Body fields whose string values, at any depth, are free text too (the keys are not). */
const FREE_TEXT_TREES: ReadonlySet<string> = new Set(['metadata'])

// C0 controls and DEL. U+0000 is singled out below because one database refuses it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
const CONTROL = /[\u0000-\u001f\u007f]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Refuses, with one 400 naming every offending field, strings that no database stores
 * alike: U+0000 (PostgreSQL refuses it in `text` and `jsonb`, SQLite and MariaDB keep it),
 * other control characters outside free text, and lone surrogates (not Unicode, so each
 * driver replaces them with U+FFFD, storing something the caller never sent).
 */
export function assertStoredText(input: { path?: unknown; query?: unknown; body?: unknown }): void {
  const details: ErrorDetail[] = []
  for (const [location, value] of Object.entries(input)) scan(value, location, 'name', details)
  if (details.length > 0) throw new OrgkitError('validation_failed', 'The request is not valid.', { details })
}

/** The same rule for one name-like string outside a request's inputs (`requirePermission`'s organization). */
export function assertName(value: string, path: string): void {
  const problem = textProblem(value, false)
  if (problem !== undefined) {
    throw new OrgkitError('validation_failed', 'The request is not valid.', { details: [{ path, message: problem }] })
  }
}

type Mode = 'name' | 'freeText'

function scan(value: unknown, path: string, mode: Mode, details: ErrorDetail[]): void {
  if (typeof value === 'string') {
    const problem = textProblem(value, mode === 'freeText')
    if (problem !== undefined) details.push({ path, message: problem })
    return
  }
  if (typeof value !== 'object' || value === null) return
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) scan(item, `${path}.${index}`, mode, details)
    return
  }
  const inBody = path === 'body' || path.startsWith('body.')
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = textProblem(key, false)
    if (keyProblem !== undefined) {
      details.push({ path, message: `Field names: ${keyProblem.charAt(0).toLowerCase()}${keyProblem.slice(1)}` })
      continue
    }
    // `name` and `description` are free text wherever they sit in a body (a nested object
    // names its own); a top-level `metadata` is free text all the way down, keys excepted.
    const freeText =
      mode === 'freeText' || (inBody && (FREE_TEXT_FIELDS.has(key) || (path === 'body' && FREE_TEXT_TREES.has(key))))
    scan(item, `${path}.${key}`, freeText ? 'freeText' : 'name', details)
  }
}

function textProblem(value: string, freeText: boolean): string | undefined {
  if (value.includes('\u0000')) return 'Must not contain the NUL character (U+0000)'
  if ((freeText ? CONTROL_EXCEPT_WHITESPACE : CONTROL).test(value)) {
    return freeText
      ? 'Must not contain control characters other than tab and line breaks'
      : 'Must not contain control characters'
  }
  if (LONE_SURROGATE.test(value)) return 'Must be well-formed Unicode (no lone surrogates)'
  return undefined
}
