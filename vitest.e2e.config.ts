import { defineConfig } from 'vitest/config';

// The browser end-to-end test: Debian's Chromium (/usr/bin/chromium) driven by playwright-core.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
