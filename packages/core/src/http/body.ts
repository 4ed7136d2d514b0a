import { OrgkitError } from '../shared/errors'
import { MAX_INPUT_DEPTH } from '../shared/validate'

/** The largest request body either adapter accepts unless told otherwise: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1_048_576

/**
 * How much more than the limit is read and thrown away so that the client gets its 400 on a
 * connection that stays usable. Past that, reading more costs more than a new connection:
 * the answer then carries `Connection: close`.
 */
export const BODY_DRAIN_ALLOWANCE = 16 * 1_048_576

/** What reading a request body gave: its bytes, or the news that it was over the limit. */
export type BodyRead =
  | { kind: 'bytes'; bytes: Uint8Array }
  /** `drained`: the whole body was read (and dropped), so the connection can serve another request. */
  | { kind: 'too-large'; drained: boolean }

/** The few members of a Node readable stream (`IncomingMessage`) that reading a body needs. */
export interface BodyStream {
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown
  on(event: 'end' | 'close', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  removeListener(event: string, listener: (...args: never[]) => void): unknown
  pause(): unknown
  readonly readableEnded?: boolean
}

/**
 * Reads a request body of at most `limit` bytes. A larger body is not cut off mid-upload:
 * the rest is read and dropped (up to {@link BODY_DRAIN_ALLOWANCE}), so the client, still
 * sending, receives the 400 instead of a reset, and a keep-alive connection stays in sync.
 * A body announced larger than that by `Content-Length` is not read at all.
 */
export function readBody(
  stream: BodyStream,
  options: { limit: number; contentLength?: string | undefined },
): Promise<BodyRead> {
  const { limit } = options
  const ceiling = limit + BODY_DRAIN_ALLOWANCE
  const announced = options.contentLength === undefined ? Number.NaN : Number(options.contentLength)
  if (announced > ceiling) return Promise.resolve({ kind: 'too-large', drained: false })
  if (stream.readableEnded) return Promise.resolve({ kind: 'bytes', bytes: new Uint8Array(0) })
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
      size += bytes.length
      if (size <= limit) chunks.push(bytes)
      else chunks.length = 0
      if (size > ceiling) {
        finish()
        stream.pause()
        resolve({ kind: 'too-large', drained: false })
      }
    }
    const onEnd = () => {
      finish()
      resolve(size > limit ? { kind: 'too-large', drained: true } : { kind: 'bytes', bytes: concat(chunks, size) })
    }
    const onError = (error: Error) => {
      finish()
      reject(error)
    }
    // A client that goes away mid-body: nobody is left to answer, but the promise must settle.
    const onClose = () => onError(new Error('The client closed the connection before sending the whole body.'))
    const finish = () => {
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      stream.removeListener('close', onClose)
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
  })
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0]
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return bytes
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The JSON value of a request body. No bytes is no body. Anything else must be sent as
 * `application/json` (or `application/<something>+json`), in UTF-8, and parse: each refusal
 * is a 400 `validation_failed`, and invalid UTF-8 is refused rather than read with
 * replacement characters.
 */
export function parseJsonBody(read: BodyRead | undefined, contentType: string | undefined): unknown {
  if (read === undefined) return undefined
  if (read.kind === 'too-large') throw bodyError('too-large')
  if (read.bytes.length === 0) return undefined
  if (!isJsonContentType(contentType)) throw bodyError('not-json')
  let text: string
  try {
    text = utf8.decode(read.bytes)
  } catch {
    throw bodyError('not-utf-8')
  }
  if (text.trim() === '') return undefined
  // Before parsing: a body nested thousands deep is refused in one pass over its text, and
  // never becomes a value that a walk over it (ours, zod's) would have to descend.
  if (nestsDeeperThan(text, MAX_INPUT_DEPTH)) {
    throw bodyError('too-deep')
  }
  try {
    return JSON.parse(text)
  } catch {
    throw bodyError('invalid-json')
  }
}

/**
 * Whether JSON text opens more than `limit` objects and arrays inside one another, brackets
 * in strings aside. One pass, no allocation; on text that is not JSON the answer means
 * nothing, and `JSON.parse` refuses that text next.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (inString) {
      if (code === 0x5c)
        index++ // a backslash: the next character is escaped
      else if (code === 0x22) inString = false
    } else if (code === 0x22) inString = true
    else if (code === 0x7b || code === 0x5b) {
      depth++
      if (depth > limit) return true
    } else if (code === 0x7d || code === 0x5d) depth--
  }
  return false
}

/** `application/json` or `application/*+json`, with no charset other than UTF-8. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false
  const [type = '', ...parameters] = header.split(';')
  if (!/^application\/(?:[a-z0-9.!#$&^_-]+\+)?json$/.test(type.trim().toLowerCase())) return false
  return parameters.every((parameter) => {
    const [name = '', value = ''] = parameter.split('=')
    return name.trim().toLowerCase() !== 'charset' || /^"?utf-8"?$/i.test(value.trim())
  })
}

/** Why a request body was refused: each is a 400 `validation_failed`, on orgkit's routes and, through the adapters' error handlers, on the host's. */
export const BODY_PROBLEMS = {
  'too-large': 'The request body is too large.',
  'not-json': 'Send the body as application/json.',
  'not-utf-8': 'The request body is not valid UTF-8.',
  'invalid-json': 'The request body is not valid JSON.',
  'too-deep': `The request body nests objects and arrays more than ${MAX_INPUT_DEPTH} deep.`,
  unreadable: 'The request body could not be read.',
} as const

export type BodyProblem = keyof typeof BODY_PROBLEMS

/** The 400 `validation_failed` for a body refused for `problem`, detailed at `body`. */
export function bodyError(problem: BodyProblem): OrgkitError {
  const message = BODY_PROBLEMS[problem]
  return new OrgkitError('validation_failed', message, { details: [{ path: 'body', message }] })
}
