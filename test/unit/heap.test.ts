import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexedHeap } from '../../src/heap.js';

interface Item {
  id: number;
  key: number;
  heapIndex: number;
}
const less = (a: Item, b: Item) => a.key < b.key || (a.key === b.key && a.id < b.id);

type Op = { op: 'push'; key: number } | { op: 'pop' } | { op: 'update'; pick: number; key: number } | { op: 'remove'; pick: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('push' as const), key: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ op: fc.constant('pop' as const) }),
  fc.record({ op: fc.constant('update' as const), pick: fc.nat(), key: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
);

/** The smallest item of the model (a plain list), by the heap's order. */
const least = (model: Item[]) => model.reduce<Item | undefined>((m, x) => (m === undefined || less(x, m) ? x : m), undefined);

describe('IndexedHeap', () => {
  it('pops what a plain list would, through pushes, pops, keys moved either way and removals, each item knowing its place', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap = new IndexedHeap<Item>(less);
        let model: Item[] = [];
        const gone: Item[] = [];
        let ids = 0;
        for (const o of ops) {
          if (o.op === 'push') {
            const item = { id: ids++, key: o.key, heapIndex: -1 };
            heap.push(item);
            model.push(item);
          } else if (o.op === 'pop') {
            const want = least(model);
            const got = heap.pop();
            expect(got).toBe(want);
            if (got) {
              expect(got.heapIndex).toBe(-1);
              model = model.filter((x) => x !== got);
              gone.push(got);
            }
          } else if (model.length > 0) {
            const item = model[o.pick % model.length]!;
            if (o.op === 'update') {
              item.key = o.key;
              heap.update(item);
            } else {
              heap.remove(item);
              expect(item.heapIndex).toBe(-1);
              model = model.filter((x) => x !== item);
              gone.push(item);
            }
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peek()).toBe(least(model));
          expect(heap.contents().map((x) => x.heapIndex)).toEqual(heap.contents().map((_, i) => i));
          for (const x of model) expect(heap.has(x)).toBe(true);
          for (const x of gone) expect(heap.has(x)).toBe(false);
        }
        // what is left comes out in order
        const rest: Item[] = [];
        for (let x = heap.pop(); x !== undefined; x = heap.pop()) rest.push(x);
        expect(rest).toEqual([...model].sort((a, b) => (less(a, b) ? -1 : 1)));
      }),
      { numRuns: 300 },
    );
  });

  it('a key decreased deep in the heap moves the item to the top in place', () => {
    const heap = new IndexedHeap<Item>(less);
    const items = Array.from({ length: 15 }, (_, i) => ({ id: i, key: 10 + i, heapIndex: -1 }));
    for (const x of items) heap.push(x);
    const deep = items[14]!;
    expect(deep.heapIndex).toBe(14);
    deep.key = 0;
    heap.update(deep);
    expect(deep.heapIndex).toBe(0);
    expect(heap.size).toBe(15);
    expect(heap.pop()).toBe(deep);
    expect(heap.pop()).toBe(items[0]);
  });

  it('clear leaves every item not queued', () => {
    const heap = new IndexedHeap<Item>(less);
    const items = [3, 1, 2].map((key, id) => ({ id, key, heapIndex: -1 }));
    for (const x of items) heap.push(x);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(items.map((x) => [x.heapIndex, heap.has(x)])).toEqual([
      [-1, false],
      [-1, false],
      [-1, false],
    ]);
  });
});
