import type { Config } from '../config/schema.js';
import type { Alert } from '../model/alert.js';
import type { PortTable } from '../geo/ports.js';
import type { Reading } from '../model/reading.js';
import type { DeadLetter } from '../normalise/dead-letter.js';
import { Normaliser } from '../normalise/registry.js';
import type { TripDirectory } from '../trips/directory.js';
import { RuleEngine } from '../rules/engine.js';
import { selectRules } from '../rules/index.js';
import { seaLaneRouter } from '../geo/sea-router.js';
import { MismatchAlerts, mismatchEnabled } from '../rules/device-container-mismatch.js';

export interface Collected {
  alerts: Alert[];
  /** Arrival time of the reading (or clock) that completed each alert, for latency metrics. */
  alertArrivals: number[];
  late: Array<{ reading: Reading; detail: string }>;
}

export interface ProcessorCounts {
  messages: number;
  readings: number;
  duplicates: number;
  deadLetters: Record<string, number>;
  alerts: Record<string, number>;
  late: number;
}

/** Builds the normaliser for a configuration. */
export function buildNormaliser(config: Config, trips: TripDirectory): Normaliser {
  return new Normaliser({
    topicRoot: config.mqtt.topicRoot,
    maxPayloadBytes: config.ingest.maxPayloadBytes,
    dedupIdsPerDevice: config.ingest.dedupIdsPerDevice,
    dedupMaxDevices: config.ingest.dedupMaxDevices,
    limits: { maxBatchEvents: config.ingest.maxBatchEvents, maxFutureSkewMs: config.ingest.maxFutureSkewMs, maxPastAgeMs: config.ingest.maxPastAgeMs },
    trips,
  });
}

/**
 * A rule engine whose alerts and late readings are collected for the caller
 * to hand to sinks in batches.
 */
export class CollectingEngine {
  readonly engine: RuleEngine;
  private collected: Collected = { alerts: [], alertArrivals: [], late: [] };

  constructor(config: Config, trips: TripDirectory, ports: PortTable) {
    this.engine = new RuleEngine({
      config,
      trips,
      ports,
      rules: selectRules(config.rules.enabled),
      router: seaLaneRouter,
      output: {
        alert: (a, arrival) => {
          this.collected.alerts.push(a);
          this.collected.alertArrivals.push(arrival);
        },
        late: (reading, detail) => this.collected.late.push({ reading, detail }),
      },
    });
  }

  /** What the engine produced since the last take. */
  take(): Collected {
    const out = this.collected;
    this.collected = { alerts: [], alertArrivals: [], late: [] };
    return out;
  }
}

/**
 * Decode and rules in one synchronous path, for replay: the same Normaliser
 * and RuleEngine the bus stages use, without a bus in between.
 */
export class DirectProcessor {
  readonly normaliser: Normaliser;
  readonly rules: CollectingEngine;
  /** DEVICE_CONTAINER_MISMATCH from the normaliser's dead letters, as the live ingest stage raises them. */
  private readonly mismatches: MismatchAlerts;
  readonly counts: ProcessorCounts = { messages: 0, readings: 0, duplicates: 0, deadLetters: {}, alerts: {}, late: 0 };

  constructor(config: Config, trips: TripDirectory, ports: PortTable) {
    this.normaliser = buildNormaliser(config, trips);
    this.rules = new CollectingEngine(config, trips, ports);
    this.mismatches = new MismatchAlerts(mismatchEnabled(config.rules.enabled));
  }

  /** One MQTT message in; what it produced out. */
  message(topic: string, payload: Buffer, receivedAt: number): Collected & { readings: Reading[]; deadLetters: DeadLetter[] } {
    this.counts.messages++;
    const n = this.normaliser.normalise(topic, payload, receivedAt);
    this.counts.duplicates += n.duplicates;
    for (const d of n.deadLetters) this.counts.deadLetters[d.reason] = (this.counts.deadLetters[d.reason] ?? 0) + 1;
    this.rules.engine.advanceTo(receivedAt);
    for (const r of n.readings) this.rules.engine.ingest(r);
    this.counts.readings += n.readings.length;
    const raised = this.mismatches.take(n.deadLetters);
    const c = this.rules.take();
    const all = raised.length ? { ...c, alerts: [...raised, ...c.alerts], alertArrivals: [...raised.map(() => receivedAt), ...c.alertArrivals] } : c;
    return { ...this.count(all), readings: n.readings, deadLetters: n.deadLetters };
  }

  /** End of input: release everything still held. */
  finish(): Collected {
    this.rules.engine.flush();
    return this.count(this.rules.take());
  }

  private count(c: Collected): Collected {
    for (const a of c.alerts) this.counts.alerts[a.rule] = (this.counts.alerts[a.rule] ?? 0) + 1;
    this.counts.late += c.late.length;
    return c;
  }
}
