import { requires } from '../authorization/requirement'

/**
 * Who may do what with API keys. Declared once: the service checks these, the HTTP routes publish them.
 */
export const apiKeyRules = {
  list: requires.permission('apikeys.read'),
  /** Also: the key holds only permissions the caller holds (`mayGrant`). */
  create: requires.permission('apikeys.create'),
  revoke: requires.permission('apikeys.revoke'),
} as const
