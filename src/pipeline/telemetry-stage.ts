import type { Logger } from 'pino';
import type { Bus, Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { parseWireReading, type Reading } from '../model/reading.js';
import type { InfluxWriter } from '../sinks/influx.js';

export interface TelemetryStageOptions {
  /** The group starts at the current end of the topic (a replay's private group). */
  fromNow?: boolean;
  /** How long one write is retried before the batches in it go back to Kafka uncommitted. */
  retryWindowMs?: number;
  /** Readings of concurrent batches gathered into one write, at most (`influx.batchSize`). */
  batchLines?: number;
  /** How long a write waits for other partitions' batches to join it (0: none). */
  lingerMs?: number;
  /** Partitions consumed at once (their batches share writes). */
  concurrency?: number;
}

/** Readings of one or more consumed batches, written together. */
interface Group {
  readings: Reading[];
  timer: NodeJS.Timeout | null;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Readings from the telemetry topic into InfluxDB, in a consumer group of its
 * own. A batch's handler resolves only once InfluxDB has acknowledged every
 * point of it, so the bus commits its offsets after that and never before.
 * Batches of several partitions are consumed at once and their readings share
 * write requests of up to `influx.batchSize` lines (a batch waits at most
 * `influx.telemetryLingerMs` for company): each handler resolves when the
 * write holding its readings is acknowledged, and a failed write fails every
 * batch in it. While InfluxDB is down the writer retries for
 * `influx.batchRetryWindowMs` and then the handlers fail: their batches go
 * back to Kafka uncommitted and are read again (kafkajs retries the batch,
 * then restarts the consumer), so the stage takes no new batches meanwhile
 * (backpressure: the telemetry waits on Kafka, not in memory) and never
 * outwaits its group session. A crash or a stop before the acknowledgement
 * re-reads the batch too; the points written again are the same points.
 */
export class TelemetryStage {
  private sub: Subscription | null = null;
  private open: Group | null = null;
  readonly counts = { written: 0, undecodable: 0, writes: 0 };
  private readonly opts: Required<TelemetryStageOptions>;

  constructor(
    private readonly bus: Bus,
    private readonly writer: InfluxWriter,
    private readonly groupId: string,
    private readonly log?: Logger,
    opts: TelemetryStageOptions = {},
  ) {
    this.opts = { fromNow: false, retryWindowMs: 10_000, batchLines: 5000, lingerMs: 0, concurrency: 1, ...opts };
  }

  /** Readings acknowledged by InfluxDB so far. */
  get written(): number {
    return this.counts.written;
  }

  async start(): Promise<void> {
    this.sub = await this.bus.subscribe({
      groupId: this.groupId,
      topics: [TOPICS.telemetry],
      bulk: true,
      fromBeginning: true,
      fromNow: this.opts.fromNow,
      concurrency: this.opts.concurrency,
      handler: async (batch) => {
        const readings: Reading[] = [];
        // one decode per message: the reading goes into the group's write as it is
        for (const m of batch) {
          try {
            readings.push(parseWireReading(m.value.toString('utf8')));
          } catch (err) {
            // The rules stage counts and logs the same message too; here it has no point to write.
            this.counts.undecodable++;
            this.log?.error({ partition: m.partition, offset: m.offset, err: (err as Error).message }, 'sinks.undecodable_telemetry');
          }
        }
        if (readings.length > 0) await this.join(readings);
      },
    });
  }

  /** Adds a batch's readings to the open write; resolves once InfluxDB has acknowledged that write. */
  private join(readings: Reading[]): Promise<void> {
    const g = (this.open ??= this.newGroup());
    for (const r of readings) g.readings.push(r);
    if (g.readings.length >= this.opts.batchLines || this.opts.lingerMs === 0) this.flush(g);
    return g.done;
  }

  private newGroup(): Group {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const g: Group = { readings: [], timer: null, done, resolve, reject };
    if (this.opts.lingerMs > 0) g.timer = setTimeout(() => this.flush(g), this.opts.lingerMs);
    return g;
  }

  private flush(g: Group): void {
    if (this.open === g) this.open = null;
    if (g.timer) clearTimeout(g.timer);
    g.timer = null;
    this.counts.writes++;
    this.writer.writeReadings(g.readings, { retryWindowMs: this.opts.retryWindowMs }).then(
      () => {
        this.counts.written += g.readings.length;
        g.resolve();
      },
      (err: unknown) => g.reject(err),
    );
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}
