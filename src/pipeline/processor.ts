import type { Config } from '../config/schema.js';
import type { RuleLookup } from '../config/rule-history.js';
import type { Alert } from '../model/alert.js';
import type { PortTable } from '../geo/ports.js';
import type { Reading } from '../model/reading.js';
import type { DeadLetter } from '../normalise/dead-letter.js';
import type { TripDirectory } from '../trips/directory.js';
import { RuleEngine } from '../rules/engine.js';
import { selectRules } from '../rules/index.js';
import { seaLaneRouter } from '../geo/sea-router.js';
import { IngestStep } from '../ingest/ingest-step.js';

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

/** What a take gives when the engine produced nothing (most messages): one frozen object, no allocation per message. */
const NOTHING: Collected = Object.freeze({ alerts: Object.freeze([]) as unknown as Alert[], alertArrivals: Object.freeze([]) as unknown as number[], late: Object.freeze([]) as unknown as Collected['late'] });

/**
 * A rule engine whose alerts and late readings are collected for the caller
 * to hand to sinks in batches.
 */
export class CollectingEngine {
  readonly engine: RuleEngine;
  private collected: Collected = { alerts: [], alertArrivals: [], late: [] };

  /** `ruleTimeline`: thresholds changed while running (absent: the configuration's throughout, and alerts carry no ruleVersion). */
  constructor(config: Config, trips: TripDirectory, ports: PortTable, ruleTimeline?: RuleLookup) {
    this.engine = new RuleEngine({
      config,
      trips,
      ports,
      rules: selectRules(config.rules.enabled),
      router: seaLaneRouter,
      ...(ruleTimeline ? { ruleTimeline } : {}),
      output: {
        alert: (a, arrival) => {
          this.collected.alerts.push(a);
          this.collected.alertArrivals.push(arrival);
        },
        late: (reading, detail) => this.collected.late.push({ reading, detail }),
      },
    });
  }

  /** What the engine produced since the last take (a shared empty result when nothing: do not modify what you take). */
  take(): Collected {
    const out = this.collected;
    if (out.alerts.length === 0 && out.late.length === 0) return NOTHING;
    this.collected = { alerts: [], alertArrivals: [], late: [] };
    return out;
  }
}

/**
 * Ingest and rules in one synchronous path, for replay: the same ingest step
 * (src/ingest/ingest-step.ts) and RuleEngine the bus stages use, without a
 * bus in between.
 */
export class DirectProcessor {
  readonly ingest: IngestStep;
  readonly rules: CollectingEngine;
  private readonly alerts: Record<string, number> = {};
  private late = 0;

  constructor(config: Config, trips: TripDirectory, ports: PortTable, ruleTimeline?: RuleLookup) {
    this.ingest = IngestStep.fromConfig(config, trips, { deferRecord: false });
    this.rules = new CollectingEngine(config, trips, ports, ruleTimeline);
  }

  get counts(): ProcessorCounts {
    const i = this.ingest.counts;
    return { messages: i.messages, readings: i.readings, duplicates: i.duplicates, deadLetters: i.deadLetters, alerts: this.alerts, late: this.late };
  }

  /** One MQTT message in; what it produced out. */
  message(topic: string, payload: Buffer, receivedAt: number): Collected & { readings: Reading[]; deadLetters: DeadLetter[] } {
    const n = this.ingest.take(topic, payload, receivedAt);
    this.rules.engine.advanceTo(receivedAt);
    for (const r of n.readings) this.rules.engine.ingest(r);
    const c = this.rules.take();
    const all = n.alerts.length ? { alerts: [...n.alerts, ...c.alerts], alertArrivals: [...n.alerts.map(() => receivedAt), ...c.alertArrivals], late: c.late } : c;
    this.count(all);
    return { alerts: all.alerts, alertArrivals: all.alertArrivals, late: all.late, readings: n.readings, deadLetters: n.deadLetters };
  }

  /** End of input: release everything still held. */
  finish(): Collected {
    this.rules.engine.flush();
    return this.count(this.rules.take());
  }

  private count(c: Collected): Collected {
    for (const a of c.alerts) this.alerts[a.rule] = (this.alerts[a.rule] ?? 0) + 1;
    this.late += c.late.length;
    return c;
  }
}
