import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pushBounded } from '../../src/rules/rule.js';

describe('pushBounded', () => {
  it('leaves the list exactly as push then one shift when longer than max would, the same array kept', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 12 }), fc.array(fc.tuple(fc.integer(), fc.integer({ min: 1, max: 10 })), { maxLength: 40 }), (start, steps) => {
        const list = [...start];
        const ref = [...start];
        for (const [x, max] of steps) {
          ref.push(x);
          if (ref.length > max) ref.shift();
          const before = list;
          pushBounded(list, x, max);
          expect(list).toBe(before);
          expect(list).toEqual(ref);
        }
      }),
      { numRuns: 300 },
    );
  });
});
