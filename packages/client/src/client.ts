import { type OperationDescriptor, type Operations, operations, type Page } from './contract'
import { OrgkitClientError, type OrgkitErrorDetail, OrgkitNetworkError } from './errors'

type MaybePromise<T> = T | Promise<T>

export interface OrgkitClientOptions {
  /**
   * Where the host mounted orgkit's routes: `https://app.example/api`, or `/api` in a
   * browser on the same origin. Outside a browser it must be absolute.
   */
  baseUrl: string
  /** The `fetch` to call (a wrapped one, a test double). @default globalThis.fetch */
  fetch?: typeof fetch | undefined
  /**
   * Headers sent with every request, or a function asked before each one (a session
   * header, a CSRF token). Per-call headers win over these.
   */
  headers?: HeadersInit | (() => MaybePromise<HeadersInit>) | undefined
  /**
   * An API key or a bearer token, or a function asked before each request, sent as
   * `Authorization: Bearer …`. `null` or `undefined` sends no `Authorization` header.
   */
  token?: string | null | undefined | (() => MaybePromise<string | null | undefined>)
  /**
   * Whether the browser sends cookies: `same-origin` suits an app served by the host that
   * mounts orgkit; `include` a cross-origin one the host's CORS allows.
   * @default 'same-origin'
   */
  credentials?: RequestCredentials | undefined
}

/** Per call: a signal that aborts it, and headers for this request only. */
export interface CallOptions {
  signal?: AbortSignal | undefined
  headers?: HeadersInit | undefined
}

export type OperationId = keyof Operations

/** The input argument of an operation: required when its body has a required field, else optional. */
type InputArgs<Op extends Operations[OperationId]> = Op['body'] extends undefined
  ? Op['query'] extends undefined
    ? []
    : [query?: Op['query']]
  : Record<never, never> extends Op['body']
    ? [body?: Op['body']]
    : [body: Op['body']]

/** The arguments of an operation's method: the path parameters in order, the input, the call options. */
export type OperationArgs<Id extends OperationId> = [
  ...Operations[Id]['params'],
  ...InputArgs<Operations[Id]>,
  options?: CallOptions,
]

/** A method of the client: calls one route and resolves to its answer (`undefined` for a 204). */
export type Operation<Id extends OperationId> = (...args: OperationArgs<Id>) => Promise<Operations[Id]['response']>

/** The lists that page by cursor. */
type PagedId = {
  [Id in OperationId]: Operations[Id]['response'] extends Page<unknown>
    ? Operations[Id]['query'] extends { cursor?: string | undefined }
      ? Id
      : never
    : never
}[OperationId]

type ItemOf<Id extends OperationId> = Operations[Id]['response'] extends Page<infer T> ? T : never

/** Walks every page of a list, following `nextCursor`; `limit` sets the page size. */
export type Iterate<Id extends PagedId> = (...args: OperationArgs<Id>) => AsyncGenerator<ItemOf<Id>, void, undefined>

/**
 * Sends one operation. Exported for callers that build their own helpers over the
 * operation table; the client's methods are this function bound to an operation.
 */
export async function send(
  options: OrgkitClientOptions,
  descriptor: OperationDescriptor,
  args: readonly unknown[],
): Promise<unknown> {
  const names = descriptor.path.match(/:\w+/g) ?? []
  let path = descriptor.path
  names.forEach((name, i) => {
    const value = args[i]
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`@orgkit/client: ${descriptor.path} needs ${name.slice(1)} as a non-empty string`)
    }
    path = path.replace(name, encodeURIComponent(value))
  })
  const input = descriptor.input === null ? undefined : args[names.length]
  const call = (args[descriptor.input === null ? names.length : names.length + 1] ?? {}) as CallOptions

  if (descriptor.input === 'query' && input !== undefined) {
    const search = new URLSearchParams()
    for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
      if (value !== undefined && value !== null) search.set(key, String(value))
    }
    const text = search.toString()
    if (text !== '') path += `?${text}`
  }

  const headers = new Headers(typeof options.headers === 'function' ? await options.headers() : options.headers)
  const token = typeof options.token === 'function' ? await options.token() : options.token
  if (token) headers.set('authorization', `Bearer ${token}`)
  for (const [key, value] of new Headers(call.headers)) headers.set(key, value)
  headers.set('accept', 'application/json')
  const init: RequestInit = { method: descriptor.method, headers, credentials: options.credentials ?? 'same-origin' }
  if (descriptor.input === 'body') {
    headers.set('content-type', 'application/json')
    init.body = JSON.stringify(input ?? {})
  }
  if (call.signal) init.signal = call.signal

  const request = `${descriptor.method} ${path}`
  const fetchImpl = options.fetch ?? globalThis.fetch
  let response: Response
  try {
    response = await fetchImpl(`${options.baseUrl.replace(/\/+$/, '')}${path}`, init)
  } catch (error) {
    // An abort is the caller's own doing: it keeps fetch's AbortError (or the signal's reason).
    if (call.signal?.aborted) throw call.signal.reason ?? error
    throw new OrgkitNetworkError(request, error)
  }
  if (response.status === 204) return undefined
  const text = await response.text()
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  if (response.ok && body !== undefined) return body
  throw errorFrom(response.status, body, request)
}

