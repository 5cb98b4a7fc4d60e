import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { medianStep, pushRecent, type RecentWindow } from '../../src/rules/temperature-erratic.js';

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

// The window's median step (a defrost's lift taken out first) against the
// arrays and comparator sorts it was first written with: the same number for
// windows of every length the rule uses, with and without a defrost's one or
// two lifted readings, zeros of both signs among the values.
describe('medianStep', () => {
  /** The first version: arrays sorted by comparator. */
  function reference(c: number[]): number {
    const kept = [...c].sort((a, b) => a - b);
    const mid = kept[(kept.length - 1) >> 1]!;
    let above = 0;
    let below = 0;
    for (const x of c) {
      if (x - mid >= 1.5) above++;
      else if (mid - x >= 1.5) below++;
    }
    const defrost = below === 0 && above > 0 && above <= 2;
    const steps: number[] = [];
    let prev = Number.NaN;
    for (const x of c) {
      if (defrost && x - mid >= 1.5) continue;
      if (!Number.isNaN(prev)) steps.push(Math.abs(x - prev));
      prev = x;
    }
    steps.sort((a, b) => a - b);
    return steps[(steps.length - 1) >> 1]!;
  }

  it('gives the median step the comparator-sorted arrays gave', () => {
    const value = fc.oneof(
      fc.integer({ min: -300, max: 300 }).map((t) => t / 10),
      fc.constantFrom(0, -0),
    );
    const window = fc.oneof(
      fc.array(value, { minLength: 4, maxLength: 40 }),
      // a calm window with a defrost's one or two lifted readings somewhere in it
      fc
        .tuple(
          fc.array(
            fc.integer({ min: 40, max: 46 }).map((t) => t / 10),
            { minLength: 6, maxLength: 12 },
          ),
          fc.integer({ min: 1, max: 2 }),
          fc.nat(),
        )
        .map(([c, k, at]) => {
          const out = [...c];
          for (let j = 0; j < k; j++) out[(at + j) % out.length] = 8.5 + j;
          return out;
        }),
    );
    fc.assert(
      fc.property(window, (c) => {
        const w: RecentWindow = { ts: c.map((_, i) => i * 900_000), c, ids: c.map((_, i) => `e${i}`) };
        expect(medianStep(w)).toBe(reference(c));
      }),
      { numRuns: 500 },
    );
  });
});
