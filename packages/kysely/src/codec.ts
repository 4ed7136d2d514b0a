import type { JsonObject } from '@orgkit/core'

/**
 * JSON columns are text on every dialect (see `schema.ts`); these are the only places
 * that cross between the two.
 */
export function toJson(value: JsonObject | readonly string[]): string {
  return JSON.stringify(value)
}

export function parseJsonObject(text: string): JsonObject {
  const value: unknown = JSON.parse(text)
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {}
}

export function parseStringArray(text: string): string[] {
  const value: unknown = JSON.parse(text)
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/** Affected-row counts arrive as bigint from every Kysely driver. */
export function affected(count: bigint | undefined): number {
  return Number(count ?? 0n)
}

/** `count(*)` arrives as a number (mysql2, better-sqlite3), a string (pg's bigint) or a bigint. */
export function toCount(value: string | number | bigint | null | undefined): number {
  return Number(value ?? 0)
}
