import * as z from 'zod'
import { invitationRules } from '../../invitations/rules'
import {
  createInvitationSchema,
  listInvitationsSchema,
  listMyInvitationsSchema,
  previewInvitationSchema,
  respondToInvitationSchema,
} from '../../invitations/schemas'
import {
  invitationPreviewWire,
  invitationWire,
  issuedInvitationWire,
  serializeInvitation,
  serializeInvitationPreview,
  serializeIssuedInvitation,
} from '../../invitations/wire'
import { memberWire, serializeMember } from '../../members/wire'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { orgParams, signedIn } from './shared'

const tag = 'Invitations'
const invitationParams = z.strictObject({ org: z.string().min(1).max(255), id: z.string().min(1).max(255) })

const resendRoute = defineRoute({
  method: 'POST',
  path: '/organizations/:org/invitations/:id/resend',
  operationId: 'resendInvitation',
  summary: 'Rotates the token and extends the expiry; the new token is in this response only',
  tag,
  rule: invitationRules.resend,
  auth: 'required',
  params: invitationParams,
  status: 200,
  response: issuedInvitationWire,
  handler: async ({ client, params }) =>
    serializeIssuedInvitation(await signedIn(client).invitations.resend(params.org, params.id)),
})

export const invitationRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/invitations',
    operationId: 'listInvitations',
    summary: 'Invitations, newest first; `?status=` filters. Never their tokens',
    tag,
    rule: invitationRules.list,
    auth: 'required',
    params: orgParams,
    query: listInvitationsSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(invitationWire),
    handler: async ({ client, params, query }) =>
      toPage(await signedIn(client).invitations.list(params.org, query), serializeInvitation),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/invitations',
    operationId: 'createInvitation',
    summary: 'Invites an email with a role; the token and accept URL are in this response only',
    tag,
    rule: invitationRules.create,
    auth: 'required',
    params: orgParams,
    body: createInvitationSchema,
    status: 201,
    response: issuedInvitationWire,
    handler: async ({ client, params, body }) =>
      serializeIssuedInvitation(await signedIn(client).invitations.create(params.org, body)),
  }),
  resendRoute,
  // The same operation at the invitation's own path, as some clients expect.
  defineRoute({
    ...resendRoute,
    path: '/organizations/:org/invitations/:id',
    operationId: 'resendInvitationAlias',
    summary: 'The same as POST …/invitations/{id}/resend',
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/invitations/:id',
    operationId: 'revokeInvitation',
    summary: 'Revokes a pending invitation',
    tag,
    rule: invitationRules.revoke,
    auth: 'required',
    params: invitationParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).invitations.revoke(params.org, params.id),
  }),
  defineRoute({
    method: 'GET',
    path: '/invitations',
    operationId: 'listMyInvitations',
    summary: "Pending invitations addressed to the caller's email",
    tag,
    rule: invitationRules.mine,
    auth: 'required',
    query: listMyInvitationsSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(invitationWire),
    handler: async ({ client, query }) => toPage(await signedIn(client).invitations.mine(query), serializeInvitation),
  }),
  defineRoute({
    method: 'POST',
    path: '/invitations/preview',
    operationId: 'previewInvitation',
    summary: 'What a token invites to: organization, inviter, role and expiry',
    tag,
    rule: invitationRules.preview,
    auth: 'required',
    body: previewInvitationSchema,
    status: 200,
    response: invitationPreviewWire,
    handler: async ({ client, body }) => serializeInvitationPreview(await signedIn(client).invitations.preview(body)),
  }),
  defineRoute({
    method: 'POST',
    path: '/invitations/accept',
    operationId: 'acceptInvitation',
    summary: 'Accepts by `{token}`, or by `{id}` (the addressee only); answers the new membership',
    tag,
    rule: invitationRules.accept,
    auth: 'required',
    body: respondToInvitationSchema,
    status: 200,
    response: memberWire,
    handler: async ({ client, body }) => serializeMember(await signedIn(client).invitations.accept(body)),
  }),
  defineRoute({
    method: 'POST',
    path: '/invitations/decline',
    operationId: 'declineInvitation',
    summary: 'Declines by `{token}`, or by `{id}` (the addressee only)',
    tag,
    rule: invitationRules.decline,
    auth: 'required',
    body: respondToInvitationSchema,
    status: 204,
    handler: ({ client, body }) => signedIn(client).invitations.decline(body),
  }),
]
