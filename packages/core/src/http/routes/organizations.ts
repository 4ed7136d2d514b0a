import { organizationRules } from '../../organizations/rules'
import {
  createOrganizationSchema,
  listOrganizationsSchema,
  transferOwnershipSchema,
  updateOrganizationSchema,
} from '../../organizations/schemas'
import { organizationWire, permissionSummaryWire, serializeOrganization } from '../../organizations/wire'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { orgParams, signedIn } from './shared'

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
    rule: organizationRules.list,
    auth: 'required',
    query: listOrganizationsSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(organizationWire),
    handler: async ({ client, query }) =>
      toPage(await signedIn(client).organizations.list(query), serializeOrganization),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations',
    operationId: 'createOrganization',
    summary: 'Creates an organization; the caller becomes its owner',
    tag,
    rule: organizationRules.create,
    auth: 'required',
    body: createBody,
    status: 201,
    response: organizationWire,
    handler: async ({ client, body }) => serializeOrganization(await signedIn(client).organizations.create(body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org',
    operationId: 'getOrganization',
    summary:
      'An organization with its counts and the caller’s role; a public organization’s public fields to anyone, signed in or not',
    tag,
    rule: organizationRules.get,
    auth: 'optional',
    params: orgParams,
    status: 200,
    response: organizationWire,
    handler: async ({ orgkit, client, params }) =>
      serializeOrganization(
        client === null ? await orgkit.publicOrganization(params.org) : await client.organizations.get(params.org),
      ),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org',
    operationId: 'updateOrganization',
    summary: 'Updates profile fields; a slug change keeps the id',
    tag,
    rule: organizationRules.update,
    auth: 'required',
    params: orgParams,
    body: updateBody,
    status: 200,
    response: organizationWire,
    handler: async ({ client, params, body }) =>
      serializeOrganization(await signedIn(client).organizations.update(params.org, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org',
    operationId: 'deleteOrganization',
    summary: 'Deletes the organization and everything it owns',
    tag,
    rule: organizationRules.delete,
    auth: 'required',
    params: orgParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).organizations.delete(params.org),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/leave',
    operationId: 'leaveOrganization',
    summary: 'The caller leaves the organization (the last owner cannot)',
    tag,
    rule: organizationRules.leave,
    auth: 'required',
    params: orgParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).organizations.leave(params.org),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/transfer-ownership',
    operationId: 'transferOwnership',
    summary: 'Makes a member the owner; the previous owner becomes admin',
    tag,
    rule: organizationRules.transferOwnership,
    auth: 'required',
    params: orgParams,
    body: transferOwnershipSchema,
    status: 200,
    response: organizationWire,
    handler: async ({ client, params, body }) =>
      serializeOrganization(await signedIn(client).organizations.transferOwnership(params.org, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/permissions',
    operationId: 'getMyPermissions',
    summary: 'The caller’s role and effective permissions in the organization',
    tag,
    rule: organizationRules.permissions,
    auth: 'required',
    params: orgParams,
    status: 200,
    response: permissionSummaryWire,
    handler: ({ client, params }) => signedIn(client).organizations.permissions(params.org),
  }),
]
