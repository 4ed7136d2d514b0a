/**
 * Tools for testing against orgkit's storage port: the conformance suite every storage must
 * pass (on vitest), and the in-memory storage, the smallest implementation that passes it.
 */
export * from './conformance/index'
export { type MemoryStorage, memoryStorage } from './memory-storage'
