import fc from 'fast-check';
import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { compactSlab, RollingBaseline, slabBulk, slabBytes, slabStats } from '../../src/rules/rolling-baseline.js';
import { collector } from '../helpers/collector.js';

// The anomaly rule's compact baseline against the plain arrays and
// simple-statistics it replaced: the same kept readings, the same medians and
// deviations to the last bit, for tenths on whole seconds (compact), tenths
// at any millisecond (narrow) and any double (wide); and the slab all
// baselines share, with baselines made, dropped, saved and loaded between
// readings.
const tenths = fc.integer({ min: -600, max: 800 }).map((t) => t / 10);
const anyTemp = fc.double({ min: -60, max: 80, noNaN: true, noDefaultInfinity: true });

interface Step {
  dt: number;
  c: number;
  trimMs: number;
  max: number;
}

/** What the baseline replaced: arrays, trimmed the same way. */
class Reference {
  ts: number[] = [];
  values: number[] = [];
  prev: [number, number] = [Number.NaN, Number.NaN];
  trim(minTs: number, max: number): void {
    while (this.ts.length && (this.ts[0]! < minTs || this.ts.length > max)) {
      this.ts.shift();
      this.values.shift();
    }
  }
  /** The lower median of the steps between successive values, as successiveSpread gives it. */
  spread(): number {
    const d = this.values.slice(1).map((v, i) => Math.abs(v - this.values[i]!));
    d.sort((a, b) => a - b);
    return d[(d.length - 1) >> 1]!;
  }
}

function expectSame(b: RollingBaseline, ref: Reference): void {
  expect([b.prevTs, b.prevC]).toEqual(ref.prev);
  expect(b.size).toBe(ref.values.length);
  if (!ref.values.length) return;
  expect(b.oldestTs()).toBe(ref.ts[0]);
  const m = median(ref.values);
  expect(Object.is(b.median(), m) || b.median() === m).toBe(true);
  expect(b.medianAbsoluteDeviation(m)).toBe(medianAbsoluteDeviation(ref.values));
  expect(b.min()).toBe(Math.min(...ref.values));
  expect(b.max()).toBe(Math.max(...ref.values));
  // the anomaly rule's calm-reefer test rests on the median lying between the two, as doubles
  expect(b.median()).toBeGreaterThanOrEqual(b.min());
  expect(b.median()).toBeLessThanOrEqual(b.max());
  if (ref.values.length > 1) expect(b.successiveSpread()).toBe(ref.spread());
}

function check(steps: Step[]): void {
  const b = new RollingBaseline(4);
  const ref = new Reference();
  let now = Date.parse('2026-01-01T00:00:00Z');
  for (const s of steps) {
    now += s.dt;
    b.trim(now - s.trimMs, s.max);
    ref.trim(now - s.trimMs, s.max);
    expectSame(b, ref);
    b.push(now, s.c);
    ref.ts.push(now);
    ref.values.push(s.c);
  }
}

const step = (temp: fc.Arbitrary<number>, dt: fc.Arbitrary<number> = fc.integer({ min: 0, max: 3_600_000 })) => fc.record({ dt, c: temp, trimMs: fc.constantFrom(2 * 3_600_000, 26 * 3_600_000), max: fc.integer({ min: 3, max: 60 }) });
/** Whole seconds, mostly a quarter hour or so, now and then more than the 18 h a compact step holds. */
const seconds = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 1_800 }) }, { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 70_000 }) }).map((s) => s * 1000);

