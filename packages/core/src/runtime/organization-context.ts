import { AsyncLocalStorage } from 'node:async_hooks'
import { hasIdPrefix } from '../shared/ids'

/**
 * The organization the running code acts for, carried by the JavaScript engine's async
 * context: set once per request (by `requirePermission` in the adapters, by orgkit's own
 * routes around the host's hooks and listeners, or by `runInOrganization`), read where the
 * host's queries are built (`scopedDb` in `@orgkit/kysely`).
 *
 * `AsyncLocalStorage` from `node:async_hooks` is available on Node, Deno and Bun, and the
 * core already needs `node:crypto`; it follows a value through `await`, timers, event
 * emitters and streams created inside `fn`, and two concurrent requests each see their own.
 * It lives here, in the core, because both the adapters (which set it) and the storage
 * package (which reads it) already depend on the core, and neither knows the other.
 */
export interface OrganizationScope {
  /** The organization's id (`org_…`). */
  organizationId: string
}

const scope = new AsyncLocalStorage<OrganizationScope>()

/**
 * Runs `fn` with `organization` as the current organization, and returns what `fn` returns
 * (a promise stays a promise). Everything `fn` starts (awaits, timers, streams) sees it; code
 * outside does not. Nested calls shadow the outer organization until they return.
 *
 * Takes the organization's id or a record with its `id` — never a slug, which the host's
 * tables do not hold: a slug here is a `TypeError`, not a scope that matches nothing.
 */
export function runInOrganization<T>(organization: string | { id: string }, fn: () => T): T {
  const organizationId = typeof organization === 'string' ? organization : organization?.id
  if (typeof organizationId !== 'string' || !hasIdPrefix(organizationId, 'organization') || /\s/.test(organizationId)) {
    throw new TypeError(
      `@orgkit/core: runInOrganization takes an organization's id (org_…) or the organization, got ${JSON.stringify(organizationId)}`,
    )
  }
  if (typeof fn !== 'function') throw new TypeError('@orgkit/core: runInOrganization needs a function to run')
  return scope.run({ organizationId }, fn)
}

/** The current organization's id, or `undefined` outside `runInOrganization`. */
export function currentOrganizationId(): string | undefined {
  return scope.getStore()?.organizationId
}
