import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeErratic, medianStep, NOTHING, pushRecent, type RecentWindow } from '../../src/rules/temperature-erratic.js';

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

// judgeErratic answers a window whose readings lie within the least spread of
// each other without sorting: nothing. That must be what the whole judgement
// gives: a median step under the least spread and no swing to both sides.
// Windows round a setpoint with ranges on both sides of the least spread
// (tenths, so a range of exactly the spread comes up), defrost lifts in some.
describe('judgeErratic on a narrow window', () => {
  const cfg = { erraticReadings: 8, erraticMaxWindowMs: 8 * 3_600_000, erraticMinSpreadC: 1, erraticFactor: 4, erraticSustainMs: 2 * 3_600_000 } as Parameters<typeof judgeErratic>[4];
  /** Most readings a spread or more off the setpoint, two or more each side (the rule's swing, written out). */
  function swings(c: number[], setpointC: number, off: number): boolean {
    const high = c.filter((x) => x - setpointC >= off).length;
    const low = c.filter((x) => setpointC - x >= off).length;
    return high >= 2 && low >= 2 && (high + low) * 10 >= 6 * c.length;
  }
  it('says nothing exactly when the median step is under the least spread and there is no swing, for every window that narrow', () => {
    const setpoint = fc.integer({ min: -250, max: 150 }).map((t) => t / 10);
    const window = fc.tuple(setpoint, fc.integer({ min: 0, max: 14 }), fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 8, maxLength: 8 }), fc.boolean(), fc.nat());
    let narrow = 0;
    fc.assert(
      fc.property(window, ([sp, low, offsets, lift, at]) => {
        const c = offsets.map((o) => Math.round((sp - 0.7 + (low + o) / 10) * 10) / 10);
        if (lift) c[at % c.length] = Math.round((c[at % c.length]! + 2) * 10) / 10;
        const w: RecentWindow = { ts: c.map((_, i) => i * 900_000), c, ids: c.map((_, i) => `e${i}`) };
        const judged = judgeErratic(null, w, null, sp, cfg);
        const range = Math.max(...c) - Math.min(...c);
        if (range >= cfg.erraticMinSpreadC) return;
        narrow++;
        expect(medianStep(w)).toBeLessThan(cfg.erraticMinSpreadC);
        expect(swings(c, sp, cfg.erraticMinSpreadC)).toBe(false);
        expect(judged).toBe(NOTHING);
      }),
      { numRuns: 1000 },
    );
    expect(narrow).toBeGreaterThan(100);
  });

  it('goes on to judge a window just one least spread wide', () => {
    // calm at the setpoint, then every other reading a whole degree off: median step 1, an episode starts
    const c = [-18, -18, -18, -17, -18, -17, -18, -17];
    const w: RecentWindow = { ts: c.map((_, i) => i * 900_000), c, ids: c.map((_, i) => `e${i}`) };
    const judged = judgeErratic(null, w, null, -18, cfg);
    expect(judged.episode).not.toBeNull();
    expect(judged.episode!.startEventId).toBe('e3');
  });
});
