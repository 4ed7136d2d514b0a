/**
 * The one error class of orgkit. The core speaks in codes, never in HTTP statuses:
 * `@orgkit/core/http` maps each code to a status once, for every adapter.
 */
export const ERROR_CODES = {
  validation_failed: 'The request is not valid.',
  unauthenticated: 'Authentication is required.',
  forbidden: 'You do not have permission to do this.',
  email_mismatch: 'This invitation was sent to a different email address.',
  email_unverified: 'Verify your email address before accepting this invitation.',
  not_found: 'Not found.',
  conflict: 'This conflicts with an existing resource.',
  last_owner: 'The organization must keep at least one owner.',
  limit_exceeded: 'A configured limit was reached.',
  invitation_used: 'This invitation has already been used.',
  invitation_expired: 'This invitation has expired.',
  invitation_revoked: 'This invitation has been revoked.',
  internal: 'Something went wrong.',
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `body.email`. */
  path: string
  message: string
}

export class OrgkitError extends Error {
  override readonly name = 'OrgkitError'
  readonly code: ErrorCode
  readonly details: ErrorDetail[] | undefined

  constructor(code: ErrorCode, message?: string, options?: { details?: ErrorDetail[]; cause?: unknown }) {
    super(message ?? ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options?.details
  }
}

export function isOrgkitError(error: unknown): error is OrgkitError {
  return error instanceof OrgkitError
}

/** A resource that is missing, in another organization, or private: all answer the same. */
export function notFound(what = 'Not found.'): OrgkitError {
  return new OrgkitError('not_found', what)
}

/** A configuration mistake: thrown by `createOrgkit`, names the package and the fix. */
export class OrgkitConfigError extends Error {
  override readonly name = 'OrgkitConfigError'
  constructor(message: string) {
    super(`@orgkit/core: ${message}`)
  }
}
