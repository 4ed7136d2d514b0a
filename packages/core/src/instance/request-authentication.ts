import type { ApiKeyActor } from '../shared/types'
import type { Orgkit } from './orgkit'

/**
 * How orgkit's own HTTP layer authenticates an API key for one request, so that the
 * request's authorization reuses the organization the authentication read
 * (`authenticateApiKeyForRequest`). Not public API: a registered symbol (the same in every
 * bundle of the package) on the instance `createOrgkit` returns.
 */
export const AUTHENTICATE_FOR_REQUEST: unique symbol = Symbol.for('@orgkit/core.authenticateApiKeyForRequest')

type RequestAuthenticator = (presented: string) => Promise<ApiKeyActor>

/** The instance's request authenticator, or its public `authenticateApiKey` for any other `Orgkit`. */
export function requestAuthenticator(orgkit: Orgkit): RequestAuthenticator {
  const internal = (orgkit as Orgkit & { [AUTHENTICATE_FOR_REQUEST]?: RequestAuthenticator })[AUTHENTICATE_FOR_REQUEST]
  return internal ?? ((presented) => orgkit.authenticateApiKey(presented))
}
