import { requires } from '../../authorization/requirement'
import { createOpenApiDocument } from '../openapi'
import { defineRoute, type RouteDefinition } from '../route'
import { apiKeyRoutes } from './api-keys'
import { invitationRoutes } from './invitations'
import { memberRoutes } from './members'
import { auditRoutes, industryRoutes } from './meta'
import { organizationRoutes } from './organizations'
import { roleRoutes } from './roles'
import { teamRoutes } from './teams'

let openApiDocument: ReturnType<typeof createOpenApiDocument> | undefined

const openApiRoute = defineRoute({
  method: 'GET',
  path: '/openapi.json',
  operationId: 'getOpenApiDocument',
  summary: 'This document',
  tag: 'Meta',
  rule: requires.none,
  auth: 'none',
  status: 200,
  // The table does not change at run time: build the document once. Only `servers`
  // follows the request, so a client generated from it calls the prefix the host chose.
  handler: async ({ basePath }) => {
    openApiDocument ??= createOpenApiDocument(routes)
    return { ...openApiDocument, servers: [{ url: basePath === '' ? '/' : basePath }] }
  },
})

/**
 * Every route of the HTTP API, in registration order. Adapters register exactly these;
 * one file per area keeps each area's routes next to each other.
 */
const routeTable = [
  ...organizationRoutes,
  ...memberRoutes,
  ...roleRoutes,
  ...invitationRoutes,
  ...teamRoutes,
  ...apiKeyRoutes,
  ...industryRoutes,
  ...auditRoutes,
  openApiRoute,
]

export const routes: readonly RouteDefinition[] = routeTable

/**
 * The routes of the table as a union of their literal signatures (method, path, operationId
 * and schemas), for typed clients: `Extract<HttpRoute, { operationId: 'addMember' }>`.
 */
export type HttpRoute = (typeof routeTable)[number]
