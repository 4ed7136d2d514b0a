import type { HttpRoute } from '@orgkit/core/http'
import { describe, expectTypeOf, it } from 'vitest'
import type * as z from 'zod'
import {
  type CallOptions,
  createOrgkitClient,
  type IssuedInvitation,
  type Member,
  type Operations,
  type OrgkitErrorCode,
  type Page,
  type PermissionMap,
} from '../src'

// These checks run when `tsc -b` type-checks this file (and the file runs under vitest, so
// it also shows in the suite). A route whose schema changes without `npm run generate -w
// @orgkit/client` fails to compile here.

type Route<Id> = Extract<HttpRoute, { operationId: Id }>
type SchemaInput<S> = S extends z.ZodType ? z.input<S> : undefined
type SchemaOutput<S> = S extends z.ZodType ? z.output<S> : undefined

/** What the server's schemas say each operation takes and answers. */
type FromTable = {
  [Id in HttpRoute['operationId']]: {
    params: string[]
    query: SchemaOutput<NonNullable<Route<Id>['query']>> | (Route<Id>['query'] extends undefined ? undefined : never)
    body: SchemaInput<NonNullable<Route<Id>['body']>> | (Route<Id>['body'] extends undefined ? undefined : never)
    response: Route<Id>['status'] extends 204
      ? undefined
      : Route<Id>['response'] extends undefined
        ? unknown
        : SchemaOutput<NonNullable<Route<Id>['response']>>
  }
}

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

/** `true` for every part of every operation whose client type is the server's; the part's name otherwise. */
type Agreement = {
  [Id in keyof FromTable]: Id extends keyof Operations
    ? {
        query: Same<Operations[Id]['query'], FromTable[Id]['query']>
        body: Same<Operations[Id]['body'], FromTable[Id]['body']>
        response: Same<Operations[Id]['response'], FromTable[Id]['response']>
      }
    : 'no client operation'
}

describe("the client's types", () => {
  it('cover exactly the operations of the route table', () => {
    expectTypeOf<keyof Operations>().toEqualTypeOf<HttpRoute['operationId']>()
  })

  it("are the server schemas' types, operation by operation", () => {
    expectTypeOf<Agreement>().toEqualTypeOf<{
      [Id in keyof FromTable]: { query: true; body: true; response: true }
    }>()
  })

  it('name the path parameters in the order of the path', () => {
    expectTypeOf<Operations['updateTeamMember']['params']>().toEqualTypeOf<
      [org: string, team: string, userId: string]
    >()
    expectTypeOf<Operations['listOrganizations']['params']>().toEqualTypeOf<[]>()
  })

  it('shape the methods: path parameters, the input, then call options', () => {
    const client = createOrgkitClient({ baseUrl: '/api' })
    expectTypeOf(client.members.add).parameters.toEqualTypeOf<
      [org: string, body?: Operations['addMember']['body'], options?: CallOptions]
    >()
    expectTypeOf(client.members.update).parameters.toEqualTypeOf<
      [org: string, userId: string, body: { role: string }, options?: CallOptions]
    >()
    expectTypeOf(client.members.add).returns.resolves.toEqualTypeOf<Member>()
    expectTypeOf(client.members.list).returns.resolves.toEqualTypeOf<Page<Member>>()
    expectTypeOf(client.invitations.create).returns.resolves.toEqualTypeOf<IssuedInvitation>()
    expectTypeOf(client.organizations.permissions).returns.resolves.toEqualTypeOf<PermissionMap>()
    expectTypeOf(client.members.remove).returns.resolves.toEqualTypeOf<undefined>()
    expectTypeOf(client.members.iterate).returns.toEqualTypeOf<AsyncGenerator<Member, void, undefined>>()
    // A required body is required; a wrong field is refused.
    // @ts-expect-error the body is required
    void (() => client.invitations.accept())
    // @ts-expect-error `token` is a string
    void (() => client.invitations.accept({ token: 1 }))
    // @ts-expect-error no such query parameter
    void (() => client.members.list('acme', { page: 2 }))
    // @ts-expect-error the organization comes first
    void (() => client.members.get({ userId: 'usr_1' }))
  })

  it('name every error code of the API', () => {
    expectTypeOf<OrgkitErrorCode>().toEqualTypeOf<keyof typeof import('@orgkit/core/http').STATUS_BY_CODE>()
  })
})
