import { rolesSuite } from '../../packages/core/test/suites/roles'
import { createTestStorage, testDialects } from '../support/databases'

// The core's roles tests, which its own package runs on the in-memory storage, on every SQL dialect.
for (const dialect of testDialects()) rolesSuite(dialect, () => createTestStorage(dialect))
