import { Kafka, logLevel, type Consumer, type KafkaConfig, type Message, type Producer, type Admin, CompressionTypes } from 'kafkajs';
import { keyPartitioner } from './kafka-partitioner.js';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { SealwatchError } from '../errors.js';
import { retry, type RetryOptions } from '../retry.js';
import { doneCount, readUpTo, type Bus, type BusHealth, type BusMessage, type OutgoingMessage, type SubscribeOptions, type Subscription, type TopicMessages, type TopicSpec } from './port.js';
import { TOPICS } from './topics.js';

/**
 * The Kafka adapter (kafkajs 2.2). Idempotent producer with acks=all; the
 * consumer commits a batch's offsets only after the handler resolved. kafkajs
 * stays behind this file: nothing else in sealwatch imports it.
 */
let scanCounter = 0;

/** Producer-state errors after which only a new producer (id and sequence) can send again. */
/** The ingest stage's bulk output: what `bus.compression` compresses (alerts, trips and the rest are small and few). */
const COMPRESSED_TOPICS: ReadonlySet<string> = new Set([TOPICS.telemetry, TOPICS.raw]);

const PRODUCER_STATE_ERRORS = /OUT_OF_ORDER_SEQUENCE_NUMBER|out of order sequence|UNKNOWN_PRODUCER_ID|INVALID_PRODUCER_EPOCH|producer id/i;

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private producing: Promise<Producer> | null = null;
  private readonly consumers: Consumer[] = [];
  /** Topics whose produce batches are gzip-compressed (`bus.compression`). */
  private readonly compressed: ReadonlySet<string>;

  constructor(
    private readonly cfg: Config['kafka'],
    private readonly log?: Logger,
    overrides: Partial<KafkaConfig> = {},
    o: { compression?: Config['bus']['compression'] } = {},
  ) {
    this.compressed = o.compression === 'gzip' ? COMPRESSED_TOPICS : new Set();
    const kafkaLog = log?.child({ module: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: cfg.clientId,
      brokers: cfg.brokers,
      ssl: cfg.ssl,
      ...(cfg.username && cfg.password ? { sasl: { mechanism: 'scram-sha-512' as const, username: cfg.username, password: cfg.password } } : {}),
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        if (!kafkaLog) return;
        const { message, ...extra } = entry.log as { message: string } & Record<string, unknown>;
        const lvl = entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
        kafkaLog[lvl]({ namespace: entry.namespace, ...extra }, message);
      },
      ...overrides,
    });
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    await this.withAdmin('ensure topics', async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: this.cfg.replicationFactor,
          configEntries: [
            ...(s.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
            ...(s.retentionMs !== undefined ? [{ name: 'retention.ms', value: String(s.retentionMs) }] : []),
            ...Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
          ],
        })),
      });
    });
  }

  /** How an admin session (or the group positioning) is retried: 8 attempts, 0.2-5 s apart, each retry logged. */
  private adminRetry(what: string): RetryOptions {
    return { attempts: 8, minDelayMs: 200, maxDelayMs: 5000, onRetry: (err, attempt) => this.log?.warn({ what, attempt, err: (err as Error).message }, 'bus.kafka_admin_retry') };
  }

  /**
   * One admin session, retried as a whole while the broker answers with a
   * retriable error (a topic created a moment ago may have no leader yet).
   */
  private async withAdmin<T>(what: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
    return retry(async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        return await fn(admin);
      } finally {
        await admin.disconnect();
      }
    }, this.adminRetry(what));
  }

  /**
   * Commits the group's offsets at the current end of each topic, or at
   * `at` (partition -> offset) where given; the group must have no active
   * member (else this throws and commits nothing).
   *
   * kafkajs's admin.setOffsets does the same through a temporary consumer
   * that waits for its first fetch, at kafkajs's default fetch wait of 5 s:
   * every private "from now" group (the trip plans, the rule history) cost
   * 5 s of start-up. This is that consumer with the bus's 100 ms wait: it
   * joins the group, pauses the topic, seeks each partition (a seek commits
   * for a consumer that auto-commits) and leaves after its first fetch, by
   * which the seeks are committed.
   */
  private async positionAtEnd(groupId: string, topics: string[], at?: Map<number, string>): Promise<void> {
    for (const topic of topics) {
      const ends = await this.endOffsets(topic);
      // retried as a whole, as an admin session is, while the broker answers with a retriable error (a coordinator not yet ready)
      await retry(async () => {
        const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
        await consumer.connect();
        try {
          await consumer.subscribe({ topic, fromBeginning: true });
          const { state } = await consumer.describeGroup();
          if (state !== 'Empty' && state !== 'Dead') throw new SealwatchError('SW_ERR_BUS_GROUP_ACTIVE', [groupId, state]);
          await new Promise<void>((resolve, reject) => {
            consumer.on(consumer.events.FETCH, () => resolve());
            consumer.run({ eachBatchAutoResolve: false, eachBatch: async () => {} }).catch(reject);
            consumer.pause([{ topic }]);
            for (const [partition, end] of ends) consumer.seek({ topic, partition, offset: at?.get(partition) ?? end });
          });
        } finally {
          await consumer.disconnect();
        }
      }, this.adminRetry('position group at end'));
    }
  }

  async lag(groupId: string, topic: string): Promise<number> {
    return this.withAdmin('lag', async (admin) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      let lag = 0n;
      for (const e of ends) {
        const c = byPartition.get(e.partition);
        lag += BigInt(e.high) - (c === undefined || c < 0n ? BigInt(e.low) : c);
      }
      return Number(lag);
    });
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    return new Map([...(await this.offsetBounds(topic))].map(([p, b]) => [p, b.high]));
  }

  async offsetBounds(topic: string): Promise<Map<number, { low: string; high: string }>> {
    return this.withAdmin('offset bounds', async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, { low: e.low, high: e.high }])));
  }

  async offsetsForTime(topic: string, timeMs: number): Promise<Map<number, string>> {
    return this.withAdmin('offsets for time', async (admin) => {
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, e.high]));
      const found = await admin.fetchTopicOffsetsByTimestamp(topic, timeMs);
      // the broker answers -1 for a partition with nothing at or after that time
      return new Map(found.map((f) => [f.partition, BigInt(f.offset) < 0n ? (ends.get(f.partition) ?? '0') : f.offset]));
    });
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    return this.withAdmin('committed offsets', async (admin) => {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map((t?.partitions ?? []).filter((p) => BigInt(p.offset) >= 0n).map((p) => [p.partition, p.offset]));
    });
  }

  async readAll(topic: string, from: Map<number, string> = new Map()): Promise<BusMessage[]> {
    return readUpTo(this, topic, await this.endOffsets(topic), from);
  }

  /**
   * A private consumer (its own group, never committed) that reads the
   * requested ranges and pauses each partition as its range is done. Fails
   * if the broker delivers nothing for `stallMs` while ranges remain.
   */
  async scan(topic: string, from: Map<number, string>, to: Map<number, string>, onBatch: (batch: BusMessage[]) => void | Promise<void>, stallMs = 30_000): Promise<void> {
    const bounds = await this.offsetBounds(topic);
    const pending = new Map<number, bigint>();
    for (const [p, end] of to) {
      const b = bounds.get(p);
      if (!b) continue;
      const start = BigInt(from.get(p) ?? b.low);
      const stop = BigInt(end) < BigInt(b.high) ? BigInt(end) : BigInt(b.high);
      if (stop > start && stop > BigInt(b.low)) pending.set(p, stop);
    }
    if (pending.size === 0) return;
    const consumer = this.kafka.consumer({ groupId: `sealwatch-scan-${process.pid}-${Date.now()}-${++scanCounter}`, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    await consumer.connect();
    let lastProgress = Date.now();
    let failure: Error | null = null;
    const delivered = new Map<number, bigint>();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let finish!: () => void;
      const done = new Promise<void>((r) => (finish = r));
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          const end = pending.get(batch.partition);
          if (end === undefined || failure) return;
          lastProgress = Date.now();
          // never below what this partition already delivered: a seek that lands late re-fetches
          const start = delivered.get(batch.partition) ?? BigInt(from.get(batch.partition) ?? '0');
          const out: BusMessage[] = [];
          for (const m of batch.messages) {
            const o = BigInt(m.offset);
            if (o < start || o >= end) continue;
            delivered.set(batch.partition, o + 1n);
            out.push({ topic, partition: batch.partition, offset: m.offset, key: m.key ? m.key.toString() : null, value: m.value ?? Buffer.alloc(0), headers: {} });
          }
          try {
            if (out.length) await onBatch(out);
          } catch (err) {
            failure = err as Error;
            finish();
            return;
          }
          if (BigInt(batch.lastOffset()) + 1n >= end) {
            pending.delete(batch.partition);
            consumer.pause([{ topic, partitions: [batch.partition] }]);
          }
          if (pending.size === 0) finish();
          await heartbeat();
        },
      });
      const idle = [...bounds.keys()].filter((p) => !pending.has(p));
      if (idle.length) consumer.pause([{ topic, partitions: idle }]);
      // A broker that has just come back may not have the group ready when run() returns: seek once it is.
      for (let tries = 0; ; tries++) {
        try {
          for (const [p, off] of from) if (pending.has(p)) consumer.seek({ topic, partition: p, offset: off });
          break;
        } catch (err) {
          if (tries >= stallMs / 100) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      let watchdog: NodeJS.Timeout | undefined;
      const stalled = new Promise<void>((_, reject) => {
        watchdog = setInterval(() => {
          if (Date.now() - lastProgress > stallMs) reject(new Error(`reading ${topic} stalled: nothing delivered for ${stallMs} ms with partitions ${[...pending.keys()].join(',')} unfinished`));
        }, 1000);
      });
      try {
        await Promise.race([done, stalled]);
      } finally {
        clearInterval(watchdog);
      }
      if (failure) throw failure;
    } finally {
      await consumer.disconnect();
    }
  }

  /** The cluster's metadata in one round trip, not retried: a readiness probe wants the answer now. */
  async health(timeoutMs: number): Promise<BusHealth> {
    const admin = this.kafka.admin({ retry: { retries: 0 } });
    let timer: NodeJS.Timeout | undefined;
    try {
      const cluster = await Promise.race([admin.connect().then(() => admin.describeCluster()), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))]);
      return { ok: true, detail: `kafka answers (${cluster.brokers.length} broker${cluster.brokers.length === 1 ? '' : 's'})` };
    } catch (err) {
      return { ok: false, detail: `kafka: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
      await admin.disconnect().catch(() => {});
    }
  }

  private async getProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    this.producing ??= (async () => {
      const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: keyPartitioner });
      await p.connect();
      this.producer = p;
      return p;
    })();
    return this.producing;
  }

  async produce(topic: string, messages: OutgoingMessage[]): Promise<void> {
    await this.produceAll([{ topic, messages }]);
  }

  /**
   * Several topics' messages in as few produce requests as the broker's batch
   * limit allows: topics that share a compression setting go in one request
   * when each fits in one record batch (ingest's raw copies and readings:
   * one request, one round trip, not two); larger produces go in chunks under
   * the limit, one after another, so each partition keeps its order.
   */
  async produceAll(batches: ReadonlyArray<TopicMessages>): Promise<void> {
    if (batches.every((b) => b.messages.length === 0)) return;
    const p = await this.getProducer();
    const groups = new Map<CompressionTypes, Array<{ topic: string; messages: Message[] }>>();
    const large: Array<{ topic: string; chunks: OutgoingMessage[][] }> = [];
    for (const b of batches) {
      if (b.messages.length === 0) continue;
      const chunks = byteChunks(b.messages, this.cfg.maxBatchBytes);
      if (chunks.length > 1) {
        large.push({ topic: b.topic, chunks });
        continue;
      }
      const codec = this.codecOf(b.topic);
      let g = groups.get(codec);
      if (!g) groups.set(codec, (g = []));
      g.push({ topic: b.topic, messages: b.messages.map(toKafkaMessage) });
    }
    let topic = '';
    try {
      for (const [compression, topicMessages] of groups) {
        topic = topicMessages.map((t) => t.topic).join(',');
        await p.sendBatch({ acks: -1, compression, topicMessages });
      }
      for (const b of large) {
        topic = b.topic;
        for (const chunk of b.chunks) await p.send({ topic, acks: -1, compression: this.codecOf(topic), messages: chunk.map(toKafkaMessage) });
      }
    } catch (err) {
      // kafkajs 2.2's idempotent producer keeps its producer id and sequence numbers across a
      // broker restart, and the broker then refuses every later send as out of order (for ever).
      // Start a new producer (new id, sequence 0): the failed messages come again from MQTT.
      if (PRODUCER_STATE_ERRORS.test(`${(err as { type?: string }).type ?? ''} ${(err as Error).message}`)) await this.resetProducer(p, err as Error);
      throw new SealwatchError('SW_ERR_BUS_PRODUCE', [topic, (err as Error).message], { cause: err });
    }
  }

  private codecOf(topic: string): CompressionTypes {
    return this.compressed.has(topic) ? CompressionTypes.GZIP : CompressionTypes.None;
  }

  private async resetProducer(p: Producer, err: Error): Promise<void> {
    if (this.producer !== p) return; // another send reset it already
    this.log?.warn({ err: err.message }, 'bus.kafka_producer_reset');
    this.producer = null;
    this.producing = null;
    await p.disconnect().catch(() => {});
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (opts.fromNow) await this.positionAtEnd(opts.groupId, opts.topics, opts.fromNowOffsets);
    const consumer = this.kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.cfg.sessionTimeoutMs,
      heartbeatInterval: Math.max(1000, Math.floor(this.cfg.sessionTimeoutMs / 10)),
      maxWaitTimeInMs: 100,
      minBytes: opts.bulk ? this.cfg.fetchMinBytes : 1,
    });
    await consumer.connect();
    for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? false });
    this.consumers.push(consumer);
    const onAssignment = opts.onAssignment;
    if (onAssignment)
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        const assigned = Object.entries(e.payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
        onAssignment(assigned);
      });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, opts.concurrency ?? 1),
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const out: BusMessage[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString() : null,
          value: m.value ?? Buffer.alloc(0),
          headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : v === undefined ? '' : v.toString()])),
        }));
        // A handler held up (a sink retrying through an outage) keeps the membership alive:
        // past the session timeout the group would drop this member and refuse its commit.
        const beat = setInterval(() => void heartbeat().catch(() => {}), 3000);
        let done: number;
        try {
          done = doneCount(await opts.handler(out), out.length);
        } finally {
          clearInterval(beat);
        }
        if (done > 0) {
          const last = batch.messages[done - 1]!.offset;
          resolveOffset(last);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        }
        // the rest of the batch is fetched again from the first message not done (after a stop, by the group's next member);
        // a handler that took none of it gets it again after a pause, not in a busy loop
        if (done < out.length && isRunning()) {
          consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.messages[done]!.offset });
          if (done === 0) await new Promise((r) => setTimeout(r, 50));
        }
        await heartbeat();
      },
    });
    return {
      stop: async () => {
        await consumer.disconnect();
        const i = this.consumers.indexOf(consumer);
        if (i >= 0) this.consumers.splice(i, 1);
      },
    };
  }

  async close(): Promise<void> {
    for (const c of this.consumers.splice(0)) await c.disconnect();
    if (this.producer) await this.producer.disconnect();
    this.producer = null;
    this.producing = null;
  }
}

/** A message as kafkajs takes it (headers only when there are some). */
function toKafkaMessage(m: OutgoingMessage): Message {
  return m.headers ? { key: m.key, value: m.value, headers: m.headers } : { key: m.key, value: m.value };
}

/** Bytes a message takes in a record batch, near enough: key, value, headers, and about 70 bytes of framing. */
function messageBytes(m: OutgoingMessage): number {
  let n = 70 + (m.key === null || m.key === undefined ? 0 : Buffer.byteLength(m.key)) + (typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length);
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** Consecutive runs of the messages, each of at most `maxBytes` (a single larger message goes alone: the broker decides). */
export function byteChunks(messages: OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const out: OutgoingMessage[][] = [];
  let chunk: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const b = messageBytes(m);
    if (chunk.length > 0 && bytes + b > maxBytes) {
      out.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += b;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}
