import { describe, expect, it } from 'vitest'
import { slugSchema } from './schemas'
import { slugCandidates, slugify } from './slug'

describe('slugs', () => {
  it('transliterates names to ASCII', () => {
    expect(slugify('Acme Corp')).toBe('acme-corp')
    expect(slugify('Café Crème & Co.')).toBe('cafe-creme-and-co')
    expect(slugify('Straße Ølberg Łódź')).toBe('strasse-olberg-lodz')
    expect(slugify('  --Hello__World--  ')).toBe('hello-world')
    expect(slugify('東京')).toBe('')
  })

  it('cuts long names to the 48-character pattern without a trailing hyphen', () => {
    const slug = slugify(`${'a'.repeat(47)} b`)
    expect(slug.length).toBeLessThanOrEqual(48)
    expect(slug.endsWith('-')).toBe(false)
  })

  it('skips a reserved or empty base and suffixes the following candidates', () => {
    const taken = slugCandidates('Admin', (slug) => slug === 'admin')
    expect(taken.next().value).toMatch(/^admin-[a-z0-9]{6}$/)
    const empty = slugCandidates('東京', () => false)
    expect(empty.next().value).toBe('org')
    expect(empty.next().value).toMatch(/^org-[a-z0-9]{6}$/)
  })

  it('lower-cases input and refuses anything outside the pattern', () => {
    expect(slugSchema.parse('Acme')).toBe('acme')
    for (const bad of ['-acme', 'acme-', 'ac me', 'acmé', 'a_b', 'x'.repeat(49), '']) {
      expect(slugSchema.safeParse(bad).success, bad).toBe(false)
    }
  })

  it('never mangles a slug into the pattern: no Unicode case mapping, no trimming', () => {
    expect(slugSchema.parse('ACME-Rockets')).toBe('acme-rockets')
    // U+212A KELVIN SIGN lower-cases to an ASCII `k`; U+0130 to `i` plus a combining dot.
    for (const bad of ['\u212Aelvin', '\u0130stanbul', 'adv ', ' adv', 'adv\n', 'ａｃｍｅ', 'a\u0000b']) {
      expect(slugSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false)
    }
  })
})
