import * as z from 'zod'
import { requiredPermission, requirementName } from '../authorization/requirement'
import { ERROR_CODES } from '../shared/errors'
import { STATUS_BY_CODE } from './errors'
import type { RouteDefinition } from './route'

export interface OpenApiOptions {
  title?: string
  version?: string
  /** Where the host mounted the routes, e.g. `/api`. @default '' */
  serverUrl?: string
}

type JsonSchema = Record<string, unknown>

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: { type: 'string' },
        details: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' })
  return rest
}

/**
 * A parameter always arrives as a string: where a schema also takes a number (the core
 * API's `limit`), the document shows only the string form a URL can carry.
 */
function stringForm(schema: JsonSchema): JsonSchema {
  const anyOf = schema.anyOf as JsonSchema[] | undefined
  return anyOf?.find((branch) => branch.type === 'string') ?? schema
}

/** `/organizations/:org` → `/organizations/{org}` */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

/**
 * The OpenAPI 3.1 document of a route table, generated from the same zod schemas that
 * validate requests, so the document cannot drift from what the server accepts.
 */
export function createOpenApiDocument(routes: readonly RouteDefinition[], options: OpenApiOptions = {}) {
  const paths: Record<string, Record<string, unknown>> = {}
  const statuses = [...new Set(Object.values(STATUS_BY_CODE))].sort()
  for (const route of routes) {
    const parameters: unknown[] = []
    for (const [location, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue
      const json = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] }
      for (const [name, property] of Object.entries(json.properties ?? {})) {
        parameters.push({
          name,
          in: location,
          required: location === 'path' || (json.required ?? []).includes(name),
          schema: stringForm(property),
        })
      }
    }
    const responses: Record<string, unknown> = {
      [route.status]:
        route.status === 204 || !route.response
          ? { description: 'Done' }
          : { description: 'Success', content: { 'application/json': { schema: toSchema(route.response, 'output') } } },
    }
    for (const status of statuses) {
      if (route.auth === 'none' && status !== 400 && status !== 500) continue
      responses[status] = { $ref: `#/components/responses/Error${status}` }
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters,
      responses,
    }
    // Both from the route's rule, the value the core checks.
    const permission = requiredPermission(route.rule)
    if (permission !== null) operation['x-orgkit-permission'] = permission
    operation['x-orgkit-requirement'] = requirementName(route.rule)
    if (route.auth === 'required') operation.security = [{ user: [] }, { apiKey: [] }]
    if (route.auth === 'optional') operation.security = [{ user: [] }, { apiKey: [] }, {}]
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: toSchema(route.body, 'input') } },
      }
    }
    const path = openApiPath(route.path)
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = operation
  }
  const errorResponses: Record<string, unknown> = {}
  for (const status of statuses) {
    errorResponses[`Error${status}`] = {
      description: Object.entries(STATUS_BY_CODE)
        .filter(([, s]) => s === status)
        .map(([code]) => code)
        .join(', '),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: options.title ?? 'orgkit', version: options.version ?? '0.1.0' },
    servers: [{ url: options.serverUrl ?? '/' }],
    paths,
    components: {
      schemas: { Error: errorSchema },
      responses: errorResponses,
      securitySchemes: {
        user: { type: 'apiKey', in: 'header', name: 'Authorization', description: "The host application's own login" },
        apiKey: { type: 'http', scheme: 'bearer', description: 'An orgkit API key, `ok_<prefix>_<secret>`' },
      },
    },
  }
}
