import { invitationsSuite } from '../../packages/core/test/suites/invitations'
import { createTestStorage, testDialects } from '../support/databases'

// The core's invitations tests, which its own package runs on the in-memory storage, on every SQL dialect.
for (const dialect of testDialects()) invitationsSuite(dialect, () => createTestStorage(dialect))
