import * as z from 'zod'

/**
 * A user id in a body. Ids are strings (the host's ids as text: an integer id as its decimal
 * digits); a JSON whole number within 2^53 is taken as its decimal digits, so `{"userId": 2}`
 * means `"2"`. Anything else is refused with a message that says so.
 */
export const userIdSchema = z.union([z.string().trim().min(1).max(255), z.int().transform(String)], {
  error: 'A user id is a string (a whole number up to 2^53 is taken as its decimal digits)',
})
