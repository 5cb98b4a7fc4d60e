import type { Logger } from 'pino';
import { createBus } from '../bus/create.js';
import type { Bus } from '../bus/port.js';
import { TOPICS, topicSpecs } from '../bus/topics.js';
import { STAGES, type Config, type StageName } from '../config/schema.js';
import { startListener, type Listener } from '../ingest/listener.js';
import type { PortTable } from '../geo/ports.js';
import { TripDirectory } from '../trips/directory.js';
import { Jurisdictions } from '../trips/jurisdiction.js';
import { buildSinks } from '../sinks/build.js';
import { InfluxWriter } from '../sinks/influx.js';
import type { AlertSink } from '../sinks/sink.js';
import { createWebhookDispatcher, REPLAY_HEADER, type WebhookDispatcher } from '../sinks/webhook.js';
import { IngestStage } from './ingest-stage.js';
import { IngestStep } from '../ingest/ingest-step.js';
import { CollectingEngine } from './processor.js';
import { RulesStage } from './rules-stage.js';
import { TelemetryStage } from './telemetry-stage.js';
import { followTrips } from './trips-sync.js';
import { followRuleHistory } from './rule-history-sync.js';
import { RuleTimeline } from '../config/rule-history.js';
import { PipelineInstruments } from './instruments.js';

export interface PipelineOptions {
  config: Config;
  ports: PortTable;
  trips: TripDirectory;
  log: Logger;
  /** Overrides the configured broker URL (the embedded broker's). */
  mqttUrl?: string;
  bus?: Bus;
  extraSinks?: AlertSink[];
  /**
   * Webhook delivery: a dispatcher of the caller's over the same bus, or null
   * for none (a replay: nothing goes to the targeting centres); absent: made
   * from `webhooks` in the configuration (none without targets).
   */
  webhooks?: WebhookDispatcher | null;
  /**
   * Mark this pipeline's alerts on the alerts topic as a replay's (the
   * `sealwatch-replay` header with this value): the webhook consumers of
   * every pipeline on the bus pass them by.
   */
  replayMark?: string;
  /** The rules stage's group starts at the current end of the telemetry topic (a replay's private group). */
  rulesFromNow?: boolean;
  /** With Kafka: load the trips topic into `trips` and follow it (default). A replay through the stack says false: its engine reasons with the replay's plans only, as the embedded replay does. */
  followTrips?: boolean;
  /** Rule thresholds by event time, shared with the API in the same process; absent: one made from `rules`. Either way it follows the rule-history topic. */
  ruleTimeline?: RuleTimeline;
}

/** What runs in a process: the stages of `pipeline.stages` (all three by default). */
export interface Stages {
  bus: Bus;
  /** The stages this process runs. */
  stages: ReadonlySet<StageName>;
  instruments: PipelineInstruments;
  /** The ingest stage and its MQTT listener, when this process runs ingest. */
  ingest: IngestStage | null;
  listener: Listener | null;
  /** The rules stage, when this process runs it (webhook delivery runs with it). */
  rules: RulesStage | null;
  /** The telemetry stage, when this process runs it and InfluxDB takes telemetry. */
  telemetry: TelemetryStage | null;
  /** The webhook dispatcher, if any (the API shows its deliveries). */
  webhooks: WebhookDispatcher | null;
  /** The rule thresholds the engine reads, by event time (PUT /api/rules appends to it); absent without the rules stage. */
  ruleTimeline?: RuleTimeline;
  /** Waits until the rules stage (if any) has processed everything on the bus so far. */
  drain(): Promise<void>;
  /** Stops taking MQTT messages, lets the rules stage consume what the bus holds (up to `drainMs`), then stops every stage this process runs. */
  stop(drainMs?: number): Promise<void>;
}

/** Every stage in one process (the embedded mode, the demo, a replay). */
export interface Pipeline extends Stages {
  ingest: IngestStage;
  listener: Listener;
  rules: RulesStage;
  ruleTimeline: RuleTimeline;
}

/**
 * MQTT -> ingest -> bus -> rules -> sinks, every stage in one process. With
 * the memory bus this is the embedded mode; with Kafka each stage can as well
 * run alone (`startStages`).
 */
export async function startPipeline(o: PipelineOptions): Promise<Pipeline> {
  const s = await startStages({ ...o, stages: STAGES });
  if (!s.ingest || !s.listener || !s.rules || !s.ruleTimeline) throw new Error('startPipeline: a stage did not start');
  return { ...s, ingest: s.ingest, listener: s.listener, rules: s.rules, ruleTimeline: s.ruleTimeline };
}

/**
 * The chosen stages (default `pipeline.stages`) in this process. Ingest needs
 * the trip plans (it binds readings to trips) and the alert sinks (alerts it
 * raises itself); rules needs the plans, the rule history and the sinks, and
 * webhook delivery runs beside it; telemetry needs InfluxDB only. A subset
 * needs Kafka: the configuration refuses one with the memory bus.
 */
