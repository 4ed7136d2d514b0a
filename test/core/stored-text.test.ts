import { storedTextSuite } from '../../packages/core/test/suites/stored-text'
import { createTestStorage, testDialects } from '../support/databases'

// The core's stored-text tests, which its own package runs on the in-memory storage, on every SQL dialect.
for (const dialect of testDialects()) storedTextSuite(dialect, () => createTestStorage(dialect))
