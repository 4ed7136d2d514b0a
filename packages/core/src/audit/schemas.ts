import * as z from 'zod'
import { pageQueryShape } from '../shared/pagination'

export const listAuditEventsSchema = z.strictObject({
  ...pageQueryShape,
  action: z.string().trim().min(1).max(100).optional(),
})
export type ListAuditEventsInput = z.input<typeof listAuditEventsSchema>
