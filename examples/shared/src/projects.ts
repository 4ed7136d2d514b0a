import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import * as z from 'zod'
import type { HostDatabase } from './database'
import { type DemoResponse, validationFailed } from './responses'

/**
 * The host's own permissions, declared to orgkit so that its roles, custom roles and API
 * keys can grant them and `requirePermission` can check them like orgkit's own.
 */
export const PROJECT_PERMISSIONS = ['projects.read', 'projects.create'] as const

const createProjectSchema = z.strictObject({ name: z.string().trim().min(1).max(255) })

/**
 * The host's own resource, guarded by `requirePermission` in each app. The organization
 * always comes from orgkit's grant (the one the caller was authorized for), never from the
 * request, and every query filters on it: that is what keeps tenants apart in the host's
 * tables.
 */
export function projectRoutes(db: Kysely<HostDatabase>) {
  return {
    async list(organizationId: string): Promise<DemoResponse> {
      const rows = await db
        .selectFrom('projects')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return { status: 200, body: { data: rows.map(toProject) } }
    },
    async create(organizationId: string, body: unknown): Promise<DemoResponse> {
      const parsed = createProjectSchema.safeParse(body ?? {})
      if (!parsed.success) return validationFailed(parsed.error)
      const row = {
        id: `prj_${randomBytes(8).toString('hex')}`,
        organization_id: organizationId,
        name: parsed.data.name,
        created_at: new Date().toISOString(),
      }
      await db.insertInto('projects').values(row).execute()
      return { status: 201, body: toProject(row) }
    },
  }
}

function toProject(row: HostDatabase['projects']) {
  return { id: row.id, organizationId: row.organization_id, name: row.name, createdAt: row.created_at }
}
