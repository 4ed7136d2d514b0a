import { rolesSuite } from './suites/roles'
import { memoryStorageUnderTest } from './support/storages'

rolesSuite('memory', memoryStorageUnderTest)