describe('RollingBaseline', () => {
  it('keeps the same readings and gives the same median and MAD as simple-statistics (tenths, any millisecond)', () => {
    fc.assert(fc.property(fc.array(step(tenths), { minLength: 1, maxLength: 300 }), check), { numRuns: 200 });
  });

  it('does the same for tenths on whole seconds (compact), steps past 18 h included', () => {
    fc.assert(fc.property(fc.array(step(tenths, seconds), { minLength: 1, maxLength: 300 }), check), { numRuns: 200 });
  });

  it('does the same when the tenths span more than are counted into buckets (sorted natively), and when they are all one value', () => {
    // COUNT_SPAN is 2,048 tenths: these span up to 6,000, or one
    const far = fc.oneof(
      fc.integer({ min: -3000, max: 3000 }).map((t) => t / 10),
      fc.constantFrom(-3276.8, 3276.7),
    );
    fc.assert(fc.property(fc.array(step(far, seconds), { minLength: 1, maxLength: 300 }), check), { numRuns: 100 });
    fc.assert(fc.property(fc.array(step(fc.constant(-1.5), seconds), { minLength: 1, maxLength: 120 }), check), { numRuns: 20 });
  });

  it('does the same when values are not whole tenths or times jump far or back (wide)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            step(tenths, seconds),
            step(tenths),
            step(anyTemp),
            step(tenths, fc.integer({ min: -7_200_000, max: 0 })),
            fc.record({ dt: fc.constantFrom(2 ** 37, 30 * 86_400_000), c: tenths, trimMs: fc.constant(2 ** 40), max: fc.constant(50) }),
          ),
          { minLength: 1, maxLength: 300 },
        ),
        check,
      ),
      { numRuns: 200 },
    );
  });

  it('a compact baseline whose steps add up past 49 days still answers the same', () => {
    // 18 h steps, never trimmed by time: narrow offsets (32-bit milliseconds) cannot hold the span, so a late reading makes it wide
    const steps: Step[] = [];
    for (let i = 0; i < 80; i++) steps.push({ dt: 65_535_000, c: (i % 7) / 10, trimMs: 2 ** 50, max: 1000 });
    steps.push({ dt: 1, c: 0.5, trimMs: 2 ** 50, max: 1000 }, { dt: 1000, c: 0.3, trimMs: 2 ** 50, max: 1000 });
    check(steps);
  });

  it('many baselines in one slab, made, dropped, saved and loaded, and the slab compacted between readings, each answer as its own arrays', () => {
    const action = fc.oneof(
      { weight: 20, arbitrary: fc.record({ k: fc.nat(5), s: fc.oneof({ weight: 4, arbitrary: step(tenths, seconds) }, step(tenths), step(anyTemp)) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.nat(5), op: fc.constantFrom('drop', 'reload', 'compact') }) },
    );
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 600 }), (actions) => {
        const bs = Array.from({ length: 6 }, () => new RollingBaseline(4));
        const refs = Array.from({ length: 6 }, () => new Reference());
        const nows = Array.from({ length: 6 }, () => Date.parse('2026-01-01T00:00:00Z'));
        for (const a of actions) {
          if ('op' in a) {
            if (a.op === 'drop') {
              bs[a.k] = new RollingBaseline(4);
              refs[a.k] = new Reference();
            } else if (a.op === 'reload') bs[a.k] = RollingBaseline.load(RollingBaseline.save(bs[a.k]!));
            else compactSlab();
            expectSame(bs[a.k]!, refs[a.k]!);
            continue;
          }
          const { k, s } = a;
          nows[k]! += s.dt;
          const now = nows[k]!;
          bs[k]!.trim(now - s.trimMs, s.max);
          refs[k]!.trim(now - s.trimMs, s.max);
          expectSame(bs[k]!, refs[k]!);
          bs[k]!.push(now, s.c);
          refs[k]!.ts.push(now);
          refs[k]!.values.push(s.c);
          if (s.max % 2) {
            // the rule's previous reading, kept alongside (set for some readings only, so it lags at times)
            bs[k]!.setPrevious(now, s.c);
            refs[k]!.prev = [now, s.c];
          }
        }
        for (let k = 0; k < 6; k++) expectSame(bs[k]!, refs[k]!);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps four bytes a reading on whole seconds, six at other milliseconds, float64s for other values', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const fed = (ms: (i: number) => number, c: (i: number) => number) => {
      const b = new RollingBaseline();
      for (let i = 0; i < 100; i++) b.push(t0 + ms(i), c(i));
      return RollingBaseline.layout(b);
    };
    // 100 readings in a capacity of 100 (16, 32, 64, then four at a time)
    expect(
      fed(
        (i) => i * 900_000,
        () => 4,
      ),
    ).toEqual({ layout: 'compact', capacity: 100, bytes: 400 });
    expect(
      fed(
        (i) => i * 900_000 + (i === 50 ? 1 : 0),
        () => 4,
      ),
    ).toEqual({ layout: 'narrow', capacity: 100, bytes: 600 });
    expect(
      fed(
        (i) => i * 900_000 - (i === 50 ? 1_800_000 : 0),
        () => 4,
      ),
    ).toEqual({ layout: 'narrow', capacity: 100, bytes: 600 });
    expect(
      fed(
        (i) => i * 900_000,
        (i) => (i === 50 ? 0.05 : 4),
      ),
    ).toEqual({ layout: 'wide', capacity: 100, bytes: 2400 });
    const at4 = (ms: (i: number) => number) => fed(ms, () => 4).layout;
    // a step the compact layout holds (18 h 12 min 15 s) and one it does not
    expect(at4((i) => i * 900_000 + (i >= 50 ? 65_535_000 - 900_000 : 0))).toBe('compact');
    expect(at4((i) => i * 900_000 + (i >= 50 ? 65_536_000 - 900_000 : 0))).toBe('narrow');
    // 75 days of 18 h steps: compact holds them, narrow offsets (49.7 days) do not
    expect(at4((i) => i * 65_535_000)).toBe('compact');
    expect(at4((i) => i * 65_536_000)).toBe('wide');
  });

  it('takes no number or block until it holds a reading or a previous reading', () => {
    const before = slabStats();
    const empty = Array.from({ length: 100 }, () => new RollingBaseline());
    empty[0]!.trim(0, 10);
    const reloaded = RollingBaseline.load(RollingBaseline.save(empty[1]!));
    expect(slabStats().baselines).toBe(before.baselines);
    expect([empty[0]!.size, empty[0]!.prevTs, RollingBaseline.layout(reloaded).capacity]).toEqual([0, Number.NaN, 0]);
    empty[2]!.push(Date.parse('2026-01-01T00:00:00Z'), 4);
    empty[3]!.setPrevious(Date.parse('2026-01-01T00:00:00Z'), 4);
    expect([RollingBaseline.layout(empty[2]!).capacity, RollingBaseline.layout(empty[3]!).capacity, empty[3]!.size, empty[3]!.prevC]).toEqual([16, 16, 0, 4]);
    expect(RollingBaseline.layout(RollingBaseline.load(RollingBaseline.save(empty[3]!))).capacity).toBe(16);
  });

  it('gives the blocks of baselines no longer referenced to others, and the slab shrinks when they leave it mostly empty', async () => {
    const gc = collector();
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const fill = (b: RollingBaseline, c: number) => {
      for (let i = 0; i < 104; i++) b.push(t0 + i * 900_000, c);
      return b;
    };
    let many: RollingBaseline[] = Array.from({ length: 2000 }, (_, i) => fill(new RollingBaseline(), (i % 50) / 10));
    const kept = many.slice(0, 10);
    compactSlab();
    const full = slabStats();
    expect(full.top).toBe(full.used);
    many = [];
    // a WeakRef's target lives at least to the end of the job that made the WeakRef
    await new Promise((r) => setTimeout(r, 0));
    gc();
    compactSlab();
    const emptied = slabStats();
    expect(emptied.baselines).toBeLessThanOrEqual(full.baselines - 1990);
    expect(emptied.used).toBeLessThanOrEqual(full.used - 1990 * 2 * 104);
    expect(emptied.capacity).toBeLessThan(full.capacity / 2);
    // the survivors kept their readings through the move
    for (const [i, b] of kept.entries()) {
      expect(b.size).toBe(104);
      expect(b.median()).toBe((i % 50) / 10);
      expect(b.oldestTs()).toBe(t0);
    }
    // numbers given out again: as many baselines as before take no more numbers than before
    const again = Array.from({ length: 1990 }, (_, i) => fill(new RollingBaseline(), (i % 50) / 10));
    expect(slabStats().baselines).toBe(emptied.baselines + 1990);
    expect(slabStats().numbers).toBe(emptied.numbers);
    expect(again[1989]!.median()).toBe((1989 % 50) / 10);
  });
  it('in bulk the slab doubles as it fills, and is fitted to its blocks when the bulk ends', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const source = new RollingBaseline();
    for (let i = 0; i < 104; i++) source.push(t0 + i * 900_000, (i % 30) / 10);
    const saved = RollingBaseline.save(source);
    /** Loads `count` copies of the saved baseline; the capacities the slab went through on the way. */
    const load = (count: number, into: RollingBaseline[]) => {
      const seen = [slabStats().capacity];
      for (let i = 0; i < count; i++) {
        into.push(RollingBaseline.load(saved));
        const c = slabStats().capacity;
        if (c !== seen.at(-1)) seen.push(c);
      }
      return seen;
    };
    const ratios = (seen: number[]) => seen.slice(1).map((c, i) => c / seen[i]!);
    const kept: RollingBaseline[] = [];
    compactSlab();
    // one by one, the slab grows by about a sixteenth each time it fills
    const singly = load(3000, kept);
    expect(singly.length).toBeGreaterThan(5);
    for (const r of ratios(singly)) expect(r).toBeLessThan(1.2);
    compactSlab();
    const inBulk = slabBulk(() => load(6000, kept));
    expect(inBulk.length).toBeGreaterThan(1);
    for (const r of ratios(inBulk)) expect(r).toBeGreaterThanOrEqual(2);
    // fitted after: the live blocks with a sixteenth to spare, not the doubled slab
    const after = slabStats();
    expect(after.top).toBe(after.used);
    expect(after.capacity).toBeLessThan(inBulk.at(-1)!);
    expect(after.capacity).toBeLessThanOrEqual(after.used + (after.used >> 4));
    expect(after.used).toBeGreaterThanOrEqual(9000 * 2 * 104);
    // a resizable buffer here (memory benches add its bytes: memoryUsage counts none)
    expect(slabBytes()).toBe(2 * after.capacity);
    // every baseline still holds what was saved
    for (const b of [kept[0]!, kept[2999]!, kept[3000]!, kept.at(-1)!]) {
      expect([b.size, b.oldestTs(), b.median(), b.max()]).toEqual([104, t0, source.median(), source.max()]);
    }
  });
});
