import { organizationsSuite } from '../../packages/core/test/suites/organizations'
import { createTestStorage, testDialects } from '../support/databases'

// The core's organizations tests, which its own package runs on the in-memory storage, on every SQL dialect.
for (const dialect of testDialects()) organizationsSuite(dialect, () => createTestStorage(dialect))
