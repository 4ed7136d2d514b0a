import { runStorageConformance } from '@orgkit/testing'
import { memoryStorageUnderTest } from './support/storages'

// The in-memory storage the core's tests run on is held to the same port as the SQL adapter.
runStorageConformance('memory', memoryStorageUnderTest)
