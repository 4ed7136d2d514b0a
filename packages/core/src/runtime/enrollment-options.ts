import { OrgkitConfigError } from '../authorization/engine'

/**
 * Free-mail providers: anyone can have an address there, so an address proves nothing about
 * belonging to an organization, and no organization may claim the domain. Hosts replace or
 * extend the list with `enrollment.consumerMailDomains`.
 */
export const DEFAULT_CONSUMER_MAIL_DOMAINS: readonly string[] = [
  '126.com',
  '163.com',
  'aol.com',
  'fastmail.com',
  'free.fr',
  'gmail.com',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'googlemail.com',
  'hey.com',
  'hotmail.co.uk',
  'hotmail.com',
  'hotmail.de',
  'hotmail.fr',
  'icloud.com',
  'laposte.net',
  'live.com',
  'mac.com',
  'mail.com',
  'mail.ru',
  'me.com',
  'msn.com',
  'naver.com',
  'orange.fr',
  'outlook.com',
  'outlook.de',
  'pm.me',
  'proton.me',
  'protonmail.com',
  'qq.com',
  'rediffmail.com',
  't-online.de',
  'tuta.io',
  'tutanota.com',
  'web.de',
  'yahoo.co.uk',
  'yahoo.com',
  'yahoo.fr',
  'yandex.com',
  'yandex.ru',
  'ymail.com',
  'zoho.com',
]

/**
 * Looks up the TXT records of a DNS name: each record as the strings it is made of, as
 * `node:dns/promises` `resolveTxt` answers. A name with no records answers `[]` (or throws
 * `ENOTFOUND` / `ENODATA`, which count as none).
 */
export type TxtResolver = (name: string) => Promise<string[][]>

export interface EnrollmentOptions {
  /**
   * Resolves TXT records for domain verification. @default `resolveTxt` of `node:dns/promises`,
   * imported when first used (so the core loads in runtimes without it)
   */
  resolveTxt?: TxtResolver
  /**
   * Domains no organization may claim because anyone can have an address there.
   * Replaces the default list; extend it with `[...DEFAULT_CONSUMER_MAIL_DOMAINS, 'mail.example']`.
   * @default DEFAULT_CONSUMER_MAIL_DOMAINS
   */
  consumerMailDomains?: readonly string[]
  /** The label under the domain where the TXT record goes. @default '_orgkit-verification' */
  verificationRecordName?: string
  /**
   * The link an invitation-link token is handed out in.
   * @default (token) => `/invitations/accept?token=${token}`
   */
  linkUrl?: (token: string) => string
}

/** The enrollment options, checked and resolved once by `createOrgkit`. */
export interface EnrollmentSettings {
  resolveTxt: TxtResolver
  consumerMailDomains: ReadonlySet<string>
  verificationRecordName: string
  linkUrl: (token: string) => string
}

const LABEL = /^_?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** `node:dns/promises` on first use, so that merely loading the core needs no Node module. */
const nodeResolveTxt: TxtResolver = async (name) => {
  const dns = await import('node:dns/promises')
  try {
    return await dns.resolveTxt(name)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ENOTFOUND' || code === 'ENODATA') return []
    throw error
  }
}

export function resolveEnrollmentOptions(options: EnrollmentOptions | undefined): EnrollmentSettings {
  const resolveTxt = options?.resolveTxt ?? nodeResolveTxt
  if (typeof resolveTxt !== 'function') throw new OrgkitConfigError('enrollment.resolveTxt must be a function')
  const linkUrl = options?.linkUrl ?? ((token: string) => `/invitations/accept?token=${encodeURIComponent(token)}`)
  if (typeof linkUrl !== 'function') throw new OrgkitConfigError('enrollment.linkUrl must be a function')
  const consumer = options?.consumerMailDomains ?? DEFAULT_CONSUMER_MAIL_DOMAINS
  if (!Array.isArray(consumer) || consumer.some((domain) => typeof domain !== 'string')) {
    throw new OrgkitConfigError('enrollment.consumerMailDomains must be a list of domain names')
  }
  const verificationRecordName = options?.verificationRecordName ?? '_orgkit-verification'
  if (!LABEL.test(verificationRecordName)) {
    throw new OrgkitConfigError('enrollment.verificationRecordName must be one DNS label, like _orgkit-verification')
  }
  return {
    resolveTxt,
    consumerMailDomains: new Set(consumer.map((domain) => domain.trim().toLowerCase().replace(/\.$/, ''))),
    verificationRecordName,
    linkUrl,
  }
}
