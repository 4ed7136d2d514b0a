import { customAlphabet } from 'nanoid'

/** Lower-case alphanumerics: ids stay URL-safe and case-insensitive collations cannot collide them. */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
const randomPart = customAlphabet(ALPHABET, 20)

export const ID_PREFIXES = {
  organization: 'org',
  member: 'mem',
  invitation: 'inv',
  team: 'team',
  role: 'role',
  apiKey: 'key',
  event: 'evt',
} as const

export type IdKind = keyof typeof ID_PREFIXES

/** `org_3k9…`: the prefix says what an id names, 20 random characters (~103 bits) make it unique. */
export function createId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomPart()}`
}

export function hasIdPrefix(value: string, kind: IdKind): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`)
}
