export {
  createProjectsApp,
  PROJECT_PERMISSIONS,
  PROJECT_ROLES,
  PROJECT_TEAM_ROLES,
  type ProjectsAppOptions,
} from './app'
export { countRows, createProjectTables, type ProjectsDatabase, SCOPED_TABLES } from './schema'
