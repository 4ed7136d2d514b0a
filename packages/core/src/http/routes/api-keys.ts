import * as z from 'zod'
import { apiKeyRules } from '../../api-keys/rules'
import { createApiKeySchema, listApiKeysSchema } from '../../api-keys/schemas'
import { apiKeyWire, issuedApiKeyWire, serializeApiKey, serializeIssuedApiKey } from '../../api-keys/wire'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { orgParams, signedIn } from './shared'

const tag = 'API keys'
const keyParams = z.strictObject({ org: z.string().min(1).max(255), id: z.string().min(1).max(255) })

export const apiKeyRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/api-keys',
    operationId: 'listApiKeys',
    summary: 'API keys with their public prefix, never the secret',
    tag,
    rule: apiKeyRules.list,
    auth: 'required',
    params: orgParams,
    query: listApiKeysSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(apiKeyWire),
    handler: async ({ client, params, query }) =>
      toPage(await signedIn(client).apiKeys.list(params.org, query), serializeApiKey),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/api-keys',
    operationId: 'createApiKey',
    summary:
      'Creates a key holding a role or a permission list (never beyond yours); `secret` is in this response only',
    tag,
    rule: apiKeyRules.create,
    auth: 'required',
    params: orgParams,
    // Over HTTP `expiresAt` is an ISO-8601 string.
    body: createApiKeySchema,
    status: 201,
    response: issuedApiKeyWire,
    handler: async ({ client, params, body }) =>
      serializeIssuedApiKey(await signedIn(client).apiKeys.create(params.org, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/api-keys/:id',
    operationId: 'revokeApiKey',
    summary: 'Revokes a key; it answers 401 from then on',
    tag,
    rule: apiKeyRules.revoke,
    auth: 'required',
    params: keyParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).apiKeys.revoke(params.org, params.id),
  }),
]
