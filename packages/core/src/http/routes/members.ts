import * as z from 'zod'
import { addMemberSchema, roleKeySchema, updateMemberSchema } from '../../members/schemas'
import { memberWire, serializeMember } from '../../members/wire'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { memberParams, orgParams, pageQuery, signedIn } from './shared'

const tag = 'Members'

export const memberRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/members',
    operationId: 'listMembers',
    summary: 'Members with their users; `?role=` and `?q=` (name, email or username prefix) filter',
    tag,
    permission: 'members.read',
    auth: 'required',
    params: orgParams,
    query: z.strictObject({
      ...pageQuery,
      role: roleKeySchema.optional(),
      q: z.string().trim().min(1).max(100).optional(),
    }),
    status: 200,
    response: pageSchema(memberWire),
    handler: async ({ orgkit, actor, params, query }) =>
      toPage(await orgkit.as(signedIn(actor)).members.list(params.org, query), serializeMember),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/members',
    operationId: 'addMember',
    summary: 'Adds a user directly, named by exactly one of userId, username or email',
    tag,
    permission: 'members.add',
    auth: 'required',
    params: orgParams,
    body: addMemberSchema,
    status: 201,
    response: memberWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeMember(await orgkit.as(signedIn(actor)).members.add(params.org, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/members/:userId',
    operationId: 'getMember',
    summary: 'One member',
    tag,
    permission: 'members.read',
    auth: 'required',
    params: memberParams,
    status: 200,
    response: memberWire,
    handler: async ({ orgkit, actor, params }) =>
      serializeMember(await orgkit.as(signedIn(actor)).members.get(params.org, params.userId)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org/members/:userId',
    operationId: 'updateMember',
    summary: "Changes a member's role",
    tag,
    permission: 'members.update',
    auth: 'required',
    params: memberParams,
    body: updateMemberSchema,
    status: 200,
    response: memberWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeMember(await orgkit.as(signedIn(actor)).members.update(params.org, params.userId, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/members/:userId',
    operationId: 'removeMember',
    summary: 'Removes a member (and the API keys they created)',
    tag,
    permission: 'members.remove',
    auth: 'required',
    params: memberParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).members.remove(params.org, params.userId),
  }),
]
