import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pushBounded } from '../../src/rules/bounded-list.js';

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
