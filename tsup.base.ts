import { defineConfig } from 'tsup'

/** How every published orgkit package is built: ESM and CJS with types, for Node 20. */
export function packageBuild(entry: string[]) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    // The package tsconfig is a composite project for `tsc -b`; a standalone declaration build is not.
    dts: { compilerOptions: { composite: false, incremental: false } },
    clean: true,
    sourcemap: true,
    target: 'node20',
  })
}
