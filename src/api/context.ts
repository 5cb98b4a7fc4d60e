import type { Logger } from 'pino';
import type { Bus } from '../bus/port.js';
import type { Config } from '../config/schema.js';
import type { RuleTimeline } from '../config/rule-history.js';
import type { PortTable } from '../geo/ports.js';
import type { TripDirectory } from '../trips/directory.js';
import type { Jurisdictions } from '../trips/jurisdiction.js';
import type { IngestCounts } from '../ingest/ingest-step.js';
import type { WebhookDispatcher } from '../sinks/webhook.js';
import type { AlertStore } from './alert-store.js';
import type { TokenTable } from './auth.js';
import type { ContainerView } from './container-view.js';
import type { LifecycleStore } from './lifecycle.js';
import type { TrackSource } from './tracks.js';
import type { DeadDeliveries } from './webhook-dead.js';

/** What the API reads of a running pipeline: its counters and its MQTT connection. */
export interface PipelineProbe {
  /** The ingest stage and its listener; null when this process does not run ingest (`pipeline.stages`). */
  ingest: { counts: IngestCounts } | null;
  /** The rules stage; null when this process does not run it. */
  rules: { counts: { readings: number; undecodable: number; alerts: number; late: number } } | null;
  listener: { client: { connected: boolean } } | null;
  /** Latency histograms of the stages (merged into /metrics). */
  instruments?: { registry: import('prom-client').Registry };
  /** The rule thresholds its engine reads (a rule change through the API applies to it at once). */
  ruleTimeline?: RuleTimeline;
}

/** Everything the route plugins share, handed to each as its options. */
export interface ApiContext {
  config: Config;
  bus: Bus;
  trips: TripDirectory;
  ports: PortTable;
  log: Logger;
  alerts: AlertStore;
  lifecycle: LifecycleStore;
  containers: ContainerView;
  tracks: TrackSource;
  auth: TokenTable;
  /** Which centre sees which trips, containers and alerts. */
  jurisdictions: Jurisdictions;
  /** Rule thresholds by event time (the pipeline's own when in the same process). */
  ruleTimeline: RuleTimeline;
  /** The webhook dispatcher of the pipeline in this process, if any (deliveries it knows). */
  webhooks: WebhookDispatcher | null;
  /** Dead webhook deliveries, from their topic (every pipeline's). */
  webhookDead: DeadDeliveries;
  pipeline: PipelineProbe | null;
}
