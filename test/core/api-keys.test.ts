import { apiKeysSuite } from '../../packages/core/test/suites/api-keys'
import { createTestStorage, testDialects } from '../support/databases'

// The core's api-keys tests, which its own package runs on the in-memory storage, on every SQL dialect.
for (const dialect of testDialects()) apiKeysSuite(dialect, () => createTestStorage(dialect))
