import * as z from 'zod'
import { auditRules } from '../../audit/rules'
import { listAuditEventsSchema } from '../../audit/schemas'
import { auditEventWire, serializeAuditEvent } from '../../audit/wire'
import { requires } from '../../authorization/requirement'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { orgParams, signedIn } from './shared'

export const industryRoutes = [
  defineRoute({
    method: 'GET',
    path: '/industries',
    operationId: 'listIndustries',
    summary: "The configured choices for an organization's industry",
    tag: 'Organizations',
    rule: requires.none,
    auth: 'none',
    status: 200,
    response: z.object({ data: z.array(z.string()) }),
    handler: async ({ orgkit }) => ({ data: [...orgkit.industries] }),
  }),
]

export const auditRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/audit-events',
    operationId: 'listAuditEvents',
    summary: 'The audit trail, newest first; `?action=` filters',
    tag: 'Audit',
    rule: auditRules.list,
    auth: 'required',
    params: orgParams,
    query: listAuditEventsSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(auditEventWire),
    handler: async ({ client, params, query }) =>
      toPage(await signedIn(client).audit.list(params.org, query), serializeAuditEvent),
  }),
]
