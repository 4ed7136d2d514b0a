import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Tests run against the packages' sources through their `@orgkit/source` export
  // condition, so nothing needs building first.
  resolve: { conditions: ['@orgkit/source'] },
  ssr: { resolve: { conditions: ['@orgkit/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
    ],
    // Settles ORGKIT_TEST_DIALECTS: SQLite plus the servers that answer, unless it is set.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
