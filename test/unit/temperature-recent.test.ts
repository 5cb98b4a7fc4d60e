import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pushRecent, type RecentWindow } from '../../src/rules/temperature-erratic.js';

// TEMPERATURE_ANOMALY's window of recent readings, moved along in place once
// full, against the push-then-shift it replaced: the same readings in the
// same order after every reading, the window's size changed now and then
// (a configuration restored from a snapshot taken under another).
describe('pushRecent', () => {
  it('keeps what push-then-shift kept', () => {
    const reading = fc.record({ dt: fc.integer({ min: 0, max: 3_600_000 }), c: fc.integer({ min: -300, max: 300 }).map((t) => t / 10), size: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, fc.integer({ min: 4, max: 12 })) });
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 12 }), fc.array(reading, { minLength: 1, maxLength: 200 }), (size0, readings) => {
        const w: RecentWindow = { ts: [], c: [], ids: [] };
        const ref: RecentWindow = { ts: [], c: [], ids: [] };
        let size = size0;
        let ts = Date.parse('2026-01-01T00:00:00Z');
        readings.forEach((r, i) => {
          if (r.size) size = r.size;
          ts += r.dt;
          pushRecent(w, ts, r.c, `e${i}`, size);
          ref.ts.push(ts);
          ref.c.push(r.c);
          ref.ids.push(`e${i}`);
          if (ref.ts.length > size) {
            ref.ts.shift();
            ref.c.shift();
            ref.ids.shift();
          }
          expect(w).toEqual(ref);
        });
      }),
      { numRuns: 300 },
    );
  });
});