function errorFrom(status: number, body: unknown, request: string): OrgkitClientError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new OrgkitClientError({
      status,
      code: error.code as OrgkitClientError['code'],
      message: error.message,
      details: Array.isArray(error.details) ? (error.details as OrgkitErrorDetail[]) : undefined,
      request,
    })
  }
  return new OrgkitClientError({
    status,
    code: 'unexpected_response',
    message: `${request} answered ${status} without an orgkit error body`,
    request,
  })
}

/** Every page of a paged list, item by item. */
async function* pages(options: OrgkitClientOptions, descriptor: OperationDescriptor, args: readonly unknown[]) {
  const at = (descriptor.path.match(/:\w+/g) ?? []).length
  let query = { ...(args[at] as Record<string, unknown> | undefined) }
  for (;;) {
    const rest = [...args]
    rest[at] = query
    const page = (await send(options, descriptor, rest)) as Page<unknown>
    yield* page.data
    if (page.nextCursor === null) return
    query = { ...query, cursor: page.nextCursor }
  }
}

/**
 * A typed client for orgkit's HTTP API: one method per route, answers typed from the
 * server's own schemas, errors as `OrgkitClientError`. Works wherever `fetch` does.
 *
 * ```ts
 * const client = createOrgkitClient({ baseUrl: '/api' })
 * for await (const member of client.members.iterate('acme')) console.log(member.user.email)
 * ```
 */
export function createOrgkitClient(options: OrgkitClientOptions) {
  if (typeof options?.baseUrl !== 'string') throw new TypeError('@orgkit/client: baseUrl must be a string')
  const op = <Id extends OperationId>(id: Id): Operation<Id> =>
    ((...args: unknown[]) => send(options, operations[id], args)) as Operation<Id>
  const iterate = <Id extends PagedId>(id: Id): Iterate<Id> =>
    ((...args: unknown[]) => pages(options, operations[id], args)) as Iterate<Id>

  return {
    organizations: {
      /** The caller's organizations, with their role (`{ scope: 'all' }`: every one, for a superadmin). */
      list: op('listOrganizations'),
      iterate: iterate('listOrganizations'),
      /** Creates an organization; the caller becomes its owner. */
      create: op('createOrganization'),
      get: op('getOrganization'),
      update: op('updateOrganization'),
      delete: op('deleteOrganization'),
      leave: op('leaveOrganization'),
      /** Makes a member the owner; the previous owner becomes admin. */
      transferOwnership: op('transferOwnership'),
      /** The caller's role and permissions here, and per team: pass it to `can`. */
      permissions: op('getMyPermissions'),
      /** The configured choices for `industry`. */
      industries: op('listIndustries'),
    },
    members: {
      /** `{ q }` searches name, email and username prefixes; `{ role }` filters. */
      list: op('listMembers'),
      iterate: iterate('listMembers'),
      /** Adds a user directly, named by exactly one of `userId`, `username` or `email`. */
      add: op('addMember'),
      get: op('getMember'),
      /** Changes a member's role. */
      update: op('updateMember'),
      remove: op('removeMember'),
    },
    roles: {
      list: op('listRoles'),
      create: op('createRole'),
      update: op('updateRole'),
      /** `{ reassignTo }` moves the role's members to another role first. */
      delete: op('deleteRole'),
    },
    invitations: {
      list: op('listInvitations'),
      iterate: iterate('listInvitations'),
      /** The answer carries `token` and `acceptUrl`, this once. */
      create: op('createInvitation'),
      /** Rotates the token and extends the expiry; the new token is in the answer. */
      resend: op('resendInvitation'),
      revoke: op('revokeInvitation'),
      /** Pending invitations addressed to the caller's email. */
      mine: op('listMyInvitations'),
      iterateMine: iterate('listMyInvitations'),
      /** What a token invites to, before accepting it. */
      preview: op('previewInvitation'),
      /** `{ token }`, or `{ id }` for the addressee; answers the new membership. */
      accept: op('acceptInvitation'),
      decline: op('declineInvitation'),
    },
    teams: {
      list: op('listTeams'),
      iterate: iterate('listTeams'),
      create: op('createTeam'),
      get: op('getTeam'),
      update: op('updateTeam'),
      delete: op('deleteTeam'),
      members: {
        list: op('listTeamMembers'),
        iterate: iterate('listTeamMembers'),
        add: op('addTeamMember'),
        update: op('updateTeamMember'),
        remove: op('removeTeamMember'),
      },
    },
    apiKeys: {
      list: op('listApiKeys'),
      iterate: iterate('listApiKeys'),
      /** The answer carries the whole key (`secret`), this once. */
      create: op('createApiKey'),
      revoke: op('revokeApiKey'),
    },
    audit: {
      /** Newest first; `{ action }` filters. */
      list: op('listAuditEvents'),
      iterate: iterate('listAuditEvents'),
    },
    /** The OpenAPI 3.1 document of the API. */
    openApiDocument: op('getOpenApiDocument'),
  }
}

export type OrgkitClient = ReturnType<typeof createOrgkitClient>

/**
 * Operations the client reaches through another route of the same meaning: the table
 * serves `POST …/invitations/{id}` as an alias of `…/invitations/{id}/resend`.
 */
export const OPERATION_ALIASES: Readonly<Partial<Record<OperationId, OperationId>>> = {
  resendInvitationAlias: 'resendInvitation',
}
