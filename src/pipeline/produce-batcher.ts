import type { Bus, OutgoingMessage } from '../bus/port.js';

export interface ProduceBatcherOptions {
  /** How long the first message of a batch waits for others (0: those of the same turn of the event loop). */
  lingerMs: number;
  /** A batch this big is sent at once. */
  maxMessages: number;
}

interface Batch {
  topics: Map<string, OutgoingMessage[]>;
  count: number;
  due: boolean;
  timer: NodeJS.Timeout | NodeJS.Immediate | null;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Many ingest messages, one bus produce of all their topics (one Kafka
 * request where the batch limit allows): messages added within the
 * linger window (or while the previous batch is still being written) share a
 * batch, and every caller's promise settles when its whole batch is on the
 * bus. Batches are written one after another, in order, so per-key order on
 * the bus is arrival order. A failed batch rejects all its callers: none of
 * their MQTT messages is acknowledged, so the broker delivers them again.
 */
export class ProduceBatcher {
  private open: Batch | null = null;
  /** Batches closed and not yet written. */
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly opts: ProduceBatcherOptions,
  ) {}

  add(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const b = (this.open ??= this.start());
    const list = b.topics.get(topic);
    if (list) for (const m of messages) list.push(m);
    else b.topics.set(topic, messages.slice());
    b.count += messages.length;
    if (b.count >= this.opts.maxMessages) this.close(b, true);
    return b.done;
  }

  private start(): Batch {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // callers that never await (QoS 0) must not leave an unhandled rejection behind
    done.catch(() => {});
    const b: Batch = { topics: new Map(), count: 0, due: false, timer: null, done, resolve, reject };
    const due = () => {
      b.timer = null;
      b.due = true;
      this.close(b, false);
    };
    b.timer = this.opts.lingerMs > 0 ? setTimeout(due, this.opts.lingerMs) : setImmediate(due);
    return b;
  }

  /** Sends the open batch once it is due and the previous one is written (or at once when full). */
  private close(b: Batch, full: boolean): void {
    if (this.open !== b || (!full && this.pending > 0)) return;
    this.open = null;
    if (b.timer) {
      if (this.opts.lingerMs > 0) clearTimeout(b.timer as NodeJS.Timeout);
      else clearImmediate(b.timer as NodeJS.Immediate);
      b.timer = null;
    }
    this.pending++;
    this.chain = this.chain.then(() => this.send(b));
  }

  private async send(b: Batch): Promise<void> {
    try {
      await this.bus.produceAll(Array.from(b.topics, ([topic, messages]) => ({ topic, messages })));
      b.resolve();
    } catch (err) {
      b.reject(err);
    } finally {
      this.pending--;
      const next = this.open;
      if (next && (next.due || next.count >= this.opts.maxMessages)) this.close(next, true);
    }
  }
}
