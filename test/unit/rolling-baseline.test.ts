import fc from 'fast-check';
import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { RollingBaseline } from '../../src/rules/rolling-baseline.js';

// The anomaly rule's compact baseline against the plain arrays and
// simple-statistics it replaced: the same kept readings, the same medians and
// deviations to the last bit, for tenths (narrow) and any double (wide).
const tenths = fc.integer({ min: -600, max: 800 }).map((t) => t / 10);
const anyTemp = fc.double({ min: -60, max: 80, noNaN: true, noDefaultInfinity: true });

function check(steps: Array<{ dt: number; c: number; trimMs: number; max: number }>): void {
  const b = new RollingBaseline(4);
  const ts: number[] = [];
  const values: number[] = [];
  let now = Date.parse('2026-01-01T00:00:00Z');
  for (const s of steps) {
    now += s.dt;
    b.trim(now - s.trimMs, s.max);
    while (ts.length && (ts[0]! < now - s.trimMs || ts.length > s.max)) {
      ts.shift();
      values.shift();
    }
    expect(b.size).toBe(values.length);
    if (values.length) {
      expect(b.oldestTs()).toBe(ts[0]);
      const m = median(values);
      expect(Object.is(b.median(), m) || b.median() === m).toBe(true);
      expect(b.medianAbsoluteDeviation(m)).toBe(medianAbsoluteDeviation(values));
    }
    b.push(now, s.c);
    ts.push(now);
    values.push(s.c);
  }
}

describe('RollingBaseline', () => {
  const step = (temp: fc.Arbitrary<number>) => fc.record({ dt: fc.integer({ min: 0, max: 3_600_000 }), c: temp, trimMs: fc.constantFrom(2 * 3_600_000, 26 * 3_600_000), max: fc.integer({ min: 3, max: 60 }) });

  it('keeps the same readings and gives the same median and MAD as simple-statistics (tenths)', () => {
    fc.assert(fc.property(fc.array(step(tenths), { minLength: 1, maxLength: 300 }), check), { numRuns: 200 });
  });

  it('does the same when values are not whole tenths or times jump far (wide)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(step(tenths), step(anyTemp), fc.record({ dt: fc.constantFrom(2 ** 37, 30 * 86_400_000), c: tenths, trimMs: fc.constant(2 ** 40), max: fc.constant(50) })), { minLength: 1, maxLength: 300 }), check),
      { numRuns: 200 },
    );
  });
});
