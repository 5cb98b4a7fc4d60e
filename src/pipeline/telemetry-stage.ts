import type { Logger } from 'pino';
import type { Bus, Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { parseWireReading, type Reading } from '../model/reading.js';
import type { InfluxWriter } from '../sinks/influx.js';

/**
 * Readings from the telemetry topic into InfluxDB, in a consumer group of its
 * own. A batch's handler resolves only once InfluxDB has acknowledged every
 * point of it, so the bus commits its offsets after that and never before.
 * While InfluxDB is down the writer retries for `influx.batchRetryWindowMs`
 * and then the handler fails: the batch goes back to Kafka uncommitted and is
 * read again (kafkajs retries the batch, then restarts the consumer), so the
 * stage takes no new batches meanwhile (backpressure: the telemetry waits on
 * Kafka, not in memory) and never outwaits its group session. A crash or a
 * stop before the acknowledgement re-reads the batch too; the points written
 * again are the same points.
 */
export class TelemetryStage {
  private sub: Subscription | null = null;
  readonly counts = { written: 0, undecodable: 0 };
  constructor(
    private readonly bus: Bus,
    private readonly writer: InfluxWriter,
    private readonly groupId: string,
    private readonly log?: Logger,
    private readonly fromNow = false,
    private readonly retryWindowMs = 10_000,
  ) {}

  /** Readings acknowledged by InfluxDB so far. */
  get written(): number {
    return this.counts.written;
  }

  async start(): Promise<void> {
    this.sub = await this.bus.subscribe({
      groupId: this.groupId,
      topics: [TOPICS.telemetry],
      fromBeginning: true,
      fromNow: this.fromNow,
      handler: async (batch) => {
        const readings: Reading[] = [];
        for (const m of batch) {
          try {
            readings.push(parseWireReading(m.value.toString('utf8')));
          } catch (err) {
            // The rules stage counts and logs the same message too; here it has no point to write.
            this.counts.undecodable++;
            this.log?.error({ partition: m.partition, offset: m.offset, err: (err as Error).message }, 'sinks.undecodable_telemetry');
          }
        }
        await this.writer.writeReadings(readings, { retryWindowMs: this.retryWindowMs });
        this.counts.written += readings.length;
      },
    });
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}
