import * as z from 'zod'
import {
  createInvitationSchema,
  INVITATION_STATUSES,
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
import { orgParams, pageQuery, signedIn } from './shared'

const tag = 'Invitations'
const invitationParams = z.strictObject({ org: z.string().min(1).max(255), id: z.string().min(1).max(255) })

const resendRoute = defineRoute({
  method: 'POST',
  path: '/organizations/:org/invitations/:id/resend',
  operationId: 'resendInvitation',
  summary: 'Rotates the token and extends the expiry; the new token is in this response only',
  tag,
  permission: 'invitations.create',
  auth: 'required',
  params: invitationParams,
  status: 200,
  response: issuedInvitationWire,
  handler: async ({ orgkit, actor, params }) =>
    serializeIssuedInvitation(await orgkit.as(signedIn(actor)).invitations.resend(params.org, params.id)),
})

export const invitationRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/invitations',
    operationId: 'listInvitations',
    summary: 'Invitations, newest first; `?status=` filters. Never their tokens',
    tag,
    permission: 'invitations.read',
    auth: 'required',
    params: orgParams,
    query: z.strictObject({ ...pageQuery, status: z.enum(INVITATION_STATUSES).optional() }),
    status: 200,
    response: pageSchema(invitationWire),
    handler: async ({ orgkit, actor, params, query }) =>
      toPage(await orgkit.as(signedIn(actor)).invitations.list(params.org, query), serializeInvitation),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/invitations',
    operationId: 'createInvitation',
    summary: 'Invites an email with a role; the token and accept URL are in this response only',
    tag,
    permission: 'invitations.create',
    auth: 'required',
    params: orgParams,
    body: createInvitationSchema,
    status: 201,
    response: issuedInvitationWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeIssuedInvitation(await orgkit.as(signedIn(actor)).invitations.create(params.org, body)),
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
    permission: 'invitations.revoke',
    auth: 'required',
    params: invitationParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).invitations.revoke(params.org, params.id),
  }),
  defineRoute({
    method: 'GET',
    path: '/invitations',
    operationId: 'listMyInvitations',
    summary: "Pending invitations addressed to the caller's email",
    tag,
    permission: null,
    auth: 'required',
    query: z.strictObject(pageQuery),
    status: 200,
    response: pageSchema(invitationWire),
    handler: async ({ orgkit, actor, query }) =>
      toPage(await orgkit.as(signedIn(actor)).invitations.mine(query), serializeInvitation),
  }),
  defineRoute({
    method: 'POST',
    path: '/invitations/preview',
    operationId: 'previewInvitation',
    summary: 'What a token invites to: organization, inviter, role and expiry',
    tag,
    permission: null,
    auth: 'required',
    body: previewInvitationSchema,
    status: 200,
    response: invitationPreviewWire,
    handler: async ({ orgkit, actor, body }) =>
      serializeInvitationPreview(await orgkit.as(signedIn(actor)).invitations.preview(body)),
  }),
  defineRoute({
    method: 'POST',
    path: '/invitations/accept',
    operationId: 'acceptInvitation',
    summary: 'Accepts by `{token}`, or by `{id}` (the addressee only); answers the new membership',
    tag,
    permission: null,
    auth: 'required',
    body: respondToInvitationSchema,
    status: 200,
    response: memberWire,
    handler: async ({ orgkit, actor, body }) =>
      serializeMember(await orgkit.as(signedIn(actor)).invitations.accept(body)),
  }),
  defineRoute({
    method: 'POST',
    path: '/invitations/decline',
    operationId: 'declineInvitation',
    summary: 'Declines by `{token}`, or by `{id}` (the addressee only)',
    tag,
    permission: null,
    auth: 'required',
    body: respondToInvitationSchema,
    status: 204,
    handler: ({ orgkit, actor, body }) => orgkit.as(signedIn(actor)).invitations.decline(body),
  }),
]
