import * as z from 'zod'
import { pageSchema, toPage } from '../../shared/wire'
import { addTeamMemberSchema, createTeamSchema, updateTeamMemberSchema, updateTeamSchema } from '../../teams/schemas'
import { serializeTeam, serializeTeamMember, teamMemberWire, teamWire } from '../../teams/wire'
import { defineRoute } from '../route'
import { orgParams, pageQuery, signedIn } from './shared'

const tag = 'Teams'

/** `{team}`: a team's slug or `team_…` id; anything else answers 404 from the core. */
const teamParams = z.strictObject({ org: z.string().min(1).max(255), team: z.string().min(1).max(255) })
const teamMemberParams = teamParams.extend({ userId: z.string().min(1).max(255) })

export const teamRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/teams',
    operationId: 'listTeams',
    summary: "The organization's teams, oldest first",
    tag,
    permission: 'teams.read',
    auth: 'required',
    params: orgParams,
    query: z.strictObject(pageQuery),
    status: 200,
    response: pageSchema(teamWire),
    handler: async ({ orgkit, actor, params, query }) =>
      toPage(await orgkit.as(signedIn(actor)).teams.list(params.org, query), serializeTeam),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/teams',
    operationId: 'createTeam',
    summary: 'Creates a team; the slug is generated from the name when omitted',
    tag,
    permission: 'teams.create',
    auth: 'required',
    params: orgParams,
    body: createTeamSchema,
    status: 201,
    response: teamWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeTeam(await orgkit.as(signedIn(actor)).teams.create(params.org, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/teams/:team',
    operationId: 'getTeam',
    summary: 'One team, by slug or id',
    tag,
    permission: 'teams.read',
    auth: 'required',
    params: teamParams,
    status: 200,
    response: teamWire,
    handler: async ({ orgkit, actor, params }) =>
      serializeTeam(await orgkit.as(signedIn(actor)).teams.get(params.org, params.team)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org/teams/:team',
    operationId: 'updateTeam',
    summary: "Changes a team's name, slug or description (organization role or a role in the team)",
    tag,
    permission: 'teams.update',
    auth: 'required',
    params: teamParams,
    body: updateTeamSchema,
    status: 200,
    response: teamWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeTeam(await orgkit.as(signedIn(actor)).teams.update(params.org, params.team, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/teams/:team',
    operationId: 'deleteTeam',
    summary: 'Deletes a team and its memberships',
    tag,
    permission: 'teams.delete',
    auth: 'required',
    params: teamParams,
    status: 204,
    handler: ({ orgkit, actor, params }) => orgkit.as(signedIn(actor)).teams.delete(params.org, params.team),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/teams/:team/members',
    operationId: 'listTeamMembers',
    summary: "A team's members with their users, by join order",
    tag,
    permission: 'teams.read',
    auth: 'required',
    params: teamParams,
    query: z.strictObject(pageQuery),
    status: 200,
    response: pageSchema(teamMemberWire),
    handler: async ({ orgkit, actor, params, query }) =>
      toPage(await orgkit.as(signedIn(actor)).teams.members.list(params.org, params.team, query), serializeTeamMember),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/teams/:team/members',
    operationId: 'addTeamMember',
    summary: 'Adds an organization member to the team with a team role (teams.update, or a lead of this team)',
    tag,
    permission: 'teams.update',
    auth: 'required',
    params: teamParams,
    body: addTeamMemberSchema,
    status: 201,
    response: teamMemberWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeTeamMember(await orgkit.as(signedIn(actor)).teams.members.add(params.org, params.team, body)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org/teams/:team/members/:userId',
    operationId: 'updateTeamMember',
    summary: "Changes a team member's team role (teams.update, or a lead of this team)",
    tag,
    permission: 'teams.update',
    auth: 'required',
    params: teamMemberParams,
    body: updateTeamMemberSchema,
    status: 200,
    response: teamMemberWire,
    handler: async ({ orgkit, actor, params, body }) =>
      serializeTeamMember(
        await orgkit.as(signedIn(actor)).teams.members.update(params.org, params.team, params.userId, body),
      ),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/teams/:team/members/:userId',
    operationId: 'removeTeamMember',
    summary: 'Takes a member out of the team (teams.update, or a lead of this team)',
    tag,
    permission: 'teams.update',
    auth: 'required',
    params: teamMemberParams,
    status: 204,
    handler: ({ orgkit, actor, params }) =>
      orgkit.as(signedIn(actor)).teams.members.remove(params.org, params.team, params.userId),
  }),
]
