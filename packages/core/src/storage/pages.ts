import type { Page } from '../shared/pagination'
import type { OrganizationPageKind, OrganizationPageRead, OrganizationPages, Repositories } from './port'

/**
 * The page `read` names, read alone: `repositories[read.list].list(organizationId, ...read.input)`.
 * What the core reads when a storage has no `organizations.findWithMemberAndPage`, and what
 * that method's page must equal.
 */
export function readOrganizationPage<K extends OrganizationPageKind>(
  repositories: Repositories,
  organizationId: string,
  read: OrganizationPageRead<K>,
): Promise<Page<OrganizationPages[K]['row']>> {
  // Each repository's `list` takes the organization's id, then the page's input (see
  // `OrganizationPages`): one call for all of them.
  const repository = repositories[read.list] as unknown as {
    list(
      organizationId: string,
      ...input: Readonly<OrganizationPages[K]['input']>
    ): Promise<Page<OrganizationPages[K]['row']>>
  }
  return repository.list(organizationId, ...read.input)
}
