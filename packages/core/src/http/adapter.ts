import type { Orgkit } from '../instance/orgkit'
import { DEFAULT_BODY_LIMIT } from './body'

/**
 * The wiring checks every adapter makes when the app is built, so that a mistake fails at
 * start-up with a message naming the adapter's package, not on the first request.
 */

/** Throws unless `value` came from `createOrgkit()`; `what` names the argument or option. */
export function assertOrgkitInstance(value: unknown, packageName: string, what: string): asserts value is Orgkit {
  if (typeof (value as Partial<Orgkit> | null | undefined)?.as !== 'function') {
    throw new TypeError(`${packageName}: ${what} must be an instance from createOrgkit()`)
  }
}

const FUNCTION_OPTIONS: ReadonlySet<string> = new Set(['resolveActor', 'onError', 'organization'])

/** Options that take a function (`resolveActor`, `onError`, `organization`) must be functions. */
export function assertFunctionOptions(options: object, packageName: string): void {
  for (const [name, value] of Object.entries(options)) {
    if (FUNCTION_OPTIONS.has(name) && value !== undefined && typeof value !== 'function') {
      throw new TypeError(`${packageName}: the \`${name}\` option must be a function`)
    }
  }
}

/** The `bodyLimit` option: a positive whole number of bytes. @default 1_048_576 */
export function bodyLimitOption(value: unknown, packageName: string): number {
  if (value === undefined) return DEFAULT_BODY_LIMIT
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${packageName}: the \`bodyLimit\` option must be a positive whole number of bytes`)
  }
  return value
}
