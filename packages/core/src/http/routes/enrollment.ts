import * as z from 'zod'
import {
  addDomainSchema,
  approveJoinRequestSchema,
  bulkCreateInvitationsSchema,
  createInvitationLinkSchema,
  JOIN_REQUEST_STATUSES,
  updateDomainSchema,
} from '../../enrollment/schemas'
import {
  bulkInvitationsWire,
  discoverableOrganizationWire,
  domainWire,
  invitationLinkWire,
  issuedInvitationLinkWire,
  joinRequestWire,
  serializeBulkInvitations,
  serializeDiscoverableOrganization,
  serializeDomain,
  serializeInvitationLink,
  serializeIssuedInvitationLink,
  serializeJoinRequest,
} from '../../enrollment/wire'
import { memberWire, serializeMember } from '../../members/wire'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { orgParams, pageQuery, signedIn } from './shared'

const domainParams = z.strictObject({ org: z.string().min(1).max(255), domain: z.string().min(1).max(255) })

const domainRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/domains',
    operationId: 'listDomains',
    summary: 'The email domains the organization claims, each with its status and the TXT record that proves it',
    tag: 'Domains',
    permission: 'domains.read',
    auth: 'required',
    params: orgParams,
    query: z.strictObject(pageQuery),
    status: 200,
    response: pageSchema(domainWire),
    handler: async ({ orgkit, actor, params, query }) =>
      toPage(await orgkit.as(signedIn(actor)).domains.list(params.org, query), serializeDomain),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/domains',
    operationId: 'addDomain',
    summary:
      'Claims an email domain (pending until verified); answers the TXT record to publish. Public suffixes, IP addresses, single labels and consumer mail domains are refused',
    tag: 'Domains',
    permission: 'domains.manage',
    auth: 'required',
    params: orgParams,
    body: addDomainSchema,
    status: 201,
    response: domainWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeDomain(await orgkit.as(signedIn(actor)).domains.add(params.org, body)),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/domains/:domain/verify',
    operationId: 'verifyDomain',
    summary: 'Looks the TXT record up now: verified, or 409 `domain_unverified` with the values found',
    tag: 'Domains',
    permission: 'domains.manage',
    auth: 'required',
    params: domainParams,
    status: 200,
    response: domainWire,
    handler: async ({ orgkit, actor, params }) =>
      serializeDomain(await orgkit.as(signedIn(actor)).domains.verify(params.org, params.domain)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org/domains/:domain',
    operationId: 'updateDomain',
    summary: "Sets the domain's enrollment (`none`, `suggest`, `auto`) and role; only a verified domain leaves `none`",
    tag: 'Domains',
    permission: 'domains.manage',
    auth: 'required',
    params: domainParams,
    body: updateDomainSchema,
    status: 200,
    response: domainWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeDomain(await orgkit.as(signedIn(actor)).domains.update(params.org, params.domain, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/domains/:domain',
    operationId: 'removeDomain',
    summary: 'Removes the domain and releases its verification',
    tag: 'Domains',
    permission: 'domains.manage',
    auth: 'required',
    params: domainParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).domains.remove(params.org, params.domain),
  }),
]

const idParams = z.strictObject({ id: z.string().min(1).max(255) })
const joinRequestParams = z.strictObject({ org: z.string().min(1).max(255), id: z.string().min(1).max(255) })

const joinRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/discoverable',
    operationId: 'listDiscoverableOrganizations',
    summary: "Organizations open to the caller's verified email domain (to join at once, or to ask to join)",
    tag: 'Joining',
    permission: null,
    auth: 'required',
    query: z.strictObject(pageQuery),
    status: 200,
    response: pageSchema(discoverableOrganizationWire),
    handler: async ({ orgkit, actor, query }) =>
      toPage(await orgkit.as(signedIn(actor)).joinRequests.discoverable(query), serializeDiscoverableOrganization),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/join',
    operationId: 'joinOrganization',
    summary:
      "Joins through the caller's verified email domain: 201 with the membership (`auto`), 202 with a join request (`suggest`); any other organization answers 404",
    tag: 'Joining',
    permission: null,
    auth: 'required',
    params: orgParams,
    status: 201,
    response: memberWire,
    alternative: { status: 202, summary: 'A join request, pending approval', response: joinRequestWire },
    handler: async ({ orgkit, actor, params }) => {
      const outcome = await orgkit.as(signedIn(actor)).joinRequests.join(params.org)
      return outcome.joined !== undefined
        ? { status: 201, body: serializeMember(outcome.joined) }
        : { status: 202, body: serializeJoinRequest(outcome.requested) }
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/join-requests',
    operationId: 'listJoinRequests',
    summary: 'Join requests, newest first; `?status=` filters',
    tag: 'Joining',
    permission: 'members.add',
    auth: 'required',
    params: orgParams,
    query: z.strictObject({ ...pageQuery, status: z.enum(JOIN_REQUEST_STATUSES).optional() }),
    status: 200,
    response: pageSchema(joinRequestWire),
    handler: async ({ orgkit, actor, params, query }) =>
      toPage(await orgkit.as(signedIn(actor)).joinRequests.list(params.org, query), serializeJoinRequest),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/join-requests/:id/approve',
    operationId: 'approveJoinRequest',
    summary: "Approves a pending request (with the domain's role, or `role`); answers the new membership",
    tag: 'Joining',
    permission: 'members.add',
    auth: 'required',
    params: joinRequestParams,
    // The body may be left out: `{}`.
    body: approveJoinRequestSchema.optional(),
    status: 201,
    response: memberWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeMember(await orgkit.as(signedIn(actor)).joinRequests.approve(params.org, params.id, body ?? {})),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/join-requests/:id/deny',
    operationId: 'denyJoinRequest',
    summary: 'Denies a pending request',
    tag: 'Joining',
    permission: 'members.add',
    auth: 'required',
    params: joinRequestParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).joinRequests.deny(params.org, params.id),
  }),
  defineRoute({
    method: 'GET',
    path: '/join-requests',
    operationId: 'listMyJoinRequests',
    summary: "The caller's own join requests, newest first",
    tag: 'Joining',
    permission: null,
    auth: 'required',
    query: z.strictObject(pageQuery),
    status: 200,
    response: pageSchema(joinRequestWire),
    handler: async ({ orgkit, actor, query }) =>
      toPage(await orgkit.as(signedIn(actor)).joinRequests.mine(query), serializeJoinRequest),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/join-requests/:id',
    operationId: 'withdrawJoinRequest',
    summary: 'The requester withdraws their pending request',
    tag: 'Joining',
    permission: null,
    auth: 'required',
    params: idParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).joinRequests.withdraw(params.id),
  }),
]

const linkRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/invitation-links',
    operationId: 'listInvitationLinks',
    summary: 'Invitation links, newest first, with their use counts. Never their tokens',
    tag: 'Invitations',
    permission: 'invitations.read',
    auth: 'required',
    params: orgParams,
    query: z.strictObject(pageQuery),
    status: 200,
    response: pageSchema(invitationLinkWire),
    handler: async ({ orgkit, actor, params, query }) =>
      toPage(await orgkit.as(signedIn(actor)).invitationLinks.list(params.org, query), serializeInvitationLink),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/invitation-links',
    operationId: 'createInvitationLink',
    summary:
      'Creates a shareable link granting a role, with an optional expiry, maximum uses and verified domain; the token and URL are in this response only',
    tag: 'Invitations',
    permission: 'invitations.create',
    auth: 'required',
    params: orgParams,
    body: createInvitationLinkSchema,
    status: 201,
    response: issuedInvitationLinkWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeIssuedInvitationLink(await orgkit.as(signedIn(actor)).invitationLinks.create(params.org, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/invitation-links/:id',
    operationId: 'revokeInvitationLink',
    summary: 'Revokes a link: its token answers 410 `link_revoked` from then on',
    tag: 'Invitations',
    permission: 'invitations.revoke',
    auth: 'required',
    params: joinRequestParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).invitationLinks.revoke(params.org, params.id),
  }),
]

const bulkRoute = defineRoute({
  method: 'POST',
  path: '/organizations/:org/invitations/bulk',
  operationId: 'bulkCreateInvitations',
  summary:
    'Invites 1 to 100 emails (`{email, role?, teamIds?}` each) at once; each item is answered on its own with the invitation (and its token, once) or an error in the error shape',
  tag: 'Invitations',
  permission: 'invitations.create',
  auth: 'required',
  params: orgParams,
  body: bulkCreateInvitationsSchema,
  status: 200,
  response: bulkInvitationsWire,
  handler: async ({ orgkit, actor, params, body }) =>
    serializeBulkInvitations(await orgkit.as(signedIn(actor)).invitations.bulkCreate(params.org, body)),
})

/** Enrollment: verified domains, joining by domain, join requests, invitation links, bulk invitations. */
export const enrollmentRoutes = [...domainRoutes, ...joinRoutes, ...linkRoutes, bulkRoute]
