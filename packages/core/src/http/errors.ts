import { type ErrorCode, type ErrorDetail, isOrgkitError } from '../shared/errors'

/** The one table from error codes to HTTP statuses, used by every adapter. */
export const STATUS_BY_CODE = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  email_mismatch: 403,
  email_unverified: 403,
  not_found: 404,
  conflict: 409,
  last_owner: 409,
  limit_exceeded: 409,
  invitation_used: 409,
  invitation_expired: 410,
  invitation_revoked: 410,
  internal: 500,
} as const satisfies Record<ErrorCode, number>

export function statusForCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code]
}

/**
 * The HTTP status orgkit answers `error` with, for a host that shapes error answers in its
 * own error layer: the status of an `OrgkitError`'s code (`not_found` → 404, `internal` →
 * 500, the table of the HTTP contract), and `undefined` for anything else, which is the
 * host's to answer. Public: the same table both adapters use.
 *
 * ```ts
 * const status = httpStatusOf(error)
 * if (status !== undefined) return reply(status, { error: { code: error.code, message: error.message } })
 * ```
 */
export function httpStatusOf(error: unknown): number | undefined {
  return isOrgkitError(error) ? statusForCode(error.code) : undefined
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetail[] }
}

export interface HttpResponse {
  status: number
  /** JSON body; `undefined` for 204. */
  body: unknown
}

/**
 * Shapes any thrown value into the error response. An `OrgkitError` keeps its code and
 * message; anything else is a 500 whose message says nothing about the cause (the cause
 * goes to `onError`, the host's logger).
 */
export function errorToResponse(
  error: unknown,
  onError?: (error: unknown) => void,
): HttpResponse & { body: ErrorBody } {
  if (isOrgkitError(error) && error.code !== 'internal') {
    const body: ErrorBody = { error: { code: error.code, message: error.message } }
    if (error.details !== undefined) body.error.details = error.details
    return { status: statusForCode(error.code), body }
  }
  try {
    const reported: unknown = (onError ?? defaultOnError)(error)
    // An async logger that fails must not become an unhandled rejection (fatal on Node).
    if (reported instanceof Promise) reported.catch(() => {})
  } catch {
    // A failing logger must not replace this answer with the framework's own, which would
    // carry the logger's message to the client.
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong.' } } }
}

function defaultOnError(error: unknown): void {
  console.error('orgkit: unexpected error while handling a request', error)
}
