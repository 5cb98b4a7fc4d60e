import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Alert } from '../model/alert.js';
import type { Reading } from '../model/reading.js';
import type { DeadLetter } from '../normalise/dead-letter.js';
import { buildNormaliser, type NormaliseResult, type Normaliser } from '../normalise/normaliser.js';
import type { TripDirectory } from '../trips/directory.js';
import { MismatchAlerts, mismatchEnabled } from './device-container-mismatch.js';

export interface IngestCounts {
  messages: number;
  readings: number;
  duplicates: number;
  deadLetters: Record<string, number>;
  /** Alerts raised at ingest (DEVICE_CONTAINER_MISMATCH). */
  alerts: number;
}

/** What one MQTT message became. */
export interface Ingested {
  readings: Reading[];
  deadLetters: DeadLetter[];
  /** Raised at ingest (DEVICE_CONTAINER_MISMATCH), for the caller to write. */
  alerts: Alert[];
  /** The normaliser's result, handed back to `delivered`. */
  result: NormaliseResult;
}

export interface IngestStepOptions {
  /**
   * Live: the message's ids are recorded as seen only once `delivered` says
   * the bus has its output, so a message the broker brings again after a
   * failed write is not taken for a duplicate. Replay has no broker to bring
   * anything again and records at once.
   */
  deferRecord: boolean;
  log?: Logger;
}

/**
 * The per-message ingest step, one for the live pipeline (the ingest stage
 * writes its output to the bus) and for replay (which hands it to the rule
 * engine): decode and deduplicate, count, and raise DEVICE_CONTAINER_MISMATCH
 * from the dead letters that carry a mismatch.
 */
export class IngestStep {
  readonly counts: IngestCounts = { messages: 0, readings: 0, duplicates: 0, deadLetters: {}, alerts: 0 };

  constructor(
    private readonly normaliser: Normaliser,
    private readonly mismatches: MismatchAlerts,
    private readonly opts: IngestStepOptions,
  ) {}

  static fromConfig(config: Config, trips: TripDirectory, opts: IngestStepOptions): IngestStep {
    return new IngestStep(buildNormaliser(config, trips), new MismatchAlerts(mismatchEnabled(config.rules.enabled)), opts);
  }

  take(topic: string, payload: Buffer, receivedAt: number): Ingested {
    this.counts.messages++;
    const n = this.normaliser.normalise(topic, payload, receivedAt, { deferRecord: this.opts.deferRecord });
    this.counts.readings += n.readings.length;
    this.counts.duplicates += n.duplicates;
    const log = this.opts.log;
    for (const d of n.deadLetters) {
      this.counts.deadLetters[d.reason] = (this.counts.deadLetters[d.reason] ?? 0) + 1;
      log?.debug({ topic, reason: d.reason, detail: d.detail }, 'normalise.dead_lettered');
    }
    const alerts = n.deadLetters.length ? this.mismatches.take(n.deadLetters) : [];
    this.counts.alerts += alerts.length;
    if (log) for (const a of alerts) log.info({ alertId: a.alertId, rule: a.rule, severity: a.severity, containerId: a.containerId, tripId: a.tripId, deviceId: a.deviceId }, 'ingest.alert_raised');
    return { readings: n.readings, deadLetters: n.deadLetters, alerts, result: n };
  }

  /** The message's output is delivered: its ids now count as seen (with `deferRecord`). */
  delivered(x: Ingested): void {
    this.normaliser.remember(x.result);
  }

  /** The sink did not take these alerts: the message, brought again, raises them again. */
  notDelivered(alerts: readonly Alert[]): void {
    this.mismatches.forget(alerts);
  }
}
