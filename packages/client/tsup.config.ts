import { defineConfig } from 'tsup'

/**
 * Built for every runtime with a web `fetch` (browsers, Node 20+, Deno, Bun, edge), not
 * only Node. `src/contract.ts` holds plain types, so the declarations need neither zod nor
 * `@orgkit/core`.
 */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { composite: false, incremental: false } },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
})
