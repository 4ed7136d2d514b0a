import { organizationsSuite } from './suites/organizations'
import { memoryStorageUnderTest } from './support/storages'

organizationsSuite('memory', memoryStorageUnderTest)
