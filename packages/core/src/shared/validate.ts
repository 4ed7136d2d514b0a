import type * as z from 'zod'
import { OrgkitError } from './errors'

/**
 * Validates input to the public core API with its zod schema. Failures become one
 * `validation_failed` error whose details name each offending field (prefixed with
 * `prefix`, e.g. `body` over HTTP).
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

export function invalid(path: string, message: string): OrgkitError {
  return new OrgkitError('validation_failed', message, { details: [{ path, message }] })
}
