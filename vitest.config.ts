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
    // Timeouts catch a hang; they never measure speed. The race tests do fixed work (50
    // rounds of 20 concurrent accepts on PostgreSQL: 13 s with the machine's two cores
    // already busy), which a full run on that machine can stretch past 30 s.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
