import { readFileSync } from 'node:fs'
import { routes } from '@orgkit/core/http'
import { describe, expect, it } from 'vitest'
import { contractPath, generateContract } from '../scripts/generate-contract'
import { createOrgkitClient, OPERATION_ALIASES, type OperationId, operations } from '../src'

/** Every method of the client, with the path of names that reaches it (`teams.members.add`). */
function methodsOf(value: object, prefix = ''): [string, (...args: unknown[]) => unknown][] {
  return Object.entries(value).flatMap(([key, member]) =>
    typeof member === 'function'
      ? [[`${prefix}${key}`, member as (...args: unknown[]) => unknown]]
      : methodsOf(member as object, `${prefix}${key}.`),
  )
}

describe("the client's operations and the server's route table", () => {
  it('describe the same routes: method, path, status and where the input goes', () => {
    const fromTable = Object.fromEntries(
      routes.map((route) => [
        route.operationId,
        {
          method: route.method,
          path: route.path,
          status: route.status,
          input: route.body ? 'body' : route.query ? 'query' : null,
        },
      ]),
    )
    expect(operations).toEqual(fromTable)
  })

  it('give every route a client method that calls it', async () => {
    const called = new Set<string>()
    const client = createOrgkitClient({
      baseUrl: 'https://app.example/api',
      fetch: async (url, init) => {
        const path = new URL(String(url)).pathname.replace(/^\/api/, '')
        called.add(`${init?.method} ${path}`)
        return new Response(JSON.stringify({ data: [], nextCursor: null, prevCursor: null, hasMore: false }), {
          status: 200,
        })
      },
    })
    for (const [, method] of methodsOf(client)) {
      // Arguments past the path parameters land where the input goes; only the path is compared.
      const result = method('p1', 'p2', 'p3', 'p4')
      if (Symbol.asyncIterator in (result as object)) {
        for await (const _ of result as AsyncIterable<unknown>);
      } else await result
    }
    // Every route is called, except the aliases of another.
    const expected = routes
      .filter((route) => !(route.operationId in OPERATION_ALIASES))
      .map((route) => `${route.method} ${route.path.replace(/:\w+/g, ':_')}`)
    expect([...called].map((entry) => entry.replace(/\/p\d/g, '/:_')).sort()).toEqual([...new Set(expected)].sort())
    for (const [alias, target] of Object.entries(OPERATION_ALIASES)) {
      expect(operations[alias as OperationId].method).toBe(operations[target].method)
    }
  })

  // Printing the types takes a TypeScript program over the core's sources.
  it('are generated from the current route table (npm run generate -w @orgkit/client)', () => {
    expect(generateContract()).toBe(readFileSync(contractPath, 'utf8'))
  }, 180_000)
})
