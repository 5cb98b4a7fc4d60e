import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import { createBus } from '../bus/create.js';
import { TOPICS } from '../bus/topics.js';
import type { Config } from '../config/schema.js';
import { AlertSchema, type Alert } from '../model/alert.js';
import type { PortTable } from '../geo/ports.js';
import type { TripDirectory } from '../trips/directory.js';
import { startPipeline } from '../pipeline/app.js';
import { publishPlans } from '../pipeline/trips-sync.js';
import { SealwatchError } from '../errors.js';
import { mqttTlsOptions } from '../ingest/auth-tls.js';
import { readCapture } from './capture.js';

export interface StackReplayResult {
  alerts: Alert[];
  published: number;
  ingested: number;
  readings: number;
  deadLetters: Record<string, number>;
}

/**
 * Replays a capture through the real stack: the plans go onto the trips
 * topic (for the API and other readers; the replay's engine reasons with the
 * replay's plans alone, not with other runs' plans the topic still holds), the messages are published into the MQTT broker (MQTT 5, with each
 * message's recorded arrival time as the `received-at` user property), a
 * pipeline with a private consumer group ingests them into Kafka and runs the
 * rules, and the alerts are read back from `sealwatch.alerts.v1`.
 */
export async function replayThroughStack(file: string, config: Config, trips: TripDirectory, ports: PortTable, log: Logger, onProgress?: (stage: string, done: number, total: number) => void): Promise<StackReplayResult> {
  const run = randomUUID().slice(0, 8);
  const cfg: Config = {
    ...config,
    bus: { ...config.bus, kind: 'kafka' },
    mqtt: { ...config.mqtt, protocolVersion: 5, cleanSession: true, trustReceivedAtProperty: true, clientId: `sealwatch-replay-${run}` },
    kafka: { ...config.kafka, groupId: `sealwatch-replay-${run}` },
    sinks: { alertsFile: null, console: false },
  };
  const bus = createBus(cfg, log);
  const alertsFrom = await bus.endOffsets(TOPICS.alerts).catch(async () => new Map<number, string>());
  // a replay re-raises alerts of the past: nothing goes to the targeting centres' webhooks, neither
  // from this pipeline (no dispatcher) nor from a live one on the same bus (its alerts carry the replay's mark)
  const pipeline = await startPipeline({ config: cfg, ports, trips, log, bus, rulesFromNow: true, webhooks: null, replayMark: run, followTrips: false });
  await publishPlans(bus, trips.all());
  const publisher = mqtt.connect(cfg.mqtt.url, {
    clientId: `sealwatch-replay-pub-${run}`,
    protocolVersion: 5,
    clean: true,
    ...(cfg.mqtt.username ? { username: cfg.mqtt.username } : {}),
    ...(cfg.mqtt.password ? { password: cfg.mqtt.password } : {}),
    ...mqttTlsOptions(cfg.mqtt.caFile),
  });
  await new Promise<void>((resolve, reject) => {
    publisher.once('connect', () => resolve());
    publisher.once('error', (err) => reject(new SealwatchError('SW_ERR_MQTT_CONNECT', [cfg.mqtt.url, err.message])));
  });
  let published = 0;
  try {
    const inflight = new Set<Promise<unknown>>();
    for await (const m of readCapture(file)) {
      const p = publisher.publishAsync(m.topic, m.payload, { qos: 1, properties: { userProperties: { 'received-at': new Date(m.t).toISOString() } } });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      if (inflight.size >= 100) await Promise.race(inflight);
      // Flow control: stay at most a few thousand messages ahead of the pipeline, whatever the broker's queue limits.
      while (published - pipeline.ingest.counts.messages > 2000) await new Promise((r) => setTimeout(r, 20));
      if (++published % 1000 === 0) onProgress?.('published', published, 0);
    }
    await Promise.all(inflight);
    // Drained when our listener took every message and the rules stage consumed every reading it produced.
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      const { messages, readings } = pipeline.ingest.counts;
      onProgress?.('processed', pipeline.rules.counts.readings, readings);
      if (messages >= published && pipeline.rules.counts.readings >= readings) break;
      if (Date.now() > deadline) throw new Error(`stack replay did not drain: ${messages}/${published} messages ingested, ${pipeline.rules.counts.readings}/${readings} readings evaluated`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await pipeline.rules.flush();
    const raised = pipeline.rules.counts.alerts + pipeline.ingest.counts.alerts;
    const seen = new Map<string, Alert>();
    const readDeadline = Date.now() + 60_000;
    while (seen.size < raised && Date.now() < readDeadline) {
      for (const m of await bus.readAll(TOPICS.alerts, alertsFrom)) {
        const a = AlertSchema.parse(JSON.parse(m.value.toString('utf8')));
        seen.set(a.alertId, a);
      }
      if (seen.size < raised) await new Promise((r) => setTimeout(r, 200));
    }
    return { alerts: [...seen.values()], published, ingested: pipeline.ingest.counts.messages, readings: pipeline.ingest.counts.readings, deadLetters: pipeline.ingest.counts.deadLetters };
  } finally {
    await publisher.endAsync();
    await pipeline.stop();
  }
}
