import * as z from 'zod'
import { enrollmentRules } from '../../enrollment/rules'
import {
  addDomainSchema,
  approveJoinRequestSchema,
  bulkCreateInvitationsSchema,
  createInvitationLinkSchema,
  listDiscoverableSchema,
  listDomainsSchema,
  listInvitationLinksSchema,
  listJoinRequestsSchema,
  listMyJoinRequestsSchema,
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
import { orgParams, signedIn } from './shared'

const domainParams = z.strictObject({ org: z.string().min(1).max(255), domain: z.string().min(1).max(255) })

const domainRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/domains',
    operationId: 'listDomains',
    summary: 'The email domains the organization claims, each with its status and the TXT record that proves it',
    tag: 'Domains',
    rule: enrollmentRules.listDomains,
    auth: 'required',
    params: orgParams,
    query: listDomainsSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(domainWire),
    handler: async ({ client, params, query }) =>
      toPage(await signedIn(client).domains.list(params.org, query), serializeDomain),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/domains',
    operationId: 'addDomain',
    summary:
      'Claims an email domain (pending until verified); answers the TXT record to publish. Public suffixes, IP addresses, single labels and consumer mail domains are refused',
    tag: 'Domains',
    rule: enrollmentRules.addDomain,
    auth: 'required',
    params: orgParams,
    body: addDomainSchema,
    status: 201,
    response: domainWire,
    handler: async ({ client, params, body }) => serializeDomain(await signedIn(client).domains.add(params.org, body)),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/domains/:domain/verify',
    operationId: 'verifyDomain',
    summary: 'Looks the TXT record up now: verified, or 409 `domain_unverified` with the values found',
    tag: 'Domains',
    rule: enrollmentRules.verifyDomain,
    auth: 'required',
    params: domainParams,
    status: 200,
    response: domainWire,
    handler: async ({ client, params }) =>
      serializeDomain(await signedIn(client).domains.verify(params.org, params.domain)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org/domains/:domain',
    operationId: 'updateDomain',
    summary: "Sets the domain's enrollment (`none`, `suggest`, `auto`) and role; only a verified domain leaves `none`",
    tag: 'Domains',
    rule: enrollmentRules.updateDomain,
    auth: 'required',
    params: domainParams,
    body: updateDomainSchema,
    status: 200,
    response: domainWire,
    handler: async ({ client, params, body }) =>
      serializeDomain(await signedIn(client).domains.update(params.org, params.domain, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/domains/:domain',
    operationId: 'removeDomain',
    summary: 'Removes the domain and releases its verification',
    tag: 'Domains',
    rule: enrollmentRules.removeDomain,
    auth: 'required',
    params: domainParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).domains.remove(params.org, params.domain),
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
    rule: enrollmentRules.discoverable,
    auth: 'required',
    query: listDiscoverableSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(discoverableOrganizationWire),
    handler: async ({ client, query }) =>
      toPage(await signedIn(client).joinRequests.discoverable(query), serializeDiscoverableOrganization),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/join',
    operationId: 'joinOrganization',
    summary:
      "Joins through the caller's verified email domain: 201 with the membership (`auto`), 202 with a join request (`suggest`); any other organization answers 404",
    tag: 'Joining',
    rule: enrollmentRules.join,
    auth: 'required',
    params: orgParams,
    status: 201,
    response: memberWire,
    alternative: { status: 202, summary: 'A join request, pending approval', response: joinRequestWire },
    handler: async ({ client, params }) => {
      const outcome = await signedIn(client).joinRequests.join(params.org)
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
    rule: enrollmentRules.listJoinRequests,
    auth: 'required',
    params: orgParams,
    query: listJoinRequestsSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(joinRequestWire),
    handler: async ({ client, params, query }) =>
      toPage(await signedIn(client).joinRequests.list(params.org, query), serializeJoinRequest),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/join-requests/:id/approve',
    operationId: 'approveJoinRequest',
    summary: "Approves a pending request (with the domain's role, or `role`); answers the new membership",
    tag: 'Joining',
    rule: enrollmentRules.approveJoinRequest,
    auth: 'required',
    params: joinRequestParams,
    // The body may be left out: `{}`.
    body: approveJoinRequestSchema.optional(),
    status: 201,
    response: memberWire,
    handler: async ({ client, params, body }) =>
      serializeMember(await signedIn(client).joinRequests.approve(params.org, params.id, body ?? {})),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/join-requests/:id/deny',
    operationId: 'denyJoinRequest',
    summary: 'Denies a pending request',
    tag: 'Joining',
    rule: enrollmentRules.denyJoinRequest,
    auth: 'required',
    params: joinRequestParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).joinRequests.deny(params.org, params.id),
  }),
  defineRoute({
    method: 'GET',
    path: '/join-requests',
    operationId: 'listMyJoinRequests',
    summary: "The caller's own join requests, newest first",
    tag: 'Joining',
    rule: enrollmentRules.myJoinRequests,
    auth: 'required',
    query: listMyJoinRequestsSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(joinRequestWire),
    handler: async ({ client, query }) => toPage(await signedIn(client).joinRequests.mine(query), serializeJoinRequest),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/join-requests/:id',
    operationId: 'withdrawJoinRequest',
    summary: 'The requester withdraws their pending request',
    tag: 'Joining',
    rule: enrollmentRules.withdrawJoinRequest,
    auth: 'required',
    params: idParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).joinRequests.withdraw(params.id),
  }),
]

const linkRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/invitation-links',
    operationId: 'listInvitationLinks',
    summary: 'Invitation links, newest first, with their use counts. Never their tokens',
    tag: 'Invitations',
    rule: enrollmentRules.listInvitationLinks,
    auth: 'required',
    params: orgParams,
    query: listInvitationLinksSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(invitationLinkWire),
    handler: async ({ client, params, query }) =>
      toPage(await signedIn(client).invitationLinks.list(params.org, query), serializeInvitationLink),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/invitation-links',
    operationId: 'createInvitationLink',
    summary:
      'Creates a shareable link granting a role, with an optional expiry, maximum uses and verified domain; the token and URL are in this response only',
    tag: 'Invitations',
    rule: enrollmentRules.createInvitationLink,
    auth: 'required',
    params: orgParams,
    body: createInvitationLinkSchema,
    status: 201,
    response: issuedInvitationLinkWire,
    handler: async ({ client, params, body }) =>
      serializeIssuedInvitationLink(await signedIn(client).invitationLinks.create(params.org, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/invitation-links/:id',
    operationId: 'revokeInvitationLink',
    summary: 'Revokes a link: its token answers 410 `link_revoked` from then on',
    tag: 'Invitations',
    rule: enrollmentRules.revokeInvitationLink,
    auth: 'required',
    params: joinRequestParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).invitationLinks.revoke(params.org, params.id),
  }),
]

const bulkRoute = defineRoute({
  method: 'POST',
  path: '/organizations/:org/invitations/bulk',
  operationId: 'bulkCreateInvitations',
  summary:
    'Invites 1 to 100 emails (`{email, role?, teamIds?}` each) at once; each item is answered on its own with the invitation (and its token, once) or an error in the error shape',
  tag: 'Invitations',
  rule: enrollmentRules.bulkCreateInvitations,
  auth: 'required',
  params: orgParams,
  body: bulkCreateInvitationsSchema,
  status: 200,
  response: bulkInvitationsWire,
  handler: async ({ client, params, body }) =>
    serializeBulkInvitations(await signedIn(client).invitations.bulkCreate(params.org, body)),
})

/** Enrollment: verified domains, joining by domain, join requests, invitation links, bulk invitations. */
export const enrollmentRoutes = [...domainRoutes, ...joinRoutes, ...linkRoutes, bulkRoute]
