import { enableRowLevelSecurity } from '@orgkit/kysely'
import { type ColumnType, type Kysely, sql } from 'kysely'

/**
 * Stamped by the scope plugin on insert (so optional there), never changed by an update: a
 * row does not move between organizations.
 */
type OrganizationColumn = ColumnType<string, string | undefined, never>

/** The app's own tables. Every row belongs to one organization, named by `organization_id`. */
export interface ProjectsDatabase {
  projects: {
    organization_id: OrganizationColumn
    id: string
    /** The orgkit team that runs the project: its leads manage it. */
    team_id: string | null
    name: string
  }
  tasks: {
    organization_id: OrganizationColumn
    id: string
    project_id: string
    title: string
  }
}

/**
 * The organization-owned tables, declared once: for the scope plugin, Row Level Security, and
 * the organization's deletion (children before parents).
 */
export const SCOPED_TABLES = ['tasks', 'projects'] as const

/**
 * Creates the app's tables. `organization_id` leads each primary key, so every key lookup
 * names the organization, and on Citus the tables can be distributed by it, colocated with
 * orgkit's (docs/scaling.md). With `rowLevelSecurity` (PostgreSQL), each table gets orgkit's
 * policy, forced: run it as the tables' owner, and let the app connect as another role.
 */
export async function createProjectTables(
  db: Kysely<ProjectsDatabase>,
  options: { rowLevelSecurity?: boolean } = {},
): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('organization_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('id', 'varchar(64)', (col) => col.notNull())
    .addColumn('team_id', 'varchar(64)')
    .addColumn('name', 'varchar(100)', (col) => col.notNull())
    .addPrimaryKeyConstraint('projects_pkey', ['organization_id', 'id'])
    .execute()
  await db.schema
    .createTable('tasks')
    .addColumn('organization_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('id', 'varchar(64)', (col) => col.notNull())
    .addColumn('project_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('title', 'varchar(200)', (col) => col.notNull())
    .addPrimaryKeyConstraint('tasks_pkey', ['organization_id', 'id'])
    // A task's project is in the task's organization: the key names both.
    .addForeignKeyConstraint('tasks_project_fkey', ['organization_id', 'project_id'], 'projects', [
      'organization_id',
      'id',
    ])
    .execute()
  if (options.rowLevelSecurity) await enableRowLevelSecurity(db as Kysely<unknown>, { tables: SCOPED_TABLES })
}

/** The tables' rows, whatever the scope: for tests and reports (never for a request). */
export function countRows(db: Kysely<ProjectsDatabase>, table: 'projects' | 'tasks', organizationId: string) {
  return db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow()
    .then((row) => Number(row.n))
}
