import { describe, expect, it } from 'vitest';
import { retry } from '../../src/retry.js';
import { SealwatchError, swError } from '../../src/errors.js';

describe('retry', () => {
  it('retries retriable errors with growing, bounded delays until it succeeds', async () => {
    let calls = 0;
    const delays: number[] = [];
    const out = await retry(
      async () => {
        if (++calls < 4) throw Object.assign(new Error('leader not available'), { retriable: true });
        return 'ok';
      },
      { attempts: 5, minDelayMs: 4, maxDelayMs: 10, onRetry: (_e, _a, d) => delays.push(d) },
    );
    expect(out).toBe('ok');
    expect(calls).toBe(4);
    expect(delays).toHaveLength(3);
    for (const d of delays) expect(d).toBeLessThanOrEqual(10);
    expect(delays[0]).toBeGreaterThanOrEqual(2);
  });
  it('never retries a programmer or configuration error, and gives up after the bound', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw swError('SW_ERR_CONFIG_INVALID', 'x');
        },
        { attempts: 5, minDelayMs: 1, maxDelayMs: 2 },
      ),
    ).rejects.toBeInstanceOf(SealwatchError);
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw swError('SW_ERR_BUS_PRODUCE', 't', 'down');
        },
        { attempts: 3, minDelayMs: 1, maxDelayMs: 2 },
      ),
    ).rejects.toThrow(/down/);
    expect(calls).toBe(3);
  });
});
