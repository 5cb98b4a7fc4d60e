/**
 * The bus port: what the pipeline needs from a log-structured message bus.
 * One implementation per technology (memory.ts, kafka.ts); both pass the same
 * contract suite (test/contract/bus-contract.ts).
 *
 * Semantics every implementation keeps:
 * - messages with the same key land in the same partition and are delivered
 *   in the order produced;
 * - a subscription's handler gets batches of one partition at a time; the
 *   batch's offsets are committed only after the handler resolves, so a
 *   crash redelivers (at least once); a handler that resolves with a number
 *   n has the first n messages committed and the rest delivered again;
 * - consumers of one group share the partitions; different groups each get
 *   every message.
 */
export interface OutgoingMessage {
  key: string | null;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/** One topic's share of a produce of several topics. */
export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

export interface BusMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: the oldest retained message (true) or new ones only. */
  fromBeginning?: boolean;
  /**
   * Position the group at the current end of every partition before consuming,
   * so it sees exactly what is produced after subscribe() resolves (a replay's
   * private group). Overrides fromBeginning and any committed offset.
   */
  fromNow?: boolean;
  /**
   * With fromNow and one topic: start each partition here (partition ->
   * offset) rather than at its current end; partitions not named start at
   * their end. A caller that read the topic up to some offsets (scan) passes
   * them, so nothing produced between that read and subscribe() is missed.
   */
  fromNowOffsets?: Map<number, string>;
  /**
   * Resolves when the batch is processed (its offsets are then committed), or
   * with the count of the batch's leading messages that are: only those are
   * committed, and the rest comes again (to this member while it runs, else
   * to the group's next). Throwing commits nothing of the batch.
   */
  handler: (batch: BusMessage[]) => Promise<unknown>;
  /**
   * The topics carry the bulk of the traffic (telemetry): the bus may hold a
   * fetch back briefly to hand over fewer, larger batches (Kafka: until
   * `kafka.fetchMinBytes` are ready, at most 100 ms), which saves the broker
   * a commit per small batch. Off (default): a batch as soon as anything is
   * there. The memory bus ignores it.
   */
  bulk?: boolean;
  /**
   * Batches of different partitions handled at once, at most (default 1).
   * Each partition's batches still come one after another, in order. The
   * memory bus hands out one batch at a time whatever this says.
   */
  concurrency?: number;
  /**
   * Told this member's whole assignment (topic and partition) each time the
   * group gives it one: on joining and after every rebalance. A partition
   * missing from the latest assignment was revoked. Not awaited.
   */
  onAssignment?: (assigned: Array<{ topic: string; partition: number }>) => void;
}

export interface Subscription {
  /** Stops consuming after the batch in hand; committed offsets stay. */
  stop(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  compacted?: boolean;
  /** retention.ms for a new topic (the broker's default when absent). */
  retentionMs?: number;
  /** Further topic settings for a new topic (Kafka names, e.g. segment.ms); the memory bus ignores them. */
  configs?: Record<string, string>;
}

/** Whether the bus answers now, and in words what was seen (for readiness probes). */
export interface BusHealth {
  ok: boolean;
  detail: string;
}

export interface Bus {
  readonly kind: 'memory' | 'kafka';
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  produce(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /**
   * The messages of several topics, each topic's as `produce` would write
   * them (same partitions, same order); resolves when all are written, and
   * rejects if any is not (some may be written then, as with a failed
   * `produce`). Kafka puts them in one request where the batch limit allows.
   */
  produceAll(batches: ReadonlyArray<TopicMessages>): Promise<void>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  /** Messages of `topic` not yet committed by `groupId`, over all partitions (a group with no commit counts from the start). */
  lag(groupId: string, topic: string): Promise<number>;
  /** The oldest retained offset and the end offset of every partition of `topic`. */
  offsetBounds(topic: string): Promise<Map<number, { low: string; high: string }>>;
  /** Per partition, the first offset of a message produced at or after `timeMs` (the end offset when none is). */
  offsetsForTime(topic: string, timeMs: number): Promise<Map<number, string>>;
  /** The offsets `groupId` has committed on `topic`, by partition (partitions without a commit are absent). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  /**
   * Reads the messages of `topic` with `from[p] <= offset < to[p]` for every
   * partition p in `to`, in offset order within a partition, handing them to
   * `onBatch` one partition's batch at a time (no consumer group is joined or
   * committed). Resolves when every range is read.
   */
  scan(topic: string, from: Map<number, string>, to: Map<number, string>, onBatch: (batch: BusMessage[]) => void | Promise<void>): Promise<void>;
  /** The end offset (next offset to be written) of every partition of `topic`. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /**
   * A topic read whole: its messages from `from[p]` (default: the oldest
   * retained) up to its end as of the call, partition by partition in offset
   * order, without joining a group (compacted state: plans, alert status).
   */
  readAll(topic: string, from?: Map<number, string>): Promise<BusMessage[]>;
  /** One round trip to the broker, answered within `timeoutMs`; never throws. */
  health(timeoutMs: number): Promise<BusHealth>;
  close(): Promise<void>;
}

/** The messages of `topic` from `from` (default: the oldest retained) below `to` (partition -> end offset, from endOffsets), partition by partition in offset order. */
export async function readUpTo(bus: Bus, topic: string, to: Map<number, string>, from: Map<number, string> = new Map()): Promise<BusMessage[]> {
  const out: BusMessage[] = [];
  await bus.scan(topic, from, to, (batch) => void out.push(...batch));
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** Stable partition choice for a key (FNV-1a; Kafka uses its own murmur2, which is fine: only stability matters). */
export function partitionFor(key: string | null, partitions: number, roundRobin: number): number {
  if (key === null) return roundRobin % partitions;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** How many of a batch's messages a handler's answer says are done (all, unless it names fewer). */
export function doneCount(answer: unknown, length: number): number {
  return typeof answer === 'number' ? Math.max(0, Math.min(length, Math.floor(answer))) : length;
}
