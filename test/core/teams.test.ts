import { teamsSuite } from '../../packages/core/test/suites/teams'
import { createTestStorage, testDialects } from '../support/databases'

// The core's teams tests, which its own package runs on the in-memory storage, on every SQL dialect.
for (const dialect of testDialects()) teamsSuite(dialect, () => createTestStorage(dialect))
