import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS, topicSpecs } from '../../../src/bus/topics.js';
import { buildCorpus, corpusOnKafka, FAULT_SETS, PipelineProcess, positionGroupsAtEnd, publishCorpus, report, settledOutcome } from '../../helpers/faults.js';
import { stackConfig } from '../../helpers/stack.js';

/**
 * Two whole `sealwatch run` processes (ingest, rules and telemetry each) side
 * by side on Mosquitto and Kafka, with one MQTT shared subscription group
 * (`mqtt.sharedGroup`) and one consumer group: Mosquitto hands each device
 * message to one of them, so each reading reaches Kafka once (two plain
 * subscriptions would put every reading there twice), both take a share, and
 * the alerts are exactly the in-process reference run's.
 *
 * Two ingest processes put one container's consecutive readings on Kafka by
 * two paths, a few to some tens of milliseconds apart. In the field that is
 * nothing against the engine's 60 s reorder window. This test publishes 12
 * simulated hours in about 20 s (some 2,000 times faster than life), where
 * the default window would be 30 ms of wall time and a skew between the two
 * paths (hundreds of milliseconds were seen on a busy 2-core machine) would
 * make readings late. Both runs therefore use the largest window (1 h, about
 * 1.8 s here), closer to the time scale of the field.
 * For the same reason the fence that ends the corpus, 70 simulated minutes
 * after it, is published once the corpus is on Kafka: published at once, it
 * could overtake the corpus's last messages on the other instance's path and
 * make them late, which 70 real minutes never would.
 */
describe('whole instances side by side with a shared MQTT subscription (Mosquitto, Kafka, InfluxDB)', () => {
  it('each message is ingested once, by one of the two; the alert ids of the reference run', { timeout: 300_000 }, async () => {
    const runId = randomUUID().slice(0, 8);
    const sets = [...FAULT_SETS, 'engine.reorderWindowMs=3600000'];
    const corpus = buildCorpus('shared', 11_000 + (Date.now() % 100_000) * 7, 20, 12, sets);
    const config = stackConfig(sets);
    const bus = new KafkaBus(config.kafka);
    const groupId = `sw-shared-${runId}`;
    const dir = join(corpus.tripsDir, '..');
    const common = [
      '--trips',
      corpus.tripsDir,
      ...[`kafka.groupId=${groupId}`, `mqtt.sharedGroup=sw-shared-${runId}`, 'mqtt.trustReceivedAtProperty=true', 'api.enabled=false', `engine.recoverFrom=${new Date(Date.now() - 1000).toISOString()}`, ...sets].flatMap((s) => ['--set', s]),
    ];
    const a = new PipelineProcess([...common, '--set', `mqtt.clientId=sw-shared-${runId}-a`], join(dir, 'a.log'));
    const b = new PipelineProcess([...common, '--set', `mqtt.clientId=sw-shared-${runId}-b`], join(dir, 'b.log'));
    try {
      await bus.ensureTopics(topicSpecs(config));
      const from = { telemetry: await bus.endOffsets(TOPICS.telemetry), alerts: await bus.endOffsets(TOPICS.alerts) };
      await positionGroupsAtEnd(config, [groupId, `${groupId}-telemetry-influx`]);
      await Promise.all([a.start(), b.start()]);
      // several publishing connections, so the broker's round robin has more than one stream to share
      // the fence (messages 70 simulated minutes after the corpus) goes out once the corpus is on Kafka
      const published = await publishCorpus(config, corpus, runId, { ratePerS: 100, clients: 4, deadlineMs: 200_000, beforeFence: () => corpusOnKafka(bus, corpus, from.telemetry, 60_000) });
      expect(published).toBe(corpus.sim.messages.length);
      const outcome = await settledOutcome(config, bus, corpus, from, { deadlineMs: 120_000, pollMs: 2000, settleMs: 3000 });
      await a.stop();
      await b.stop();
      const ingested = (p: PipelineProcess) => {
        const line = readFileSync(p.logFile, 'utf8')
          .split('\n')
          .find((l) => l.includes('"msg":"pipeline.stopped"'));
        expect(line, p.logTail()).toBeDefined();
        return (JSON.parse(line!) as { ingest: { messages: number } }).ingest.messages;
      };
      const [na, nb] = [ingested(a), ingested(b)];
      process.stdout.write(`${report('shared-ingest', corpus, published, outcome, `instance a ingested ${na} messages, b ${nb}`)}\n`);
      // each message once, and both took a share
      expect(na + nb).toBe(corpus.sim.messages.length);
      expect(na).toBeGreaterThan(0);
      expect(nb).toBeGreaterThan(0);
      // Once, not twice: a device's own retransmissions (the simulator repeats a few messages, as
      // field devices do) may reach the other instance, whose duplicate window never saw the first
      // copy, so those few reach Kafka twice (the engine skips them by event id; InfluxDB keeps one point)
      expect(outcome.telemetryMessages).toBeLessThan(corpus.eventIds.size * 1.05);
      expect([...corpus.eventIds].filter((id) => !outcome.telemetryEventIds.has(id))).toEqual([]);
      expect(outcome.influxTelemetryPoints).toBe(corpus.points.size);
      expect(corpus.alertIds.size).toBeGreaterThanOrEqual(5);
      // past the window, a reading overtaken on the other path is late: say so if they differ
      const order = `largest arrival-time step back of a container on Kafka ${Math.round(outcome.arrivalInversionMs / 1000)} s, reorder window ${config.engine.reorderWindowMs / 1000} s`;
      expect([...outcome.alertIds].sort(), `logs in ${dir}; ${order}`).toEqual([...corpus.alertIds].sort());
      expect([...outcome.influxAlertPoints.keys()].sort()).toEqual([...corpus.alertIds].sort());
    } finally {
      await a.stop().catch(() => {});
      await b.stop().catch(() => {});
      await bus.close();
    }
  });
});
