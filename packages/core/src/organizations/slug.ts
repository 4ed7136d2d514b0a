import { customAlphabet } from 'nanoid'
import { SLUG_PATTERN } from './schemas'

/** Slugs that would collide with routes or read as official; `reservedSlugs` adds to them. */
export const RESERVED_SLUGS = [
  'me',
  'new',
  'api',
  'admin',
  'settings',
  'app',
  'auth',
  'login',
  'logout',
  'signup',
  'register',
  'account',
  'accounts',
  'billing',
  'dashboard',
  'help',
  'support',
  'docs',
  'www',
  'root',
  'system',
  'orgkit',
  'organizations',
  'invitations',
  'industries',
  'static',
  'assets',
] as const

/** Letters that Unicode decomposition does not reduce to ASCII. */
const TRANSLITERATIONS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
  ŋ: 'n',
  '&': ' and ',
  '@': ' at ',
}

const suffix = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 6)

/**
 * A slug from a name: transliterated to ASCII, lower-cased, every run of other characters
 * made one hyphen, cut to fit the pattern. `''` when nothing of the name survives.
 */
export function slugify(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^ -~]|[&@]/g, (ch) => TRANSLITERATIONS[ch] ?? ' ')
  return ascii
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '')
}

/**
 * Candidate slugs for a name, in order: the slug itself, then with a random suffix. The
 * caller tries each until the storage's atomic claim succeeds.
 */
export function* slugCandidates(
  name: string,
  isReserved: (slug: string) => boolean,
  fallback = 'org',
): Generator<string> {
  const base = slugify(name) || fallback
  if (!isReserved(base) && SLUG_PATTERN.test(base)) yield base
  const stem = base.slice(0, 41).replace(/-+$/, '')
  for (;;) yield `${stem}-${suffix()}`
}
