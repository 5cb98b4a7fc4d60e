import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUpTo, type Bus, type BusMessage } from '../../src/bus/port.js';

/**
 * The contract every Bus adapter passes (memory in unit tests, Kafka in the
 * integration suite), so the in-process bus cannot drift from Kafka.
 */
export function busContract(name: string, make: () => Promise<Bus>, opts: { settleMs: number; timeoutMs: number; makeDown: () => Promise<Bus> }): void {
  describe(`bus contract: ${name}`, () => {
    let bus: Bus;
    beforeAll(async () => {
      bus = await make();
    });
    afterAll(async () => {
      await bus.close();
    });

    const topic = () => `sealwatch.contract.${randomUUID().slice(0, 8)}`;

    async function collect(b: Bus, t: string, groupId: string, until: (got: BusMessage[]) => boolean, handlerDelayMs = 0) {
      const got: BusMessage[] = [];
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      const sub = await b.subscribe({
        groupId,
        topics: [t],
        fromBeginning: true,
        handler: async (batch) => {
          if (handlerDelayMs) await new Promise((r) => setTimeout(r, handlerDelayMs));
          got.push(...batch);
          if (until(got)) resolveDone();
        },
      });
      const timer = new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`timed out with ${got.length} messages`)), opts.timeoutMs));
      await Promise.race([done, timer]);
      return { got, sub };
    }

    it('delivers what was produced, with key, value and headers, in order per key', async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 3 }]);
      const msgs = Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 4}`, value: JSON.stringify({ i }), headers: { 'mqtt-topic': `ssd/x/${i}` } }));
      await bus.produce(t, msgs.slice(0, 30));
      await bus.produce(t, msgs.slice(30));
      const { got, sub } = await collect(bus, t, `g-${randomUUID()}`, (g) => g.length >= 60);
      await sub.stop();
      expect(got).toHaveLength(60);
      for (const k of ['k0', 'k1', 'k2', 'k3']) {
        const seq = got.filter((m) => m.key === k).map((m) => JSON.parse(m.value.toString()).i as number);
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
        expect(new Set(got.filter((m) => m.key === k).map((m) => m.partition)).size).toBe(1);
      }
      expect(got[0]!.headers['mqtt-topic']).toMatch(/^ssd\/x\//);
      expect(got.every((m) => m.topic === t)).toBe(true);
    });

    it('produceAll writes each topic as produce would: every message, headers kept, in order per key, a key in one partition', async () => {
      const [a, b] = [topic(), topic()];
      await bus.ensureTopics([
        { topic: a, partitions: 3 },
        { topic: b, partitions: 3 },
      ]);
      const msgs = (t: string) => Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 5}`, value: JSON.stringify({ t, i }), headers: { 'mqtt-topic': `ssd/${t}/${i}` } }));
      await bus.produceAll([
        { topic: a, messages: msgs(a).slice(0, 20) },
        { topic: b, messages: msgs(b).slice(0, 20) },
        { topic: a, messages: [] },
      ]);
      await bus.produceAll([
        { topic: b, messages: msgs(b).slice(20) },
        { topic: a, messages: msgs(a).slice(20) },
      ]);
      for (const t of [a, b]) {
        const { got, sub } = await collect(bus, t, `g-${randomUUID()}`, (g) => g.length >= 40);
        await sub.stop();
        expect(got).toHaveLength(40);
        expect(got.every((m) => m.topic === t && m.headers['mqtt-topic']!.startsWith(`ssd/${t}/`))).toBe(true);
        for (let k = 0; k < 5; k++) {
          const mine = got.filter((m) => m.key === `k${k}`);
          expect(mine.map((m) => JSON.parse(m.value.toString()).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((j) => k + 5 * j));
          expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
        }
      }
    });

    it('each group gets every message; a group resumes after its committed offset', async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 2 }]);
      await bus.produce(
        t,
        Array.from({ length: 10 }, (_, i) => ({ key: `c${i}`, value: String(i) })),
      );
      const g1 = `g-${randomUUID()}`;
      const a = await collect(bus, t, g1, (g) => g.length >= 10);
      const b = await collect(bus, t, `g-${randomUUID()}`, (g) => g.length >= 10);
      expect(a.got.map((m) => m.value.toString()).sort()).toEqual(b.got.map((m) => m.value.toString()).sort());
      await a.sub.stop();
      await b.sub.stop();
      await bus.produce(t, [{ key: 'c-new', value: 'new' }]);
      const again = await collect(bus, t, g1, (g) => g.length >= 1);
      await new Promise((r) => setTimeout(r, opts.settleMs));
      await again.sub.stop();
      expect(again.got.map((m) => m.value.toString())).toEqual(['new']);
    });

    it("reports a group's lag: what it has not yet committed", async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 2 }]);
      await bus.produce(
        t,
        Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
      );
      const g = `g-${randomUUID()}`;
      expect(await bus.lag(g, t)).toBe(7);
      const { sub } = await collect(bus, t, g, (got) => got.length >= 7);
      const deadline = Date.now() + opts.timeoutMs;
      while ((await bus.lag(g, t)) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await bus.lag(g, t)).toBe(0);
      await sub.stop();
      await bus.produce(t, [{ key: 'x', value: 'later' }]);
      expect(await bus.lag(g, t)).toBe(1);
    });

    it('fromNow sees only what is produced after subscribing', async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 2 }]);
      await bus.produce(t, [
        { key: 'a', value: 'old-1' },
        { key: 'b', value: 'old-2' },
      ]);
      const got: string[] = [];
      const sub = await bus.subscribe({ groupId: `g-${randomUUID()}`, topics: [t], fromNow: true, fromBeginning: true, handler: async (batch) => void got.push(...batch.map((m) => m.value.toString())) });
      await bus.produce(t, [
        { key: 'a', value: 'new-1' },
        { key: 'b', value: 'new-2' },
      ]);
      const deadline = Date.now() + opts.timeoutMs;
      while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, opts.settleMs));
      await sub.stop();
      expect(got.sort()).toEqual(['new-1', 'new-2']);
    });

    it('fromNow with fromNowOffsets starts where a read stopped: what was produced in between is not missed', async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 2 }]);
      await bus.produce(t, [
        { key: 'a', value: 'old-1' },
        { key: 'b', value: 'old-2' },
      ]);
      const ends = await bus.endOffsets(t);
      const read = (await readUpTo(bus, t, ends)).map((m) => m.value.toString());
      await bus.produce(t, [
        { key: 'a', value: 'between-1' },
        { key: 'b', value: 'between-2' },
      ]);
      const got: string[] = [];
      const sub = await bus.subscribe({ groupId: `g-${randomUUID()}`, topics: [t], fromNow: true, fromNowOffsets: ends, handler: async (batch) => void got.push(...batch.map((m) => m.value.toString())) });
      await bus.produce(t, [{ key: 'a', value: 'new-1' }]);
      const deadline = Date.now() + opts.timeoutMs;
      while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, opts.settleMs));
      await sub.stop();
      expect(read.sort()).toEqual(['old-1', 'old-2']);
      expect(got.sort()).toEqual(['between-1', 'between-2', 'new-1']);
    });

    it('reports offset bounds and committed offsets, and scans exact ranges without joining the group', async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 2 }]);
      const values = Array.from({ length: 12 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}` }));
      await bus.produce(t, values);
      const bounds = await bus.offsetBounds(t);
      expect([...bounds.keys()].sort()).toEqual([0, 1]);
      const total = [...bounds.values()].reduce((n, b) => n + Number(b.high) - Number(b.low), 0);
      expect(total).toBe(12);
      // by produce time: everything is at or after a minute ago, nothing after a minute from now
      expect(await bus.offsetsForTime(t, Date.now() - 60_000)).toEqual(new Map([...bounds].map(([p, b]) => [p, b.low])));
      expect(await bus.offsetsForTime(t, Date.now() + 60_000)).toEqual(new Map([...bounds].map(([p, b]) => [p, b.high])));
      const g = `g-${randomUUID()}`;
      expect((await bus.committedOffsets(g, t)).size).toBe(0);
      const { sub } = await collect(bus, t, g, (got) => got.length >= 12);
      const deadline = Date.now() + opts.timeoutMs;
      while ((await bus.lag(g, t)) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await sub.stop();
      const committed = await bus.committedOffsets(g, t);
      for (const [p, b] of bounds) expect(committed.get(p)).toBe(b.high);
      // a range: everything but the first message of each partition, in offset order per partition
      const from = new Map([...bounds].map(([p, b]) => [p, String(Number(b.low) + 1)]));
      const to = new Map([...bounds].map(([p, b]) => [p, b.high]));
      const scanned: BusMessage[] = [];
      await bus.scan(t, from, to, (batch) => {
        expect(new Set(batch.map((m) => m.partition)).size).toBe(1);
        scanned.push(...batch);
      });
      expect(scanned.length).toBe(10);
      for (const p of bounds.keys()) {
        const offs = scanned.filter((m) => m.partition === p).map((m) => Number(m.offset));
        expect(offs).toEqual([...offs].sort((a, b) => a - b));
        expect(offs[0]).toBe(Number(bounds.get(p)!.low) + 1);
      }
      expect(new Set(scanned.map((m) => m.value.toString())).size).toBe(10);
      // an empty range reads nothing; the scan left the group's commits alone
      let none = 0;
      await bus.scan(t, to, to, () => void none++);
      expect(none).toBe(0);
      expect(await bus.committedOffsets(g, t)).toEqual(committed);
    });

    it('reads a topic whole, or from given offsets, partition by partition in offset order, up to its end as of the call', async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 3, compacted: true }]);
      const first = Array.from({ length: 20 }, (_, i) => ({ key: `plan-${i % 7}`, value: `v${i}` }));
      await bus.produce(t, first);
      const ends = await bus.endOffsets(t);
      expect(ends).toEqual(new Map([...(await bus.offsetBounds(t))].map(([p, b]) => [p, b.high])));
      expect([...ends.values()].reduce((n, e) => n + Number(e), 0)).toBe(20);
      const all = await bus.readAll(t);
      expect(all).toHaveLength(20);
      expect(all.map((m) => [m.partition, Number(m.offset)])).toEqual([...all].map((m) => [m.partition, Number(m.offset)]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
      expect(new Set(all.map((m) => m.value.toString()))).toEqual(new Set(first.map((m) => m.value)));
      // per key, in the order produced, each with its key
      for (let k = 0; k < 7; k++) expect(all.filter((m) => m.key === `plan-${k}`).map((m) => m.value.toString())).toEqual(first.filter((m) => m.key === `plan-${k}`).map((m) => m.value));
      expect(all.every((m) => m.topic === t)).toBe(true);
      // from the ends read before: only what came after
      await bus.produce(t, [{ key: 'plan-1', value: 'later' }]);
      expect((await bus.readAll(t, ends)).map((m) => m.value.toString())).toEqual(['later']);
      expect(await bus.readAll(t, await bus.endOffsets(t))).toEqual([]);
      // a topic with nothing in it reads as nothing
      const empty = topic();
      await bus.ensureTopics([{ topic: empty, partitions: 2 }]);
      expect(await bus.readAll(empty)).toEqual([]);
    });

    it('reports itself healthy while its broker answers, and not healthy when it cannot reach one, within the time asked', async () => {
      const up = await bus.health(opts.timeoutMs);
      expect(up.ok).toBe(true);
      expect(up.detail).toMatch(new RegExp(bus.kind));
      const down = await opts.makeDown();
      try {
        const started = Date.now();
        const h = await down.health(2000);
        expect(h.ok).toBe(false);
        expect(h.detail.length).toBeGreaterThan(5);
        expect(Date.now() - started).toBeLessThan(2000 + 1500);
      } finally {
        await down.close().catch(() => {});
      }
    });

    it('a batch whose handler did not finish is delivered again to the next consumer (at least once)', async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 1 }]);
      await bus.produce(t, [{ key: 'x', value: 'one' }]);
      const g = `g-${randomUUID()}`;
      let failOnce = true;
      const seen: string[] = [];
      let resolveSeen!: () => void;
      const twice = new Promise<void>((r) => (resolveSeen = r));
      const first = await bus.subscribe({
        groupId: g,
        topics: [t],
        fromBeginning: true,
        handler: async (batch) => {
          seen.push(...batch.map((m) => m.value.toString()));
          if (failOnce) {
            failOnce = false;
            throw new Error('sink down');
          }
          resolveSeen();
        },
      });
      await Promise.race([twice, new Promise((_, reject) => setTimeout(() => reject(new Error(`seen ${seen.join(',')}`)), opts.timeoutMs))]);
      await first.stop();
      expect(seen.filter((v) => v === 'one').length).toBeGreaterThanOrEqual(2);
    });

    it('a handler that names how many leading messages it has done has those committed, and the rest comes again, to it or after a stop to the next', async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 1 }]);
      await bus.produce(
        t,
        ['a', 'b', 'c', 'd'].map((v) => ({ key: 'x', value: v })),
      );
      const g = `g-${randomUUID()}`;
      const wait = (what: string, ok: () => boolean) =>
        new Promise<void>((resolve, reject) => {
          const deadline = Date.now() + opts.timeoutMs;
          const tick = () => (ok() ? resolve() : Date.now() > deadline ? reject(new Error(`timed out waiting for ${what}`)) : setTimeout(tick, 20));
          tick();
        });
      // while running: the first batch answers 1, so what followed its first message comes again
      const seen: string[][] = [];
      const first = await bus.subscribe({
        groupId: g,
        topics: [t],
        fromBeginning: true,
        handler: async (batch) => {
          seen.push(batch.map((m) => m.value.toString()));
          return seen.length === 1 ? 1 : undefined;
        },
      });
      await wait('the rest after the first batch', () => seen.slice(1).flat().includes('d'));
      await new Promise((r) => setTimeout(r, opts.settleMs));
      await first.stop();
      const [head, ...rest] = seen;
      expect(head![0]).toBe('a');
      // every message after the first of the first batch was delivered again, in order
      expect(rest.flat()).toEqual(['b', 'c', 'd']);
      expect(await bus.lag(g, t)).toBe(0);

      // after a stop: a handler that answers 0 commits nothing, and the next consumer of the group gets the batch
      await bus.produce(t, [{ key: 'x', value: 'e' }]);
      let handed = false;
      const stopped = await bus.subscribe({
        groupId: g,
        topics: [t],
        fromBeginning: true,
        handler: async () => {
          handed = true;
          return 0;
        },
      });
      await wait('e handed to the handler', () => handed);
      await stopped.stop();
      expect(await bus.lag(g, t)).toBe(1);
      const next: string[] = [];
      const again = await bus.subscribe({
        groupId: g,
        topics: [t],
        fromBeginning: true,
        handler: async (batch) => {
          next.push(...batch.map((m) => m.value.toString()));
        },
      });
      await wait('e again', () => next.includes('e'));
      await again.stop();
      expect(next).toEqual(['e']);
      expect(await bus.lag(g, t)).toBe(0);
    });
    it('tells each member its assignment: on joining, and after a rebalance (a revoked partition is missing from the latest)', async () => {
      const t = topic();
      await bus.ensureTopics([{ topic: t, partitions: 4 }]);
      const g = `g-${randomUUID()}`;
      const wait = (what: string, ok: () => boolean) =>
        new Promise<void>((resolve, reject) => {
          const deadline = Date.now() + opts.timeoutMs;
          const tick = () => (ok() ? resolve() : Date.now() > deadline ? reject(new Error(`timed out waiting for ${what}`)) : setTimeout(tick, 20));
          tick();
        });
      const latest: Array<Array<{ topic: string; partition: number }> | null> = [null, null];
      const member = (i: number) =>
        bus.subscribe({
          groupId: g,
          topics: [t],
          fromBeginning: true,
          handler: async () => {},
          onAssignment: (assigned) => {
            latest[i] = assigned;
          },
        });
      const partitions = (i: number) =>
        (latest[i] ?? [])
          .filter((a) => a.topic === t)
          .map((a) => a.partition)
          .sort();
      const a = await member(0);
      await wait('the first member holding every partition', () => partitions(0).length === 4);
      expect(partitions(0)).toEqual([0, 1, 2, 3]);
      const b = await member(1);
      await wait('the partitions shared by the two members', () => partitions(0).length > 0 && partitions(1).length > 0 && partitions(0).length + partitions(1).length === 4);
      expect([...partitions(0), ...partitions(1)].sort()).toEqual([0, 1, 2, 3]);
      await b.stop();
      await wait('the first member holding every partition again', () => partitions(0).length === 4);
      await a.stop();
    });
  });
}
