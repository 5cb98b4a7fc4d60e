import { swError } from '../errors.js';
import { doneCount, partitionFor, type Bus, type BusHealth, type BusMessage, type OutgoingMessage, type SubscribeOptions, type Subscription, type TopicMessages, type TopicSpec } from './port.js';

interface Partition {
  log: BusMessage[];
  /** Produce time of each message (ms). */
  times: number[];
  /** Offset of log[0]: messages before it were dropped by retention. */
  base: number;
}
interface Topic {
  partitions: Partition[];
  compacted: boolean;
}
interface Group {
  committed: Map<string, number>;
  members: Member[];
}
interface Member {
  opts: SubscribeOptions;
  running: boolean;
  wake: () => void;
  assigned: Array<{ topic: string; partition: number }>;
  done: Promise<void>;
}

/**
 * The in-process bus for the embedded single-process mode and for unit tests
 * of the core. It keeps Kafka's semantics that the pipeline relies on
 * (per-key ordering through partitions, consumer groups sharing partitions,
 * commit after the handler) without durability: a restart loses it.
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private closed = false;
  private rr = 0;

  /**
   * @param retainPerPartition messages kept per partition of a topic that is not compacted,
   *   once every group subscribed to it has committed past the older ones: the embedded
   *   mode's memory stays bounded however long it runs (Kafka's retention, by count).
   */
  constructor(
    private readonly defaultPartitions = 6,
    private readonly retainPerPartition = 20_000,
  ) {}

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const s of specs) if (!this.topics.has(s.topic)) this.topics.set(s.topic, { compacted: s.compacted ?? false, partitions: Array.from({ length: s.partitions }, () => ({ log: [], times: [], base: 0 })) });
  }

  private topic(name: string): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { compacted: false, partitions: Array.from({ length: this.defaultPartitions }, () => ({ log: [], times: [], base: 0 })) };
      this.topics.set(name, t);
      for (const g of this.groups.values()) this.rebalance(g);
    }
    return t;
  }

  async produce(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw swError('SW_ERR_BUS_CLOSED');
    const t = this.topic(topic);
    for (const m of messages) {
      const p = partitionFor(m.key, t.partitions.length, this.rr++);
      const part = t.partitions[p]!;
      part.log.push({ topic, partition: p, offset: String(part.base + part.log.length), key: m.key, value: typeof m.value === 'string' ? Buffer.from(m.value) : m.value, headers: { ...(m.headers ?? {}) } });
      part.times.push(Date.now());
    }
    if (!t.compacted) for (const [i, part] of t.partitions.entries()) this.trim(topic, i, part);
    for (const g of this.groups.values()) for (const mem of g.members) mem.wake();
  }

  async produceAll(batches: ReadonlyArray<TopicMessages>): Promise<void> {
    for (const b of batches) await this.produce(b.topic, b.messages);
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw swError('SW_ERR_BUS_CLOSED');
    let group = this.groups.get(opts.groupId);
    if (!group) {
      group = { committed: new Map(), members: [] };
      this.groups.set(opts.groupId, group);
    }
    for (const name of opts.topics) {
      const t = this.topic(name);
      if (opts.fromNow)
        for (const [i, p] of t.partitions.entries()) {
          const at = opts.fromNowOffsets?.get(i);
          group.committed.set(`${name}/${i}`, at === undefined ? p.base + p.log.length : Number(at));
        }
    }
    let wake: () => void = () => {};
    const member: Member = { opts, running: true, wake: () => wake(), assigned: [], done: Promise.resolve() };
    group.members.push(member);
    this.rebalance(group);
    const g = group;
    member.done = (async () => {
      let failures = 0;
      while (member.running) {
        let delivered = false;
        for (const a of member.assigned) {
          if (!member.running) break;
          const key = `${a.topic}/${a.partition}`;
          const part = this.topics.get(a.topic)!.partitions[a.partition]!;
          const log = part.log;
          const end = part.base + log.length;
          const from = Math.max(part.base, g.committed.get(key) ?? (opts.fromBeginning ? part.base : end));
          if (!g.committed.has(key)) g.committed.set(key, from);
          if (from >= end) continue;
          const batch = log.slice(from - part.base, Math.min(log.length, from - part.base + 500));
          let done: number;
          try {
            done = doneCount(await opts.handler(batch), batch.length);
          } catch {
            // As with Kafka: the offset stays, the batch comes again after a pause.
            failures++;
            await new Promise((r) => setTimeout(r, Math.min(5000, 50 * 2 ** Math.min(failures, 7))));
            delivered = true;
            continue;
          }
          failures = 0;
          g.committed.set(key, from + done);
          delivered = true;
          // a handler that took none of its batch gets it again after a pause, not in a busy loop
          if (done === 0 && member.running) await new Promise((r) => setTimeout(r, 50));
        }
        if (!delivered && member.running) await new Promise<void>((resolve) => (wake = resolve));
      }
    })();
    return {
      stop: async () => {
        member.running = false;
        wake();
        await member.done;
        g.members.splice(g.members.indexOf(member), 1);
        this.rebalance(g);
      },
    };
  }

  /** Round-robin assignment of every partition of the group's topics over its members. */
  private rebalance(g: Group): void {
    const topics = [...new Set(g.members.flatMap((m) => m.opts.topics))].sort();
    const all: Array<{ topic: string; partition: number }> = [];
    for (const t of topics) {
      const n = this.topics.get(t)?.partitions.length ?? 0;
      for (let p = 0; p < n; p++) all.push({ topic: t, partition: p });
    }
    for (const m of g.members) m.assigned = [];
    const eligible = (t: string) => g.members.filter((m) => m.opts.topics.includes(t));
    const counters = new Map<string, number>();
    for (const a of all) {
      const ms = eligible(a.topic);
      if (ms.length === 0) continue;
      const i = counters.get(a.topic) ?? 0;
      counters.set(a.topic, i + 1);
      ms[i % ms.length]!.assigned.push(a);
    }
    for (const m of g.members) if (m.running) m.opts.onAssignment?.([...m.assigned]);
    for (const m of g.members) m.wake();
  }

  async lag(groupId: string, topic: string): Promise<number> {
    const t = this.topics.get(topic);
    if (!t) return 0;
    const g = this.groups.get(groupId);
    return t.partitions.reduce((sum, p, i) => sum + p.base + p.log.length - Math.max(p.base, g?.committed.get(`${topic}/${i}`) ?? p.base), 0);
  }

  async offsetBounds(topic: string): Promise<Map<number, { low: string; high: string }>> {
    return new Map((this.topics.get(topic)?.partitions ?? []).map((p, i) => [i, { low: String(p.base), high: String(p.base + p.log.length) }]));
  }

  async offsetsForTime(topic: string, timeMs: number): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    (this.topics.get(topic)?.partitions ?? []).forEach((p, i) => {
      const at = p.times.findIndex((produced) => produced >= timeMs);
      out.set(i, String(p.base + (at < 0 ? p.log.length : at)));
    });
    return out;
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const [key, offset] of this.groups.get(groupId)?.committed ?? []) {
      const slash = key.lastIndexOf('/');
      if (key.slice(0, slash) === topic) out.set(Number(key.slice(slash + 1)), String(offset));
    }
    return out;
  }

  async scan(topic: string, from: Map<number, string>, to: Map<number, string>, onBatch: (batch: BusMessage[]) => void | Promise<void>): Promise<void> {
    const t = this.topics.get(topic);
    if (!t) return;
    for (const [p, end] of to) {
      const part = t.partitions[p];
      if (!part) continue;
      const stop = Math.min(part.log.length, Number(end) - part.base);
      for (let i = Math.max(0, Number(from.get(p) ?? part.base) - part.base); i < stop; i += 500) await onBatch(part.log.slice(i, Math.min(stop, i + 500)));
    }
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    return new Map((this.topics.get(topic)?.partitions ?? []).map((p, i) => [i, String(p.base + p.log.length)]));
  }

  async readAll(topic: string, from: Map<number, string> = new Map()): Promise<BusMessage[]> {
    return (this.topics.get(topic)?.partitions ?? []).flatMap((p, i) => p.log.slice(Math.max(0, Number(from.get(i) ?? p.base) - p.base)));
  }

  async health(): Promise<BusHealth> {
    return this.closed ? { ok: false, detail: 'memory bus closed' } : { ok: true, detail: 'memory bus' };
  }

  /** Messages of a topic, all partitions, for tests (synchronous: no await between produce and look). */
  read(topic: string): BusMessage[] {
    return this.topics.get(topic)?.partitions.flatMap((p) => p.log) ?? [];
  }

  /**
   * Drops the oldest messages of a partition beyond `retainPerPartition` (in
   * steps of a quarter, so the copy is amortised), never one a subscribed
   * group has not committed yet.
   */
  private trim(topic: string, i: number, part: Partition): void {
    if (part.log.length <= this.retainPerPartition * 1.25) return;
    let keepFrom = part.base + part.log.length - this.retainPerPartition;
    for (const g of this.groups.values()) {
      if (!g.members.some((m) => m.opts.topics.includes(topic)) && !g.committed.has(`${topic}/${i}`)) continue;
      keepFrom = Math.min(keepFrom, g.committed.get(`${topic}/${i}`) ?? part.base);
    }
    const drop = keepFrom - part.base;
    if (drop <= 0) return;
    part.log.splice(0, drop);
    part.times.splice(0, drop);
    part.base += drop;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const g of this.groups.values()) {
      for (const m of [...g.members]) {
        m.running = false;
        m.wake();
        await m.done;
      }
      g.members = [];
    }
  }
}
