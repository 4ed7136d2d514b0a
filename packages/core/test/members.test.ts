import { membersSuite } from './suites/members'
import { memoryStorageUnderTest } from './support/storages'

membersSuite('memory', memoryStorageUnderTest)
