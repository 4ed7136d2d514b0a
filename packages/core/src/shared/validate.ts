import type * as z from 'zod'
import type { ErrorDetail } from './errors'
import { OrgkitError } from './errors'

/**
 * How deeply an input may nest objects and arrays: a request body (the body itself is level
 * 1, so `metadata` may nest 30 more) or an argument of the core API. orgkit's own fields nest
 * at most three levels; the limit keeps every walk over an input (this module's, zod's) far
 * from the call stack's end, so a deeply nested input is a 400, never a stack overflow.
 */
export const MAX_INPUT_DEPTH = 32

/**
 * Validates input to the public core API with its zod schema. Failures become one
 * `validation_failed` error whose details name each offending field (prefixed with
 * `prefix`, e.g. `body` over HTTP). The stored-text rule and the depth limit have been
 * applied before, to the whole call: by `assertStoredText` over HTTP, by
 * `assertStoredArguments` on every method of `orgkit.as(actor)`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const details = result.error.issues.map((issue) => {
    const parts = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys.join(',')] : issue.path
    const path = [prefix, ...parts.map(String)].filter((p) => p !== undefined && p !== '').join('.')
    const message = issue.code === 'unrecognized_keys' ? `Unknown field: ${issue.keys.join(', ')}` : issue.message
    return { path: path || (prefix ?? ''), message }
  })
  throw new OrgkitError('validation_failed', 'The request is not valid.', { details })
}

/**
 * A permission list holds each permission once: a repeated one is refused at its index
 * (`permissions.2`), naming the first, rather than silently merged, so what a caller sends is
 * what is stored and shown.
 */
export function refuseRepeats(list: readonly string[], context: z.core.$RefinementCtx<string[]>): void {
  const first = new Map<string, number>()
  for (const [index, item] of list.entries()) {
    const seen = first.get(item)
    if (seen === undefined) first.set(item, index)
    else context.addIssue({ code: 'custom', path: [index], message: `Repeats "${item}" (already at ${seen})` })
  }
}

export function invalid(path: string, message: string): OrgkitError {
  return new OrgkitError('validation_failed', message, { details: [{ path, message }] })
}

// ── What may be stored as text ────────────────────────────────────────────────────

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

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Refuses, with one 400 naming every offending field, strings that no database stores
 * alike: U+0000 (PostgreSQL refuses it in `text` and `jsonb`, SQLite and MariaDB keep it),
 * other control characters outside free text, and lone surrogates (not Unicode, so each
 * driver replaces them with U+FFFD, storing something the caller never sent); and objects or
 * arrays nested deeper than {@link MAX_INPUT_DEPTH}.
 */
export function assertStoredText(input: { path?: unknown; query?: unknown; body?: unknown }): void {
  const details: ErrorDetail[] = []
  for (const [location, value] of Object.entries(input)) scan(value, location, location === 'body', details)
  if (details.length > 0) throw new OrgkitError('validation_failed', 'The request is not valid.', { details })
}

/**
 * The same rule for one call of the imported core API, before it reaches a service: the
 * actor, each string argument (named by `names`, in order: `org`, `userId`, …) and each
 * input object, whose fields are named bare, as its schema names them, and whose `name`,
 * `description` and `metadata` are free text as in a request body.
 */
export function assertStoredArguments(actor: unknown, args: readonly unknown[], names: readonly string[]): void {
  const details: ErrorDetail[] = []
  scan(actor, 'actor', false, details)
  for (const [index, value] of args.entries()) {
    if (typeof value === 'string') scan(value, names[index] ?? `argument${index + 1}`, false, details)
    else scan(value, '', true, details)
  }
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

/** One value still to look at: where it is, how its strings are read, and how deep it sits. */
interface Pending {
  value: unknown
  path: string
  mode: Mode
  depth: number
}

const join = (path: string, key: string | number) => (path === '' ? String(key) : `${path}.${key}`)

/**
 * Walks `root` with a stack of its own rather than by recursion, so that no input can reach
 * the end of the call stack, and stops at {@link MAX_INPUT_DEPTH}: a deeper input gets one
 * detail at `root`'s path and is not walked further. An object met twice (shared, or a
 * cycle in a value passed to the core API) is looked at once.
 */
function scan(root: unknown, rootPath: string, inBody: boolean, details: ErrorDetail[]): void {
  const stack: Pending[] = [{ value: root, path: rootPath, mode: 'name', depth: 0 }]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const { value, path, mode, depth } = stack.pop()!
    if (typeof value === 'string') {
      const problem = textProblem(value, mode === 'freeText')
      if (problem !== undefined) details.push({ path: path === '' ? rootPath : path, message: problem })
      continue
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) continue
    seen.add(value)
    if (depth >= MAX_INPUT_DEPTH) {
      details.push({ path: rootPath, message: `Must not nest objects and arrays more than ${MAX_INPUT_DEPTH} deep` })
      return
    }
    const children: Pending[] = []
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) {
        children.push({ value: item, path: join(path, index), mode, depth: depth + 1 })
      }
    } else {
      for (const [key, item] of Object.entries(value)) {
        const keyProblem = textProblem(key, false)
        if (keyProblem !== undefined) {
          details.push({
            path: path === '' ? rootPath : path,
            message: `Field names: ${keyProblem.charAt(0).toLowerCase()}${keyProblem.slice(1)}`,
          })
          continue
        }
        // `name` and `description` are free text wherever they sit in a body (a nested object
        // names its own); a top-level `metadata` is free text all the way down, keys excepted.
        const freeText =
          mode === 'freeText' ||
          (inBody && (FREE_TEXT_FIELDS.has(key) || (path === rootPath && FREE_TEXT_TREES.has(key))))
        children.push({ value: item, path: join(path, key), mode: freeText ? 'freeText' : 'name', depth: depth + 1 })
      }
    }
    // Reversed onto the stack, so that details come out in the input's own order.
    for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]!)
  }
}

function textProblem(value: string, freeText: boolean): string | undefined {
  // Printable ASCII, what ids, roles and most emails are: none of the problems below, at the
  // cost of one quick test instead of three.
  if (PRINTABLE_ASCII.test(value)) return undefined
  if (value.includes('\u0000')) return 'Must not contain the NUL character (U+0000)'
  if ((freeText ? CONTROL_EXCEPT_WHITESPACE : CONTROL).test(value)) {
    return freeText
      ? 'Must not contain control characters other than tab and line breaks'
      : 'Must not contain control characters'
  }
  if (LONE_SURROGATE.test(value)) return 'Must be well-formed Unicode (no lone surrogates)'
  return undefined
}
