import * as z from 'zod'
import { roleKeySchema } from '../../members/schemas'
import { roleRules } from '../../roles/rules'
import { createRoleSchema, updateRoleSchema } from '../../roles/schemas'
import { roleWire, serializeRole } from '../../roles/wire'
import { pageSchema } from '../../shared/wire'
import { defineRoute } from '../route'
import { orgParams, signedIn } from './shared'

const tag = 'Roles'

const roleParams = z.strictObject({ org: orgParams.shape.org, key: z.string().min(1).max(255) })

export const roleRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/roles',
    operationId: 'listRoles',
    summary: 'System roles (custom shadows in their place) and custom roles, with their permissions',
    tag,
    rule: roleRules.list,
    auth: 'required',
    params: orgParams,
    status: 200,
    // Every role at once (they are few, `limits.customRolesPerOrganization`), in the list shape
    // of every other list.
    response: pageSchema(roleWire),
    handler: async ({ client, params }) => ({
      data: (await signedIn(client).roles.list(params.org)).map(serializeRole),
      nextCursor: null,
      prevCursor: null,
      hasMore: false,
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/roles',
    operationId: 'createRole',
    summary: 'Creates a custom role; a system role’s key shadows that role in this organization',
    tag,
    rule: roleRules.create,
    auth: 'required',
    params: orgParams,
    body: createRoleSchema,
    status: 201,
    response: roleWire,
    handler: async ({ client, params, body }) => serializeRole(await signedIn(client).roles.create(params.org, body)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org/roles/:key',
    operationId: 'updateRole',
    summary: 'Edits a custom role',
    tag,
    rule: roleRules.update,
    auth: 'required',
    params: roleParams,
    body: updateRoleSchema,
    status: 200,
    response: roleWire,
    handler: async ({ client, params, body }) =>
      serializeRole(await signedIn(client).roles.update(params.org, params.key, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/roles/:key',
    operationId: 'deleteRole',
    summary: 'Deletes a custom role; `?reassignTo=` names the new role of its members',
    tag,
    rule: roleRules.delete,
    auth: 'required',
    params: roleParams,
    query: z.strictObject({ reassignTo: roleKeySchema.optional() }),
    status: 204,
    handler: ({ client, params, query }) => signedIn(client).roles.delete(params.org, params.key, query),
  }),
]
