import { storageConformance } from './samples'

// The conformance sample of docs/storage.md and the @orgkit/testing README, run as they show
// it, on the in-memory storage standing in for the reader's own.
storageConformance()
