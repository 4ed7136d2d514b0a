import * as z from 'zod'
import { createApiKeySchema } from '../../api-keys/schemas'
import { apiKeyWire, issuedApiKeyWire, serializeApiKey, serializeIssuedApiKey } from '../../api-keys/wire'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { orgParams, pageQuery, signedIn } from './shared'

const tag = 'API keys'
const keyParams = z.strictObject({ org: z.string().min(1).max(255), id: z.string().min(1).max(255) })

export const apiKeyRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/api-keys',
    operationId: 'listApiKeys',
    summary: 'API keys with their public prefix, never the secret',
    tag,
    permission: 'apikeys.read',
    auth: 'required',
    params: orgParams,
    query: z.strictObject(pageQuery),
    status: 200,
    response: pageSchema(apiKeyWire),
    handler: async ({ orgkit, actor, params, query }) =>
      toPage(await orgkit.as(signedIn(actor)).apiKeys.list(params.org, query), serializeApiKey),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/api-keys',
    operationId: 'createApiKey',
    summary:
      'Creates a key holding a role or a permission list (never beyond yours); `secret` is in this response only',
    tag,
    permission: 'apikeys.create',
    auth: 'required',
    params: orgParams,
    // Over HTTP `expiresAt` is an ISO-8601 string.
    body: createApiKeySchema,
    status: 201,
    response: issuedApiKeyWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeIssuedApiKey(await orgkit.as(signedIn(actor)).apiKeys.create(params.org, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/api-keys/:id',
    operationId: 'revokeApiKey',
    summary: 'Revokes a key; it answers 401 from then on',
    tag,
    permission: 'apikeys.revoke',
    auth: 'required',
    params: keyParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).apiKeys.revoke(params.org, params.id),
  }),
]
