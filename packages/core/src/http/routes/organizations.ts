import * as z from 'zod'
import {
  createOrganizationSchema,
  transferOwnershipSchema,
  updateOrganizationSchema,
} from '../../organizations/schemas'
import { organizationWire, permissionSummaryWire, serializeOrganization } from '../../organizations/wire'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { orgParams, pageQuery, signedIn } from './shared'

// `privateMetadata` is for the host's server code only: it is neither accepted nor returned here.
const createBody = createOrganizationSchema.omit({ privateMetadata: true })
const updateBody = updateOrganizationSchema.omit({ privateMetadata: true })
const tag = 'Organizations'

export const organizationRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations',
    operationId: 'listOrganizations',
    summary: "The caller's organizations with their role; `?scope=all` lists every one (superadmin)",
    tag,
    permission: null,
    auth: 'required',
    query: z.strictObject({ ...pageQuery, scope: z.enum(['mine', 'all']).optional() }),
    status: 200,
    response: pageSchema(organizationWire),
    handler: async ({ orgkit, actor, query }) =>
      toPage(await orgkit.as(signedIn(actor)).organizations.list(query), serializeOrganization),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations',
    operationId: 'createOrganization',
    summary: 'Creates an organization; the caller becomes its owner',
    tag,
    permission: null,
    auth: 'required',
    body: createBody,
    status: 201,
    response: organizationWire,
    handler: async ({ orgkit, actor, body }) =>
      serializeOrganization(await orgkit.as(signedIn(actor)).organizations.create(body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org',
    operationId: 'getOrganization',
    summary:
      'An organization with its counts and the caller’s role; a public organization’s public fields to anyone, signed in or not',
    tag,
    permission: null,
    auth: 'optional',
    params: orgParams,
    status: 200,
    response: organizationWire,
    handler: async ({ orgkit, actor, params }) =>
      serializeOrganization(
        actor === null
          ? await orgkit.publicOrganization(params.org)
          : await orgkit.as(actor).organizations.get(params.org),
      ),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org',
    operationId: 'updateOrganization',
    summary: 'Updates profile fields; a slug change keeps the id',
    tag,
    permission: 'organization.update',
    auth: 'required',
    params: orgParams,
    body: updateBody,
    status: 200,
    response: organizationWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeOrganization(await orgkit.as(signedIn(actor)).organizations.update(params.org, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org',
    operationId: 'deleteOrganization',
    summary: 'Deletes the organization and everything it owns',
    tag,
    permission: 'organization.delete',
    auth: 'required',
    params: orgParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).organizations.delete(params.org),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/leave',
    operationId: 'leaveOrganization',
    summary: 'The caller leaves the organization (the last owner cannot)',
    tag,
    permission: null,
    auth: 'required',
    params: orgParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).organizations.leave(params.org),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/transfer-ownership',
    operationId: 'transferOwnership',
    summary: 'Makes a member the owner; the previous owner becomes admin',
    tag,
    permission: null,
    auth: 'required',
    params: orgParams,
    body: transferOwnershipSchema,
    status: 200,
    response: organizationWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeOrganization(await orgkit.as(signedIn(actor)).organizations.transferOwnership(params.org, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/permissions',
    operationId: 'getMyPermissions',
    summary: 'The caller’s role and effective permissions in the organization',
    tag,
    permission: null,
    auth: 'required',
    params: orgParams,
    status: 200,
    response: permissionSummaryWire,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).organizations.permissions(params.org),
  }),
]
