import type { Config } from '../config/schema.js';
import type { TopicSpec } from './port.js';

/** Kafka topic names fixed by WIRE section 6 (plus `late` and `alertStatus`, which WIRE leaves open). */
export const TOPICS = {
  raw: 'sealwatch.raw.v1',
  telemetry: 'sealwatch.telemetry.v1',
  deadletter: 'sealwatch.deadletter.v1',
  alerts: 'sealwatch.alerts.v1',
  trips: 'sealwatch.trips.v1',
  /** Readings that arrived after the engine had reasoned past their time: kept for inspection and re-processing. */
  late: 'sealwatch.late.v1',
  /**
   * Alert lifecycle records (the API's acknowledge, assign, close), keyed by
   * alert id; compacted, each value the whole record, so compaction keeps
   * exactly what a restart needs.
   */
  alertStatus: 'sealwatch.alert-status.v1',
  /**
   * Rule-threshold changes (PUT /api/rules/{id}), keyed by version
   * (`v0000000001`...); compacted, and since no two changes share a key,
   * compaction keeps the whole history: the audit trail and what a replay
   * needs to reason as the live run did.
   */
  ruleHistory: 'sealwatch.rule-history.v1',
  /**
   * Webhook deliveries whose retry budget is spent (or that the target refused),
   * keyed by alert id: what was tried, how it ended, and the alert itself, for
   * the API (GET /api/webhooks/dead) and for sending again by hand.
   */
  webhookDead: 'sealwatch.webhook-dead.v1',
  /**
   * The rules stage's engine snapshots per consumer group and telemetry
   * partition (src/pipeline/engine-snapshots.ts), compacted: a restart
   * restores the latest and replays only the telemetry after it.
   */
  engineSnapshots: 'sealwatch.engine-snapshots.v1',
} as const;

export type TopicRole = keyof typeof TOPICS;

/** The pipeline's topics as it creates them when they are missing. */
export function topicSpecs(config: Config): TopicSpec[] {
  const p = config.kafka.partitions;
  return [
    { topic: TOPICS.raw, partitions: p.raw },
    { topic: TOPICS.telemetry, partitions: p.telemetry, retentionMs: config.kafka.telemetryRetentionMs },
    { topic: TOPICS.deadletter, partitions: p.deadletter },
    { topic: TOPICS.alerts, partitions: p.alerts },
    { topic: TOPICS.trips, partitions: p.trips, compacted: true },
    { topic: TOPICS.late, partitions: p.late },
    { topic: TOPICS.webhookDead, partitions: p.webhookDead },
    // one partition: a snapshot's chunks and its manifest stay in order; short segments, so compaction keeps up
    { topic: TOPICS.engineSnapshots, partitions: 1, compacted: true, configs: { 'segment.ms': '600000' } },
  ];
}
