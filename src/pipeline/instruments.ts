import { Histogram, Registry } from 'prom-client';

/**
 * The pipeline's latency histograms, in one registry per pipeline (the API
 * merges it into /metrics). Names follow the stage that owns them.
 */
export class PipelineInstruments {
  readonly registry = new Registry();
  /** Time to normalise one MQTT message and have the bus accept its outputs (the MQTT ack waits for it). */
  readonly ingestSeconds = new Histogram({
    name: 'sealwatch_ingest_handle_seconds',
    help: 'Ingest stage: decode + bus produce per MQTT message',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  /** Time to evaluate one telemetry batch and have every sink write its alerts (offsets are committed after). */
  readonly rulesBatchSeconds = new Histogram({
    name: 'sealwatch_rules_batch_seconds',
    help: 'Rules stage: engine + sinks per consumed batch',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  /** From a reading's arrival at the listener to the alert it completed leaving the engine (includes the reorder hold). */
  readonly arrivalToAlertSeconds = new Histogram({
    name: 'sealwatch_arrival_to_alert_seconds',
    help: 'Arrival of the triggering reading to the alert being raised',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
}
