import * as z from 'zod'
import { auditEventWire, serializeAuditEvent } from '../../audit/wire'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { orgParams, pageQuery, signedIn } from './shared'

export const industryRoutes = [
  defineRoute({
    method: 'GET',
    path: '/industries',
    operationId: 'listIndustries',
    summary: "The configured choices for an organization's industry",
    tag: 'Organizations',
    permission: null,
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
    permission: 'audit.read',
    auth: 'required',
    params: orgParams,
    query: z.strictObject({ ...pageQuery, action: z.string().trim().min(1).max(100).optional() }),
    status: 200,
    response: pageSchema(auditEventWire),
    handler: async ({ orgkit, actor, params, query }) =>
      toPage(await orgkit.as(signedIn(actor)).audit.list(params.org, query), serializeAuditEvent),
  }),
]
