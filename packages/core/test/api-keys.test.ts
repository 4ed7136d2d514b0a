import { apiKeysSuite } from './suites/api-keys'
import { memoryStorageUnderTest } from './support/storages'

apiKeysSuite('memory', memoryStorageUnderTest)
