import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteChunks } from '../../src/bus/kafka.js';
import type { OutgoingMessage } from '../../src/bus/port.js';

// A produce larger than the broker takes in one record batch goes as several
// requests: the same messages in the same order, each request under the bound
// unless one message alone is over it.
describe('byteChunks', () => {
  it('keeps every message, in order, in runs under the bound', () => {
    const message = fc.record({
      key: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
      value: fc.string({ maxLength: 3000 }),
      headers: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 10 })), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 80 }), fc.integer({ min: 500, max: 20_000 }), (ms, max) => {
        const msgs = ms.map((m) => (m.headers === undefined ? { key: m.key, value: m.value } : m)) as OutgoingMessage[];
        const chunks = byteChunks(msgs, max);
        expect(chunks.flat()).toEqual(msgs);
        for (const c of chunks) {
          expect(c.length).toBeGreaterThan(0);
          const bytes = c.reduce((n, m) => n + 70 + Buffer.byteLength(m.key ?? '') + Buffer.byteLength(m.value as string) + Object.entries(m.headers ?? {}).reduce((h, [k, v]) => h + Buffer.byteLength(k) + Buffer.byteLength(v), 0), 0);
          if (c.length > 1) expect(bytes).toBeLessThanOrEqual(max);
        }
      }),
    );
  });

  it('splits 5,000 plans of 2 KB under a 900 KB bound into a dozen requests, and leaves a small produce whole', () => {
    const plans = Array.from({ length: 5000 }, (_, i) => ({ key: `T-${i}`, value: 'x'.repeat(2000) }));
    const chunks = byteChunks(plans, 900_000);
    expect(chunks.length).toBe(Math.ceil((5000 * (2000 + 70 + 6)) / 900_000));
    expect(byteChunks(plans.slice(0, 10), 900_000)).toEqual([plans.slice(0, 10)]);
  });
});
