import { parse } from 'tldts'
import { invalid } from '../shared/validate'

/**
 * `Acme.COM.` → `acme.com`, `Bücher.de` → `xn--bcher-kva.de`: lower case, IDNA to ASCII, the
 * trailing dot of a fully qualified name dropped. `null` when it is no host name at all.
 */
export function canonicalDomain(input: string): string | null {
  const trimmed = input.trim().replace(/\.$/, '')
  if (trimmed === '' || trimmed.length > 253 || /[\s/@:?#%[\]\\]/.test(trimmed)) return null
  // The WHATWG URL parser does IDNA (UTS #46) in every runtime, Node or not, and refuses
  // what cannot be a host name.
  let ascii: string
  try {
    ascii = new URL(`http://${trimmed}/`).hostname
  } catch {
    return null
  }
  if (ascii === '' || ascii.endsWith('.') || ascii.startsWith('[')) return null
  return ascii.toLowerCase()
}

/**
 * A domain an organization may claim, normalized, or a 400 saying why not: an IP address, a
 * single label (`localhost`), a public suffix (`co.uk`, and the private ones like
 * `github.io`, where every subdomain belongs to someone else), a name under no known
 * suffix, or a consumer mail provider (or a subdomain of one).
 */
export function claimableDomain(input: string, consumerMailDomains: ReadonlySet<string>, path = 'domain'): string {
  const domain = canonicalDomain(input)
  if (domain === null) throw invalid(path, 'Must be a domain name, like example.com.')
  const parsed = parse(domain, { allowPrivateDomains: true })
  if (parsed.isIp) throw invalid(path, 'An IP address is not a domain an organization can claim.')
  if (!domain.includes('.')) throw invalid(path, 'A single-label name is not a domain an organization can claim.')
  if (parsed.domain === null || parsed.publicSuffix === null) {
    throw invalid(path, `${domain} is a public suffix: names under it belong to different owners.`)
  }
  if (!parsed.isIcann && !parsed.isPrivate) throw invalid(path, `${domain} is not under a known public suffix.`)
  const icannDomain = parse(domain).domain
  if (
    consumerMailDomains.has(domain) ||
    consumerMailDomains.has(parsed.domain) ||
    (icannDomain !== null && consumerMailDomains.has(icannDomain))
  ) {
    throw invalid(path, `${domain} is a consumer mail provider: an address there proves no affiliation.`)
  }
  return domain
}

/** The domain of an email address, normalized like a claimed domain; `null` when there is none. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@')
  if (at <= 0 || at === email.length - 1) return null
  return canonicalDomain(email.slice(at + 1))
}
