import type * as z from 'zod'

/** What a demo route answers; each app writes it with its framework. */
export interface DemoResponse {
  status: number
  body: unknown
}

/** A zod failure as orgkit's own `400 validation_failed` body, so that the whole app speaks one error shape. */
export function validationFailed(error: z.ZodError): DemoResponse {
  const details = error.issues.map((issue) => ({
    path: ['body', ...issue.path.map(String)].join('.'),
    message: issue.code === 'unrecognized_keys' ? `Unknown field: ${issue.keys.join(', ')}` : issue.message,
  }))
  return { status: 400, body: { error: { code: 'validation_failed', message: 'The request is not valid.', details } } }
}

export function conflict(message: string): DemoResponse {
  return { status: 409, body: { error: { code: 'conflict', message } } }
}

/**
 * An error the framework raised before a demo route ran (malformed JSON, a body too
 * large), in orgkit's error shape. Anything else is a bare 500 that tells nothing.
 */
export function frameworkError(error: unknown): DemoResponse {
  const status =
    (error as { status?: unknown; statusCode?: unknown } | null)?.status ??
    (error as { statusCode?: unknown } | null)?.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      status,
      body: { error: { code: 'validation_failed', message: 'The request body could not be read as JSON.' } },
    }
  }
  console.error(error)
  return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong.' } } }
}

/** The content type of every JSON answer, orgkit's and the app's. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'

/**
 * A JSON answer's text as orgkit writes its own: one line and a final newline, so that
 * answers printed one after another (the README's curl tour) stay on lines of their own.
 */
export function jsonText(body: unknown): string {
  return `${JSON.stringify(body)}\n`
}
