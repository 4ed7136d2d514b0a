import { requires } from '../authorization/requirement'

/**
 * Who may read the audit trail. Declared once: the service checks these, the HTTP routes publish them.
 */
export const auditRules = {
  list: requires.permission('audit.read'),
} as const
