import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
const MARKER = /<!-- checked: ([^>]+?) -->\s*```\w*\n([\s\S]*?)```/g

/**
 * A code block in `docs/` marked `<!-- checked: <files> -->` quotes those files: each of
 * its lines, but comments and blank lines, is a line of one of them. The docs then show
 * the code that runs (and is tested), not a copy that drifts from it.
 */
describe('code blocks in docs/ that quote the repository', () => {
  const docs = readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.md'))
  const blocks = docs.flatMap((doc) =>
    [...readFileSync(join(ROOT, 'docs', doc), 'utf8').matchAll(MARKER)].map((match) => ({
      doc,
      files: match[1]!.trim().split(/\s+/),
      code: match[2]!,
    })),
  )

  it('finds the marked blocks', () => {
    expect(blocks.map((block) => block.doc)).toContain('storage.md')
  })

  it.each(blocks)('$doc quotes $files', ({ files, code }) => {
    const source = new Set(
      files.flatMap((file) =>
        readFileSync(join(ROOT, file), 'utf8')
          .split('\n')
          .map((line) => line.trim()),
      ),
    )
    const quoted = code
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('//'))
    expect(quoted.length).toBeGreaterThan(0)
    expect(quoted.filter((line) => !source.has(line))).toEqual([])
  })
})
