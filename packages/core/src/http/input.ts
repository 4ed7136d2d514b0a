// The stored-text rule holds for the imported core API too, so it lives with the core's input
// validation; the HTTP layer applies it to a request's path, query and body at once.
export { assertName, assertStoredText } from '../shared/validate'
