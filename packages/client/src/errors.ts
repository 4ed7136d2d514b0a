import type { OrgkitErrorCode } from './contract'

/** One entry of `details` on a `validation_failed` answer: which input field, and what is wrong with it. */
export interface OrgkitErrorDetail {
  path?: (string | number)[] | string
  message: string
  [field: string]: unknown
}

/**
 * The server answered with an error (any 4xx or 5xx). `code` is the API's error code
 * (`forbidden`, `not_found`, `last_owner`…); `details` lists the fields of a
 * `validation_failed`. An answer that is not orgkit's error shape (a proxy's 502 page)
 * has the code `unexpected_response`.
 */
export class OrgkitClientError extends Error {
  override readonly name = 'OrgkitClientError'
  /** The HTTP status: 400, 401, 403, 404, 409, 410, 500… */
  readonly status: number
  readonly code: OrgkitErrorCode | 'unexpected_response'
  readonly details: OrgkitErrorDetail[] | undefined
  /** The method and path that was called, e.g. `DELETE /organizations/acme/members/u_1`. */
  readonly request: string

  constructor(init: {
    status: number
    code: OrgkitErrorCode | 'unexpected_response'
    message: string
    details?: OrgkitErrorDetail[] | undefined
    request: string
  }) {
    super(init.message)
    this.status = init.status
    this.code = init.code
    this.details = init.details
    this.request = init.request
  }
}

/**
 * The request never got an answer: the network is down, the host is unknown, CORS refused
 * it, or the base URL is malformed. The `fetch` error is the `cause`. An aborted call
 * rejects with the signal's reason instead (an `AbortError`), as `fetch` does.
 */
export class OrgkitNetworkError extends Error {
  override readonly name = 'OrgkitNetworkError'
  readonly request: string

  constructor(request: string, cause: unknown) {
    super(`${request} failed before the server answered: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    })
    this.request = request
  }
}

/** Whether `error` is an `OrgkitClientError`, optionally with one of the given codes. */
export function isOrgkitClientError(
  error: unknown,
  ...codes: (OrgkitErrorCode | 'unexpected_response')[]
): error is OrgkitClientError {
  return error instanceof OrgkitClientError && (codes.length === 0 || codes.includes(error.code))
}
