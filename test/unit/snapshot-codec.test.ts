import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphDecoder, GraphEncoder, type Json } from '../../src/rules/snapshot-codec.js';

// The snapshot codec's typed arrays: decoded as views into blocks of the
// decoder's own, they must still read back every element, of every type and
// length, each array apart from the others (no two sharing bytes), in graphs
// larger than one block.
const roundTrip = (v: unknown): unknown => new GraphDecoder([]).decode(JSON.parse(JSON.stringify(new GraphEncoder([]).encode(v))) as Json);

const typed = fc.oneof(
  fc.array(fc.integer({ min: -128, max: 127 })).map((a) => Int8Array.from(a)),
  fc.array(fc.integer({ min: 0, max: 255 })).map((a) => Uint8Array.from(a)),
  fc.array(fc.integer({ min: -32768, max: 32767 })).map((a) => Int16Array.from(a)),
  fc.array(fc.integer({ min: 0, max: 65535 })).map((a) => Uint16Array.from(a)),
  fc.array(fc.integer()).map((a) => Int32Array.from(a)),
  fc.array(fc.float({ noNaN: true })).map((a) => Float32Array.from(a)),
  fc.array(fc.double()).map((a) => Float64Array.from(a)),
  fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((a) => BigInt64Array.from(a)),
);

describe('snapshot codec typed arrays', () => {
  it('read back every element of every type and length, shared ones still shared', () => {
    fc.assert(
      fc.property(fc.array(typed, { maxLength: 30 }), (arrays) => {
        const graph = { arrays, again: arrays[0] ?? null };
        const back = roundTrip(graph) as typeof graph;
        expect(back.arrays.length).toBe(arrays.length);
        for (const [i, a] of arrays.entries()) {
          expect(back.arrays[i]!.constructor).toBe(a.constructor);
          expect(Array.from(back.arrays[i]! as ArrayLike<unknown>)).toEqual(Array.from(a as ArrayLike<unknown>));
        }
        if (arrays.length) expect(back.again).toBe(back.arrays[0]);
      }),
      { numRuns: 200 },
    );
  });

  it('give each array bytes of its own, across more than one block', () => {
    // 3,000 arrays of 100 doubles: 2.4 MB, more than two of the decoder's blocks
    const arrays = Array.from({ length: 3000 }, (_, i) => Float64Array.from({ length: 100 }, (_, k) => i * 1000 + k + 0.5));
    const back = roundTrip(arrays) as Float64Array[];
    for (const b of back) b.fill(-1, 0, 1); // writing one array's first element changes no other
    for (const [i, b] of back.entries()) {
      expect(b.length).toBe(100);
      expect([b[0], b[1], b[99]]).toEqual([-1, i * 1000 + 1.5, i * 1000 + 99.5]);
    }
  });

  it('refuses bytes that are not a whole number of elements', () => {
    const bad = { $: 'ta', t: 'Float64Array', d: Buffer.from([1, 2, 3, 4, 5]).toString('base64') };
    expect(() => new GraphDecoder([]).decode(bad)).toThrow(expect.objectContaining({ code: 'SW_ERR_SNAPSHOT_UNREADABLE' }));
    expect(() => new GraphDecoder([]).decode({ $: 'ta', t: 'Int16Array' })).toThrow(expect.objectContaining({ code: 'SW_ERR_SNAPSHOT_UNREADABLE' }));
  });
});
