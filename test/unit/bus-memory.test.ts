import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/bus/memory.js';
import { busContract } from '../contract/bus-contract.js';

busContract('memory', async () => new MemoryBus(), {
  settleMs: 50,
  timeoutMs: 5000,
  // an in-process bus has no broker to lose: a closed one is the bus that does not answer
  makeDown: async () => {
    const bus = new MemoryBus();
    await bus.close();
    return bus;
  },
});

describe('memory bus retention (embedded mode stays bounded)', () => {
  it('keeps about retainPerPartition messages once groups consumed them; offsets go on; an unconsumed message is never dropped', async () => {
    const bus = new MemoryBus(1, 10);
    await bus.ensureTopics([
      { topic: 't', partitions: 1 },
      { topic: 'c', partitions: 1, compacted: true },
    ]);
    const got: string[] = [];
    const sub = await bus.subscribe({ groupId: 'g', topics: ['t'], fromBeginning: true, handler: async (b) => void got.push(...b.map((m) => m.value.toString())) });
    for (let i = 0; i < 100; i++) {
      await bus.produce('t', [{ key: 'k', value: String(i) }]);
      await bus.produce('c', [{ key: 'k', value: String(i) }]);
      for (let j = 0; j < 50 && (await bus.lag('g', 't')) > 0; j++) await new Promise((r) => setTimeout(r, 1));
    }
    await sub.stop();
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    const b = (await bus.offsetBounds('t')).get(0)!;
    expect(Number(b.high)).toBe(100);
    expect(Number(b.high) - Number(b.low)).toBeLessThanOrEqual(13);
    expect(bus.read('t').map((m) => Number(m.offset))).toEqual(Array.from({ length: Number(b.high) - Number(b.low) }, (_, i) => Number(b.low) + i));
    expect(bus.read('c')).toHaveLength(100); // compacted topics (plans, alert status) are kept
    // a group that stopped consuming holds retention back: nothing it has not read is dropped
    for (let i = 100; i < 140; i++) await bus.produce('t', [{ key: 'k', value: String(i) }]);
    expect(Number(bus.read('t')[0]!.offset)).toBeLessThanOrEqual(100); // 100..139 are not read yet: all kept
    const rest: string[] = [];
    const again = await bus.subscribe({ groupId: 'g', topics: ['t'], fromBeginning: true, handler: async (x) => void rest.push(...x.map((m) => m.value.toString())) });
    for (let j = 0; j < 200 && rest.length < 40; j++) await new Promise((r) => setTimeout(r, 5));
    await again.stop();
    expect(rest).toEqual(Array.from({ length: 40 }, (_, i) => String(100 + i)));
  });
});
