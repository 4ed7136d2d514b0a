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

const randomTail = customAlphabet(ALPHABET, 7)
let lastMillis = 0
let sequence = 0

/**
 * An id that sorts in the order this process made it: 9 characters of milliseconds, 4 of a
 * sequence within the millisecond, 7 random (20 in all, like `createId`). Audit events get
 * these: events written in the same millisecond (or under a fixed test clock) share their
 * `createdAt`, and the trail breaks that tie by id, so it lists them in the order they
 * happened rather than by chance. Teams, listed by creation, get them for the same reason.
 */
export function createSortableId(kind: IdKind): string {
  const millis = Math.max(Date.now(), lastMillis)
  sequence = millis === lastMillis ? sequence + 1 : 0
  lastMillis = millis
  return `${ID_PREFIXES[kind]}_${millis.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomTail()}`
}

export function hasIdPrefix(value: string, kind: IdKind): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`)
}
