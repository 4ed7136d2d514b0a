import { OrgkitConfigError } from './errors'

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `'7d'`, `'12h'`, `'30m'`, `'45s'` or milliseconds, to milliseconds; throws naming `option`. */
export function parseDuration(value: number | string, option: string): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value
    throw new OrgkitConfigError(`${option} must be a positive whole number of milliseconds`)
  }
  const match = /^(\d+)\s*([smhd])$/.exec(value.trim())
  const ms = match ? Number(match[1]) * UNITS[match[2]!]! : 0
  if (ms <= 0 || !Number.isSafeInteger(ms)) {
    throw new OrgkitConfigError(
      `${option} must be like '7d', '12h', '30m' or '45s', or milliseconds; got ${JSON.stringify(value)}`,
    )
  }
  return ms
}
