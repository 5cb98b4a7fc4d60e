/** One event of the live stream: `id:` on the wire is `seq`. */
export interface StreamEvent {
  seq: number;
  event: 'alert' | 'status';
  data: unknown;
}

/**
 * A bounded ring of the most recent stream events with a monotonically
 * increasing sequence number, so a client that reconnects with
 * `Last-Event-ID: n` gets exactly the events after n, or learns that some
 * of them are gone (`gap`) and must refetch the list.
 */
export class StreamBuffer {
  private readonly ring: Array<StreamEvent | undefined>;
  private start = 0;
  private count = 0;
  private seq = 0;
  private readonly listeners = new Set<(e: StreamEvent) => void>();

  constructor(readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The oldest sequence number still held (lastSeq + 1 when empty). */
  get oldestSeq(): number {
    return this.count === 0 ? this.seq + 1 : this.ring[this.start]!.seq;
  }

  push(event: StreamEvent['event'], data: unknown): StreamEvent {
    const e: StreamEvent = { seq: ++this.seq, event, data };
    if (this.count < this.capacity) {
      this.ring[(this.start + this.count) % this.capacity] = e;
      this.count++;
    } else {
      this.ring[this.start] = e;
      this.start = (this.start + 1) % this.capacity;
    }
    for (const l of this.listeners) l(e);
    return e;
  }

  /**
   * Events after `seq`, oldest first; `gap` when some of them fell out of the
   * ring, or when `seq` is ahead of this process (an id from before a restart).
   */
  since(seq: number): StreamEvent[] | 'gap' {
    if (seq > this.seq) return 'gap';
    if (seq + 1 < this.oldestSeq) return 'gap';
    const out: StreamEvent[] = [];
    for (let i = 0; i < this.count; i++) {
      const e = this.ring[(this.start + i) % this.capacity]!;
      if (e.seq > seq) out.push(e);
    }
    return out;
  }

  subscribe(listener: (e: StreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
