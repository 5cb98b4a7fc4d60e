import { defineConfig } from 'vitest/config';

// Unit tests of the pure core and the in-process adapters: fast, no services.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/embedded/**/*.test.ts', 'test/integration/api/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
