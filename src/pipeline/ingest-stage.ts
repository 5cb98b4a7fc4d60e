import type { Logger } from 'pino';
import type { Bus } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { readingToWire } from '../model/reading.js';
import type { Normaliser } from '../normalise/registry.js';
import type { MismatchAlerts } from '../rules/device-container-mismatch.js';
import type { AlertSink } from '../sinks/sink.js';
import type { InfluxWriter } from '../sinks/influx.js';
import type { PipelineInstruments } from './instruments.js';
import { ProduceBatcher, type ProduceBatcherOptions } from './produce-batcher.js';

export interface IngestCounts {
  messages: number;
  readings: number;
  duplicates: number;
  deadLetters: Record<string, number>;
  /** Alerts raised at ingest (DEVICE_CONTAINER_MISMATCH). */
  alerts: number;
}

/** Where alerts raised at ingest go: the pipeline's alert sink, the same the rules write to. */
export interface IngestAlerts {
  sink: AlertSink;
  mismatches: MismatchAlerts;
}

/**
 * MQTT message in; raw copy, normalised readings and dead letters onto the
 * bus. Resolves only when the bus has all of them, so the listener can
 * acknowledge the MQTT message after that and not before.
 */
export class IngestStage {
  readonly counts: IngestCounts = { messages: 0, readings: 0, duplicates: 0, deadLetters: {}, alerts: 0 };

  constructor(private readonly bus: Bus, private readonly normaliser: Normaliser, private readonly log?: Logger, private readonly influx?: InfluxWriter | null, private readonly instruments?: PipelineInstruments, private readonly keepRaw = true, private readonly alerts?: IngestAlerts) {}

  private producer: ProduceBatcher | null = null;

  /** Produces of many messages share one bus write per topic (created on first use: the bus is a constructor parameter). */
  private get batcher(): ProduceBatcher {
    return (this.producer ??= new ProduceBatcher(this.bus, produceBatching(this.bus)));
  }

  readonly handle = async (topic: string, payload: Buffer, receivedAt: number): Promise<void> => {
    const end = this.instruments?.ingestSeconds.startTimer();
    this.counts.messages++;
    const n = this.normaliser.normalise(topic, payload, receivedAt, { deferRecord: true });
    this.counts.readings += n.readings.length;
    this.counts.duplicates += n.duplicates;
    const receivedIso = new Date(receivedAt).toISOString();
    const writes: Array<Promise<void>> = [];
    if (this.keepRaw) writes.push(this.batcher.add(TOPICS.raw, [{ key: topic, value: payload, headers: { 'mqtt-topic': topic, 'received-at': receivedIso } }]));
    if (n.readings.length) writes.push(this.batcher.add(TOPICS.telemetry, n.readings.map((r) => ({ key: r.containerId, value: JSON.stringify(readingToWire(r)) }))));
    if (n.deadLetters.length) {
      for (const d of n.deadLetters) {
        this.counts.deadLetters[d.reason] = (this.counts.deadLetters[d.reason] ?? 0) + 1;
        this.log?.debug({ topic, reason: d.reason, detail: d.detail }, 'normalise.dead_lettered');
      }
      this.influx?.deadLetters(n.deadLetters);
      writes.push(this.batcher.add(TOPICS.deadletter, n.deadLetters.map((d) => ({ key: topic, value: JSON.stringify(d) }))));
      // Written before the MQTT message is acknowledged, like the dead letter that raises it.
      const raised = this.alerts?.mismatches.take(n.deadLetters) ?? [];
      if (raised.length) {
        this.counts.alerts += raised.length;
        for (const a of raised) this.log?.info({ alertId: a.alertId, rule: a.rule, severity: a.severity, containerId: a.containerId, tripId: a.tripId, deviceId: a.deviceId }, 'ingest.alert_raised');
        const alerts = this.alerts!;
        writes.push(alerts.sink.write(raised).catch((err: Error) => {
          alerts.mismatches.forget(raised); // not acknowledged: the redelivered message raises them again
          throw err;
        }));
      }
    }
    // Seen only once delivered: a message not acknowledged comes again from the broker (maybe
    // while this attempt is still pending, after a reconnect) and must not count as a duplicate then.
    await Promise.all(writes);
    this.normaliser.remember(n);
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
