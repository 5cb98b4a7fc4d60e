import type { Bus } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { readingToWire } from '../model/reading.js';
import type { IngestCounts, IngestStep } from '../ingest/ingest-step.js';
import type { AlertSink } from '../sinks/sink.js';
import type { InfluxWriter } from '../sinks/influx.js';
import type { PipelineInstruments } from './instruments.js';
import { ProduceBatcher, type ProduceBatcherOptions } from './produce-batcher.js';

/**
 * MQTT message in; raw copy, normalised readings and dead letters onto the
 * bus, alerts raised at ingest to the alert sink (the same the rules write
 * to). Resolves only when all of them are written, so the listener can
 * acknowledge the MQTT message after that and not before.
 */
export class IngestStage {
  constructor(
    private readonly bus: Bus,
    private readonly step: IngestStep,
    private readonly influx?: InfluxWriter | null,
    private readonly instruments?: PipelineInstruments,
    private readonly keepRaw = true,
    private readonly sink?: AlertSink,
  ) {}

  get counts(): IngestCounts {
    return this.step.counts;
  }

  private producer: ProduceBatcher | null = null;

  /** Produces of many messages share one bus write per topic (created on first use: the bus is a constructor parameter). */
  private get batcher(): ProduceBatcher {
    return (this.producer ??= new ProduceBatcher(this.bus, produceBatching(this.bus)));
  }

  readonly handle = async (topic: string, payload: Buffer, receivedAt: number): Promise<void> => {
    const end = this.instruments?.ingestSeconds.startTimer();
    const n = this.step.take(topic, payload, receivedAt);
    const receivedIso = new Date(receivedAt).toISOString();
    const writes: Array<Promise<void>> = [];
    if (this.keepRaw) writes.push(this.batcher.add(TOPICS.raw, [{ key: topic, value: payload, headers: { 'mqtt-topic': topic, 'received-at': receivedIso } }]));
    if (n.readings.length)
      writes.push(
        this.batcher.add(
          TOPICS.telemetry,
          n.readings.map((r) => ({ key: r.containerId, value: JSON.stringify(readingToWire(r, r.receivedAt === receivedAt ? receivedIso : undefined)) })),
        ),
      );
    if (n.deadLetters.length) {
      this.influx?.deadLetters(n.deadLetters);
      writes.push(
        this.batcher.add(
          TOPICS.deadletter,
          n.deadLetters.map((d) => ({ key: topic, value: JSON.stringify(d) })),
        ),
      );
    }
    // Written before the MQTT message is acknowledged, like the dead letter that raises them.
    if (n.alerts.length && this.sink) {
      writes.push(
        this.sink.write(n.alerts).catch((err: Error) => {
          this.step.notDelivered(n.alerts); // not acknowledged: the redelivered message raises them again
          throw err;
        }),
      );
    }
    // Seen only once delivered: a message not acknowledged comes again from the broker (maybe
    // while this attempt is still pending, after a reconnect) and must not count as a duplicate then.
    await Promise.all(writes);
    this.step.delivered(n);
    end?.();
  };
}

/**
 * How ingest batches its produces: Kafka answers a produce in a millisecond or
 * more, so messages wait up to 2 ms for company (and meanwhile for the batch
 * in flight); the memory bus answers at once, so a batch is what arrived in
 * the same turn of the event loop.
 */
export function produceBatching(bus: Bus): ProduceBatcherOptions {
  return bus.kind === 'kafka' ? { lingerMs: 2, maxMessages: 5000 } : { lingerMs: 0, maxMessages: 5000 };
}
