import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { SealwatchError } from '../../src/errors.js';

function message(sets: string[], env: Record<string, string> = {}): string {
  try {
    loadConfig({ env, sets });
  } catch (err) {
    expect(err).toBeInstanceOf(SealwatchError);
    expect((err as SealwatchError).code).toBe('SW_ERR_CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

/** The InfluxDB writer's retry and buffer keys: defaults, and errors that name key, value and expectation. */
describe('influx retry and buffer configuration', () => {
  it('has bounded defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.influx).toMatchObject({ timeoutMs: 10_000, maxBufferLines: 100_000, batchSize: 5000, batchRetryWindowMs: 10_000, retry: { minDelayMs: 500, maxDelayMs: 5000 } });
  });

  it('refuses a minimum retry delay above the maximum, naming both keys', () => {
    const m = message(['influx.retry.minDelayMs=9000', 'influx.retry.maxDelayMs=1000']);
    expect(m).toContain('influx.retry.minDelayMs = 9000');
    expect(m).toContain('expected at most influx.retry.maxDelayMs (1000)');
  });

  it('refuses a request larger than the buffer', () => {
    const m = message(['influx.batchSize=5000', 'influx.maxBufferLines=100']);
    expect(m).toContain('influx.batchSize = 5000');
    expect(m).toContain('influx.maxBufferLines (100)');
  });

  it('refuses a batch retry window the consumer session cannot outlast, and names the environment variable', () => {
    const m = message([], { SEALWATCH_INFLUX_BATCH_RETRY_WINDOW_MS: '60000' });
    expect(m).toContain('influx.batchRetryWindowMs = 60000');
    expect(m).toContain('SEALWATCH_INFLUX_BATCH_RETRY_WINDOW_MS');
  });

  it('refuses a non-numeric buffer size', () => {
    expect(message(['influx.maxBufferLines=lots'])).toContain('influx.maxBufferLines = "lots"');
  });
});
