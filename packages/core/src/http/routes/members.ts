import { memberRules } from '../../members/rules'
import { addMemberSchema, listMembersSchema, updateMemberSchema } from '../../members/schemas'
import { memberWire, serializeMember } from '../../members/wire'
import { pageSchema, toPage } from '../../shared/wire'
import { defineRoute } from '../route'
import { memberParams, orgParams, signedIn } from './shared'

const tag = 'Members'

export const memberRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/members',
    operationId: 'listMembers',
    summary: 'Members with their users; `?role=` and `?q=` (name, email or username prefix) filter',
    tag,
    rule: memberRules.list,
    auth: 'required',
    params: orgParams,
    query: listMembersSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(memberWire),
    handler: async ({ client, params, query }) =>
      toPage(await signedIn(client).members.list(params.org, query), serializeMember),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/members',
    operationId: 'addMember',
    summary: 'Adds a user directly, named by exactly one of userId, username or email',
    tag,
    rule: memberRules.add,
    auth: 'required',
    params: orgParams,
    body: addMemberSchema,
    status: 201,
    response: memberWire,
    handler: async ({ client, params, body }) => serializeMember(await signedIn(client).members.add(params.org, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/members/:userId',
    operationId: 'getMember',
    summary: 'One member',
    tag,
    rule: memberRules.get,
    auth: 'required',
    params: memberParams,
    status: 200,
    response: memberWire,
    handler: async ({ client, params }) =>
      serializeMember(await signedIn(client).members.get(params.org, params.userId)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org/members/:userId',
    operationId: 'updateMember',
    summary: "Changes a member's role",
    tag,
    rule: memberRules.update,
    auth: 'required',
    params: memberParams,
    body: updateMemberSchema,
    status: 200,
    response: memberWire,
    handler: async ({ client, params, body }) =>
      serializeMember(await signedIn(client).members.update(params.org, params.userId, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/members/:userId',
    operationId: 'removeMember',
    summary: 'Removes a member (and the API keys they created)',
    tag,
    rule: memberRules.remove,
    auth: 'required',
    params: memberParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).members.remove(params.org, params.userId),
  }),
]
