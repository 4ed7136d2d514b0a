import { teamsSuite } from './suites/teams'
import { memoryStorageUnderTest } from './support/storages'

teamsSuite('memory', memoryStorageUnderTest)
