import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { murmur2 } from '../../../src/bus/kafka-partitioner.js';
import { busContract } from '../../contract/bus-contract.js';
import { stackConfig } from '../../helpers/stack.js';

// The same contract the in-process bus passes, against the real broker.
busContract('kafka', async () => new KafkaBus(stackConfig().kafka), {
  settleMs: 1500,
  timeoutMs: 60_000,
  // nothing listens on port 1: the broker cannot be reached
  makeDown: async () => new KafkaBus({ ...stackConfig().kafka, brokers: ['127.0.0.1:1'] }),
});

describe('kafka bus: a "from now" group', () => {
  it('is refused, with its offsets left as they were, when another member is already in the group', async () => {
    const bus = new KafkaBus(stackConfig().kafka);
    const t = `sealwatch.contract.${randomUUID().slice(0, 8)}`;
    const groupId = `g-${randomUUID()}`;
    try {
      await bus.ensureTopics([{ topic: t, partitions: 2 }]);
      await bus.produce(t, [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]);
      const got: string[] = [];
      const first = await bus.subscribe({ groupId, topics: [t], fromBeginning: true, handler: async (batch) => void got.push(...batch.map((m) => m.value.toString())) });
      const deadline = Date.now() + 60_000;
      while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(got.sort()).toEqual(['1', '2']);
      const before = await bus.committedOffsets(groupId, t);
      await expect(bus.subscribe({ groupId, topics: [t], fromNow: true, fromNowOffsets: new Map([[0, '0']]), handler: async () => {} })).rejects.toMatchObject({ code: 'SW_ERR_BUS_GROUP_ACTIVE' });
      expect(await bus.committedOffsets(groupId, t)).toEqual(before);
      await first.stop();
    } finally {
      await bus.close();
    }
  });
});

describe('kafka bus: a produce larger than the broker takes in one batch', () => {
  it('goes in several requests and arrives whole, in order (3 MB to one partition; the broker refuses batches over 1 MiB)', async () => {
    const bus = new KafkaBus(stackConfig().kafka);
    const t = `sealwatch.contract.${randomUUID().slice(0, 8)}`;
    try {
      await bus.ensureTopics([{ topic: t, partitions: 1 }]);
      const messages = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: `${i}:${'x'.repeat(1000)}` }));
      await bus.produce(t, messages);
      const got = await bus.readAll(t);
      expect(got.length).toBe(3000);
      expect(got.map((m) => m.value.toString().split(':')[0])).toEqual(messages.map((_, i) => String(i)));
    } finally {
      await bus.close();
    }
  });
});

describe('kafka bus: produceAll', () => {
  it('puts each key on the partition the Java client would, and writes a topic too large for one request in chunks beside a small one', async () => {
    const bus = new KafkaBus(stackConfig().kafka);
    const [small, large] = [`sealwatch.contract.${randomUUID().slice(0, 8)}`, `sealwatch.contract.${randomUUID().slice(0, 8)}`];
    try {
      await bus.ensureTopics([
        { topic: small, partitions: 6 },
        { topic: large, partitions: 1 },
      ]);
      const keys = Array.from({ length: 60 }, (_, i) => `MSKU${String(1_000_000 + i * 7919).padStart(7, '0')}`);
      const big = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: `${i}:${'x'.repeat(1000)}` }));
      await bus.produceAll([
        { topic: small, messages: keys.map((k) => ({ key: k, value: k })) },
        { topic: large, messages: big },
      ]);
      const got = await bus.readAll(small);
      expect(got.length).toBe(60);
      for (const m of got) expect(m.partition).toBe((murmur2(m.key!) & 0x7fffffff) % 6);
      expect(new Set(got.map((m) => m.partition)).size).toBeGreaterThan(3);
      const bigGot = await bus.readAll(large);
      expect(bigGot.map((m) => m.value.toString().split(':')[0])).toEqual(big.map((_, i) => String(i)));
    } finally {
      await bus.close();
    }
  });
});

describe('kafka bus: a bulk subscription (kafka.fetchMinBytes)', () => {
  it('gets fewer, larger batches while readings trickle in, and every message even when less than fetchMinBytes ever comes', async () => {
    const bus = new KafkaBus({ ...stackConfig().kafka, fetchMinBytes: 1_048_576 });
    const t = `sealwatch.contract.${randomUUID().slice(0, 8)}`;
    const batches = { bulk: [] as number[], plain: [] as number[] };
    try {
      await bus.ensureTopics([{ topic: t, partitions: 1 }]);
      const subs = await Promise.all(
        (['bulk', 'plain'] as const).map((kind) => bus.subscribe({ groupId: `g-${kind}-${randomUUID()}`, topics: [t], bulk: kind === 'bulk', fromBeginning: true, handler: async (b) => void batches[kind].push(b.length) })),
      );
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      // both groups are fetching before anything is produced
      await new Promise((r) => setTimeout(r, 1500));
      // 20 produces of 10, 25 ms apart: 500 ms of trickle, far less than 1 MiB in all
      for (let i = 0; i < 20; i++) {
        await bus.produce(
          t,
          Array.from({ length: 10 }, (_, j) => ({ key: 'k', value: `${i * 10 + j}` })),
        );
        await new Promise((r) => setTimeout(r, 25));
      }
      for (const deadline = Date.now() + 30_000; (sum(batches.bulk) < 200 || sum(batches.plain) < 200) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
      for (const s of subs) await s.stop();
      expect(sum(batches.bulk)).toBe(200);
      expect(sum(batches.plain)).toBe(200);
      // the broker holds a bulk fetch up to its 100 ms wait: about one batch per 100 ms of trickle, against one per produce
      expect(batches.bulk.length).toBeLessThanOrEqual(9);
      expect(batches.plain.length).toBeGreaterThan(batches.bulk.length);
    } finally {
      await bus.close();
    }
  });
});
