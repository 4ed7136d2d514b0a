import { storedTextSuite } from './suites/stored-text'
import { memoryStorageUnderTest } from './support/storages'

storedTextSuite('memory', memoryStorageUnderTest)
