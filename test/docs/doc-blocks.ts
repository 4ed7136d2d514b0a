import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export const ROOT = join(import.meta.dirname, '../..')

/** A fenced code block of a Markdown file, with the marker comment right before it, if any. */
export interface DocBlock {
  file: string
  line: number
  lang: string
  code: string
  /** `sample` for `<!-- sample: name -->`, `output` for `<!-- output: name -->`. */
  marker: { kind: 'sample' | 'output'; name: string } | null
}

export function readDoc(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8')
}

/** Every guide and README this check covers, relative to the repository root. */
export function documents(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`)
  const readmes = readdirSync(join(ROOT, 'packages')).map((name) => `packages/${name}/README.md`)
  return ['README.md', ...docs, ...readmes]
}

export function codeBlocks(file: string): DocBlock[] {
  const text = readDoc(file)
  const blocks: DocBlock[] = []
  const pattern = /(?:<!-- (sample|output): ([\w-]+) -->\n\n?)?^```(\w*)\n([\s\S]*?)^```$/gm
  for (const match of text.matchAll(pattern)) {
    blocks.push({
      file,
      line: text.slice(0, match.index).split('\n').length,
      lang: match[3]!,
      code: match[4]!.replace(/\n$/, ''),
      marker: match[1] ? { kind: match[1] as 'sample' | 'output', name: match[2]! } : null,
    })
  }
  return blocks
}

/** The `// #region name` … `// #endregion name` blocks of a source file, de-indented. */
export function regions(file: string): Map<string, string> {
  const text = readFileSync(file, 'utf8')
  const found = new Map<string, string>()
  for (const match of text.matchAll(/^([ \t]*)\/\/ #region ([\w-]+)\n([\s\S]*?)^[ \t]*\/\/ #endregion \2$/gm)) {
    const indent = match[1]!.length
    const lines = match[3]!.replace(/\n$/, '').split('\n')
    found.set(match[2]!, lines.map((line) => line.slice(Math.min(indent, line.search(/\S|$/)))).join('\n'))
  }
  return found
}

export const where = (block: DocBlock) => `${relative(ROOT, join(ROOT, block.file))}:${block.line}`
