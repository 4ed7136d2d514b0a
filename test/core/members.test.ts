import { membersSuite } from '../../packages/core/test/suites/members'
import { createTestStorage, testDialects } from '../support/databases'

// The core's members tests, which its own package runs on the in-memory storage, on every SQL dialect.
for (const dialect of testDialects()) membersSuite(dialect, () => createTestStorage(dialect))