export async function startStages(o: PipelineOptions & { stages?: readonly StageName[] }): Promise<Stages> {
  const { config, log } = o;
  const stages = new Set<StageName>(o.stages ?? config.pipeline.stages);
  // a bus of the caller's may be shared by several calls in one process (a test); one made here is this process's alone
  if (!o.bus && stages.size < STAGES.length && config.bus.kind === 'memory') throw new Error(`pipeline.stages: ${[...stages].join(',')} needs bus.kind kafka (the memory bus lives in one process: run all of ${STAGES.join(',')})`);
  const runs = (s: StageName) => stages.has(s);
  const bus = o.bus ?? createBus(config, log);
  const influx = config.influx.enabled ? new InfluxWriter(config.influx, log) : null;
  const { sink } = buildSinks(config, { log, bus, influx, extra: o.extraSinks ?? [], ...(o.replayMark !== undefined ? { alertHeaders: { [REPLAY_HEADER]: o.replayMark } } : {}) });
  // before any I/O: a webhook target without its secret stops start-up here (webhook delivery runs with the rules stage)
  const webhooks = !runs('rules') ? null : o.webhooks !== undefined ? o.webhooks : createWebhookDispatcher(config, bus, log, process.env, new Jurisdictions(config.centres, o.trips));
  await bus.ensureTopics(topicSpecs(config));
  let telemetry: TelemetryStage | null = null;
  if (runs('telemetry') && influx && config.influx.writeTelemetry) {
    telemetry = new TelemetryStage(bus, influx, `${config.kafka.groupId}-telemetry-influx`, log, {
      fromNow: o.rulesFromNow ?? false,
      retryWindowMs: config.influx.batchRetryWindowMs,
      batchLines: config.influx.batchSize,
      // the memory bus hands out one batch at a time: nothing would join a write that waits
      lingerMs: bus.kind === 'kafka' ? config.influx.telemetryLingerMs : 0,
      concurrency: config.kafka.partitions.telemetry,
    });
    await telemetry.start();
  }
  const instruments = new PipelineInstruments();
  influx?.registerMetrics(instruments.registry);
  const needsTrips = runs('ingest') || runs('rules');
  const tripsSub = needsTrips && bus.kind === 'kafka' && o.followTrips !== false ? await followTrips(bus, o.trips, log.child({ module: 'trips' })) : null;
  let rules: RulesStage | null = null;
  let ruleTimeline: RuleTimeline | undefined;
  let ruleHistorySub: { stop(): Promise<void> } | null = null;
  if (runs('rules')) {
    // before the rules stage starts: recovery and the first readings reason with the changes made so far
    ruleTimeline = o.ruleTimeline ?? new RuleTimeline(config.rules);
    ruleHistorySub = await followRuleHistory(bus, ruleTimeline, log.child({ module: 'rules' }));
    // once the plans are loaded (a target's centre and ports are matched against them), before any alert is raised
    await webhooks?.start();
    rules = new RulesStage(
      bus,
      new CollectingEngine(config, o.trips, o.ports, ruleTimeline),
      sink,
      {
        groupId: config.kafka.groupId,
        idleFlushMs: config.engine.idleFlushMs,
        fromNow: o.rulesFromNow ?? false,
        recover: config.engine.recoverOnStart && !(o.rulesFromNow ?? false),
        idleRelease: !config.mqtt.trustReceivedAtProperty,
        recoverFromMs: config.engine.recoverFrom ? Date.parse(config.engine.recoverFrom) : null,
        // the memory bus does not outlive the process: nothing to restore from
        snapshots: config.engine.snapshots && bus.kind === 'kafka' ? { intervalMs: config.engine.snapshotIntervalMs } : null,
        instruments,
      },
      log.child({ module: 'rules' }),
    );
    await rules.start();
  }
  let ingest: IngestStage | null = null;
  let listener: Listener | null = null;
  if (runs('ingest')) {
    ingest = new IngestStage(bus, IngestStep.fromConfig(config, o.trips, { deferRecord: true, log: log.child({ module: 'ingest' }) }), influx, instruments, true, sink);
    listener = await startListener(config.mqtt, ingest.handle, { log: log.child({ module: 'ingest' }), ...(o.mqttUrl ? { url: o.mqttUrl } : {}) });
  }
  return {
    bus,
    stages,
    instruments,
    ingest,
    listener,
    rules,
    telemetry,
    webhooks,
    ...(ruleTimeline ? { ruleTimeline } : {}),
    drain: () => rules?.drain() ?? Promise.resolve(),
    async stop(drainMs = 5000) {
      // InfluxDB down at shutdown: its writers stop retrying in time for the stages to stop (offsets stay uncommitted)
      influx?.abortRetriesAfter(drainMs + config.influx.timeoutMs);
      await listener?.close();
      // what the bus already holds is processed before stopping, within a bound (Kafka keeps the rest)
      if (rules) {
        const until = Date.now() + drainMs;
        while (Date.now() < until && (await bus.lag(config.kafka.groupId, TOPICS.telemetry).catch(() => 0)) > 0) await new Promise((r) => setTimeout(r, 50));
        await rules.stop();
      }
      // what is not delivered yet stays uncommitted in each target's group, for the next start
      await webhooks?.stop();
      await telemetry?.stop();
      await tripsSub?.stop();
      await ruleHistorySub?.stop();
      await sink.close();
      await influx?.close();
      await bus.close();
    },
  };
}

export function newTripDirectory(config: Config): TripDirectory {
  return new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs });
}
