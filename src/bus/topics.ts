/** Kafka topic names fixed by WIRE section 6 (plus `late`, which WIRE leaves open). */
export const TOPICS = {
  raw: 'sealwatch.raw.v1',
  telemetry: 'sealwatch.telemetry.v1',
  deadletter: 'sealwatch.deadletter.v1',
  alerts: 'sealwatch.alerts.v1',
  trips: 'sealwatch.trips.v1',
  /** Readings that arrived after the engine had reasoned past their time: kept for inspection and re-processing. */
  late: 'sealwatch.late.v1',
} as const;

export type TopicRole = keyof typeof TOPICS;
