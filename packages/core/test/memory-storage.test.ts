import { runStorageConformance } from '../../../test/conformance/storage-conformance'
import { createTestStorage } from '../../../test/support/databases'

// The in-memory storage the core's tests also run on is held to the same port as the SQL adapter.
runStorageConformance('memory', () => createTestStorage('memory'))
