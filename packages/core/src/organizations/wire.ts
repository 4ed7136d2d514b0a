import * as z from 'zod'
import { iso, timestamp } from '../shared/wire'
import type { OrganizationView } from './service'

/**
 * The organization objects of the HTTP API: a zod schema (for the OpenAPI document) next to the function
 * that produces it. A serializer picks fields one by one, so a field added to a record
 * (`privateMetadata`) never reaches a response by accident.
 */

export const organizationWire = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  type: z.enum(['team', 'personal']),
  description: z.string().nullable(),
  logoUrl: z.string().nullable(),
  websiteUrl: z.string().nullable(),
  industry: z.string().nullable(),
  visibility: z.enum(['private', 'public']),
  contactEmail: z.string().nullable(),
  contactPhone: z.string().nullable(),
  timezone: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
  updatedAt: timestamp,
  memberCount: z.number().int(),
  teamCount: z.number().int(),
  role: z.string().nullable(),
})
export type OrganizationWire = z.output<typeof organizationWire>

export function serializeOrganization(organization: OrganizationView): OrganizationWire {
  return {
    // The host's derived fields (`organizationFields`) first: orgkit's own always win.
    ...organization.hostFields,
    id: organization.id,
    slug: organization.slug,
    name: organization.name,
    type: organization.type,
    description: organization.description,
    logoUrl: organization.logoUrl,
    websiteUrl: organization.websiteUrl,
    industry: organization.industry,
    visibility: organization.visibility,
    contactEmail: organization.contactEmail,
    contactPhone: organization.contactPhone,
    timezone: organization.timezone,
    metadata: organization.metadata,
    createdAt: iso(organization.createdAt),
    updatedAt: iso(organization.updatedAt),
    memberCount: organization.memberCount,
    teamCount: organization.teamCount,
    role: organization.role,
  }
}

export const permissionSummaryWire = z.object({
  role: z.string().nullable(),
  permissions: z.array(z.string()),
  teams: z.array(z.object({ teamId: z.string(), role: z.string(), permissions: z.array(z.string()) })),
})
