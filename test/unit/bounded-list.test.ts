import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampU32, pushBounded, pushBoundedCells, sortedCells, sortPrefix, U32_MAX } from '../../src/rules/bounded-list.js';

// The rules' short histories (LOCATION_GAP's fix intervals, LIGHT_WITH_DOOR_CLOSED's
// light intervals) against the push-then-shift they replaced: the same entries in
// the same order after every push, whatever the bound.
describe('pushBounded', () => {
  it('keeps the last max entries in order, as push then shift did', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.oneof(fc.integer(), fc.double({ noNaN: true })), { maxLength: 60 }), (max, xs) => {
        let list: number[] = [];
        const reference: number[] = [];
        for (const x of xs) {
          list = pushBounded(list, x, max);
          reference.push(x);
          if (reference.length > max) reference.shift();
          expect(list).toEqual(reference);
        }
      }),
    );
  });

  it('copies the list once, when it first fills, and moves a full list in place after', () => {
    const start: number[] = [];
    const a = pushBounded(start, 1, 3);
    expect(a).toBe(start);
    const b = pushBounded(a, 2, 3);
    expect(b).toBe(start);
    const full = pushBounded(b, 3, 3);
    expect(full).not.toBe(start);
    expect(full).toEqual([1, 2, 3]);
    const moved = pushBounded(full, 4, 3);
    expect(moved).toBe(full);
    expect(moved).toEqual([2, 3, 4]);
  });

  it('treats a list longer than its bound (restored from elsewhere) as push then shift did: one in, the oldest out', () => {
    let list = [1, 2, 3, 4, 5];
    list = pushBounded(list, 6, 3);
    expect(list).toEqual([2, 3, 4, 5, 6]);
  });
});

// The same lists kept in a rule's cells (LOCATION_GAP's and LIGHT_WITH_DOOR_CLOSED's intervals since they moved there).
describe('pushBoundedCells', () => {
  it('holds what pushBounded holds after every push, at its place in the cells, and sortedCells gives it in ascending order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 5 }), fc.array(fc.oneof(fc.integer(), fc.double({ noNaN: true })), { maxLength: 60 }), (max, at, xs) => {
        const c = new Float64Array(at + 1 + max + 2).fill(-7);
        c[at] = 0;
        const scratch = new Float64Array(max);
        let list: number[] = [];
        for (const x of xs) {
          list = pushBounded(list, x, max);
          pushBoundedCells(c, at, x, max);
          expect([...c.subarray(at + 1, at + 1 + c[at]!)]).toEqual(list);
          const k = sortedCells(c, at, scratch);
          expect([...scratch.subarray(0, k)]).toEqual([...Float64Array.from(list).sort()]);
        }
        // nothing written outside the list
        expect([...c.subarray(0, at)].every((v) => v === -7) && [...c.subarray(at + 1 + max)].every((v) => v === -7)).toBe(true);
      }),
    );
  });
});

// The same in 32-bit cells (Rule.cells32), where the two rules keep their intervals now: whole
// milliseconds, clamped to what a Uint32Array holds.
describe('pushBoundedCells in 32-bit cells', () => {
  it('holds what pushBounded holds of the clamped values, and sortedCells sorts them as numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 5 }), fc.array(fc.oneof(fc.nat({ max: 10_000 }), fc.integer({ min: 0, max: 2 ** 34 })), { maxLength: 60 }), (max, at, xs) => {
        const c = new Uint32Array(at + 1 + max + 2).fill(7);
        c[at] = 0;
        const scratch = new Uint32Array(max);
        let list: number[] = [];
        for (const x of xs) {
          list = pushBounded(list, Math.min(x, U32_MAX), max);
          pushBoundedCells(c, at, clampU32(x), max);
          expect([...c.subarray(at + 1, at + 1 + c[at]!)]).toEqual(list);
          const k = sortedCells(c, at, scratch);
          expect([...scratch.subarray(0, k)]).toEqual([...list].sort((a, b) => a - b));
        }
        expect([...c.subarray(0, at)].every((v) => v === 7) && [...c.subarray(at + 1 + max)].every((v) => v === 7)).toBe(true);
      }),
    );
  });

  it('clampU32 keeps what a 32-bit cell holds: longer than 49.7 days is 49.7 days, never a wrapped short one', () => {
    const DAY = 86_400_000;
    expect([0, 1, 3_600_000, U32_MAX].map(clampU32)).toEqual([0, 1, 3_600_000, U32_MAX]);
    expect(clampU32(60 * DAY)).toBe(U32_MAX);
    expect(clampU32(Infinity)).toBe(U32_MAX);
    expect(clampU32(-5)).toBe(0);
    // what the cell would have held unclamped: 60 days as some 10 days
    const raw = new Uint32Array(1);
    raw[0] = 60 * DAY;
    expect(raw[0]).toBeLessThan(11 * DAY);
    raw[0] = clampU32(60 * DAY);
    expect(raw[0]).toBeGreaterThan(49 * DAY);
  });
});

// The rules' in-place sort of a few entries against the typed array's own sort of a view: the same
// order to the sign of zero, by insertion up to 32 entries and natively past them; nothing after
// the prefix moved.
describe('sortPrefix', () => {
  const signed = (xs: Iterable<number>) => Array.from(xs, (v) => (Object.is(v, -0) ? '-0' : v));

  it('sorts a[0..n) as the native sort does, -0 before 0, and leaves the rest', () => {
    const value = fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -0, 1, -1), fc.integer({ min: -5, max: 5 }));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 45 }), fc.nat(), (xs, cut) => {
        const n = xs.length === 0 ? 0 : cut % (xs.length + 1);
        const a = Float64Array.from(xs);
        const want = Float64Array.from(xs);
        want.subarray(0, n).sort();
        sortPrefix(a, n);
        expect(signed(a)).toEqual(signed(want));
      }),
      { numRuns: 2000 },
    );
  });
});
