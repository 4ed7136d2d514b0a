import * as z from 'zod'
import { pageSchema, toPage } from '../../shared/wire'
import { teamRules } from '../../teams/rules'
import {
  addTeamMemberSchema,
  createTeamSchema,
  listTeamMembersSchema,
  listTeamsSchema,
  updateTeamMemberSchema,
  updateTeamSchema,
} from '../../teams/schemas'
import { serializeTeam, serializeTeamMember, teamMemberWire, teamWire } from '../../teams/wire'
import { defineRoute } from '../route'
import { orgParams, signedIn } from './shared'

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
    rule: teamRules.list,
    auth: 'required',
    params: orgParams,
    query: listTeamsSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(teamWire),
    handler: async ({ client, params, query }) =>
      toPage(await signedIn(client).teams.list(params.org, query), serializeTeam),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/teams',
    operationId: 'createTeam',
    summary: 'Creates a team; the slug is generated from the name when omitted',
    tag,
    rule: teamRules.create,
    auth: 'required',
    params: orgParams,
    body: createTeamSchema,
    status: 201,
    response: teamWire,
    handler: async ({ client, params, body }) => serializeTeam(await signedIn(client).teams.create(params.org, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/teams/:team',
    operationId: 'getTeam',
    summary: 'One team, by slug or id',
    tag,
    rule: teamRules.get,
    auth: 'required',
    params: teamParams,
    status: 200,
    response: teamWire,
    handler: async ({ client, params }) => serializeTeam(await signedIn(client).teams.get(params.org, params.team)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org/teams/:team',
    operationId: 'updateTeam',
    summary: "Changes a team's name, slug or description (organization role or a role in the team)",
    tag,
    rule: teamRules.update,
    auth: 'required',
    params: teamParams,
    body: updateTeamSchema,
    status: 200,
    response: teamWire,
    handler: async ({ client, params, body }) =>
      serializeTeam(await signedIn(client).teams.update(params.org, params.team, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/teams/:team',
    operationId: 'deleteTeam',
    summary: 'Deletes a team and its memberships',
    tag,
    rule: teamRules.delete,
    auth: 'required',
    params: teamParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).teams.delete(params.org, params.team),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:org/teams/:team/members',
    operationId: 'listTeamMembers',
    summary: "A team's members with their users, by join order",
    tag,
    rule: teamRules.listMembers,
    auth: 'required',
    params: teamParams,
    query: listTeamMembersSchema,
    queryValidatedByCore: true,
    status: 200,
    response: pageSchema(teamMemberWire),
    handler: async ({ client, params, query }) =>
      toPage(await signedIn(client).teams.members.list(params.org, params.team, query), serializeTeamMember),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations/:org/teams/:team/members',
    operationId: 'addTeamMember',
    summary: 'Adds an organization member to the team with a team role (teams.update, or a lead of this team)',
    tag,
    rule: teamRules.addMember,
    auth: 'required',
    params: teamParams,
    body: addTeamMemberSchema,
    status: 201,
    response: teamMemberWire,
    handler: async ({ client, params, body }) =>
      serializeTeamMember(await signedIn(client).teams.members.add(params.org, params.team, body)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:org/teams/:team/members/:userId',
    operationId: 'updateTeamMember',
    summary: "Changes a team member's team role (teams.update, or a lead of this team)",
    tag,
    rule: teamRules.updateMember,
    auth: 'required',
    params: teamMemberParams,
    body: updateTeamMemberSchema,
    status: 200,
    response: teamMemberWire,
    handler: async ({ client, params, body }) =>
      serializeTeamMember(await signedIn(client).teams.members.update(params.org, params.team, params.userId, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/organizations/:org/teams/:team/members/:userId',
    operationId: 'removeTeamMember',
    summary: 'Takes a member out of the team (teams.update, or a lead of this team)',
    tag,
    rule: teamRules.removeMember,
    auth: 'required',
    params: teamMemberParams,
    status: 204,
    handler: ({ client, params }) => signedIn(client).teams.members.remove(params.org, params.team, params.userId),
  }),
]
