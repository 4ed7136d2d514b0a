import * as z from 'zod'
import { pageQueryShape } from '../shared/pagination'
import { userIdSchema } from '../shared/user-ids'

/** A slug: lower-case alphanumerics and inner hyphens, 1–48 characters. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/

/** {@link SLUG_PATTERN} before lower-casing: the same shape, ASCII upper case allowed. */
const SLUG_INPUT_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,46}[A-Za-z0-9])?$/

/**
 * Input is lower-cased; anything outside the pattern is refused, never mangled. The pattern
 * is checked on the input as sent, before lower-casing, and lower-casing only ever sees
 * ASCII: Unicode case mapping turns the Kelvin sign (U+212A) into `k`, and trimming turns
 * `"adv "` into `adv`, so either would store a slug the caller never sent.
 */
export const slugSchema = z
  .string()
  .regex(SLUG_INPUT_PATTERN, 'Use 1–48 lower-case letters, digits and inner hyphens')
  .toLowerCase()

export const timezoneSchema = z.string().refine(isIanaTimezone, 'Must be an IANA time zone name, e.g. Europe/Berlin')

export function isIanaTimezone(value: string): boolean {
  if (value.length === 0 || value.length > 64) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value })
    // Offsets like "+01:00" construct too; an IANA name is a region path or UTC.
    return /^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(value)
  } catch {
    return false
  }
}

const nullableText = (max: number) => z.string().trim().max(max).nullable()
const urlSchema = z
  .url({ protocol: /^https?$/, error: 'Must be an http(s) URL' })
  .max(2048)
  .nullable()
const metadataSchema = z.record(z.string(), z.unknown())

/** Profile fields shared by create and update. */
const profileShape = {
  description: nullableText(2000).optional(),
  logoUrl: urlSchema.optional(),
  websiteUrl: urlSchema.optional(),
  /** Checked against the configured industries by the service. */
  industry: z.string().max(100).nullable().optional(),
  visibility: z.enum(['private', 'public']).optional(),
  contactEmail: z.email().max(320).toLowerCase().nullable().optional(),
  contactPhone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ().-]{3,32}$/, 'Must be a phone number')
    .nullable()
    .optional(),
  timezone: timezoneSchema.nullable().optional(),
  metadata: metadataSchema.optional(),
}

const nameSchema = z.string().trim().min(1, 'Must not be empty').max(100)

/** `privateMetadata` is accepted from domain code only; the HTTP schemas omit it. */
export const createOrganizationSchema = z.strictObject({
  name: nameSchema,
  slug: slugSchema.optional(),
  ...profileShape,
  privateMetadata: metadataSchema.optional(),
})
export type CreateOrganizationInput = z.input<typeof createOrganizationSchema>

export const updateOrganizationSchema = z.strictObject({
  name: nameSchema.optional(),
  slug: slugSchema.optional(),
  ...profileShape,
  privateMetadata: metadataSchema.optional(),
})
export type UpdateOrganizationInput = z.input<typeof updateOrganizationSchema>

export const transferOwnershipSchema = z.strictObject({ userId: userIdSchema })
export type TransferOwnershipInput = z.input<typeof transferOwnershipSchema>

export const listOrganizationsSchema = z.strictObject({
  ...pageQueryShape,
  /** `all`: every organization; platform staff only. */
  scope: z.enum(['mine', 'all']).optional(),
})
export type ListOrganizationsInput = z.input<typeof listOrganizationsSchema>
