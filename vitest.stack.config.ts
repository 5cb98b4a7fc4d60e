import { defineConfig } from 'vitest/config';

// Integration tests against the real local stack (Kafka, InfluxDB, Mosquitto),
// provisioned by the global set-up through scripts/stack.sh. Files run one
// after another: they share the services.
export default defineConfig({
  test: {
    include: ['test/integration/stack/**/*.test.ts', 'test/integration/stack-services.test.ts'],
    globalSetup: ['test/integration/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60 * 60_000,
  },
});
