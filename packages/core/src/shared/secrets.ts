import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** SHA-256, hex: how tokens and key secrets are stored. They carry ≥128 random bits, so no salt or slow hash is needed. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex')
  const stored = Buffer.from(storedHash, 'hex')
  return presented.length === stored.length && timingSafeEqual(presented, stored)
}

/** `bytes` random bytes as base64url (`32` → 256 bits, 43 characters). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}
