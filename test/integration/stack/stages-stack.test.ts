import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS, topicSpecs } from '../../../src/bus/topics.js';
import { buildCorpus, FAULT_SETS, PipelineProcess, positionGroupsAtEnd, publishCorpus, report, settledOutcome } from '../../helpers/faults.js';
import { stackConfig } from '../../helpers/stack.js';

/**
 * Issue 14: the stages as separate processes against the real Mosquitto,
 * Kafka and InfluxDB. `sealwatch run --stages ingest` takes the MQTT
 * messages onto Kafka (gzip-compressed batches, `bus.compression`), a second process `--stages rules,telemetry` runs the
 * engine and writes readings to InfluxDB; together they give exactly the
 * alert ids of the in-process (embedded) decode and rule path over the same
 * messages, every reading on the telemetry topic and in InfluxDB, and each
 * stops on SIGTERM with the counts of the stages it ran, and of no other.
 */
describe('stages as separate processes (Mosquitto, Kafka, InfluxDB)', () => {
  it('ingest in one process, rules and telemetry in another: the alert ids of the embedded run, every reading in InfluxDB', { timeout: 300_000 }, async () => {
    const runId = randomUUID().slice(0, 8);
    const corpus = buildCorpus('stages', 5_000 + (Date.now() % 100_000) * 7, 20, 12);
    const config = stackConfig(FAULT_SETS);
    const bus = new KafkaBus(config.kafka);
    const groupId = `sw-stages-${runId}`;
    const common = ['--trips', corpus.tripsDir, ...[`kafka.groupId=${groupId}`, 'mqtt.trustReceivedAtProperty=true', 'api.enabled=false', ...FAULT_SETS].flatMap((s) => ['--set', s])];
    const ingestLog = join(corpus.tripsDir, '..', 'ingest.log');
    const rulesLog = join(corpus.tripsDir, '..', 'rules.log');
    // the ingest process compresses its telemetry produce batches: the other decodes them as ever
    const ingest = new PipelineProcess(['--stages', 'ingest', '--set', `mqtt.clientId=sw-stages-ingest-${runId}`, '--set', 'bus.compression=gzip', ...common], ingestLog);
    const rules = new PipelineProcess(['--stages', 'rules,telemetry', '--set', `engine.recoverFrom=${new Date(Date.now() - 1000).toISOString()}`, ...common], rulesLog);
    try {
      await bus.ensureTopics(topicSpecs(config));
      const from = { telemetry: await bus.endOffsets(TOPICS.telemetry), alerts: await bus.endOffsets(TOPICS.alerts) };
      await positionGroupsAtEnd(config, [groupId, `${groupId}-telemetry-influx`]);
      await rules.start();
      await ingest.start();
      const published = await publishCorpus(config, corpus, runId, { ratePerS: 400, deadlineMs: 240_000 });
      expect(published).toBe(corpus.sim.messages.length);
      const outcome = await settledOutcome(config, bus, corpus, from, { deadlineMs: 120_000, pollMs: 2000, settleMs: 3000 });
      process.stdout.write(report('stages', corpus, published, outcome, 'ingest | rules,telemetry') + '\n');
      expect(corpus.alertIds.size).toBeGreaterThanOrEqual(5);
      expect([...outcome.alertIds].sort(), `ingest log ${ingestLog}, rules log ${rulesLog}`).toEqual([...corpus.alertIds].sort());
      expect([...outcome.influxAlertPoints.keys()].sort()).toEqual([...corpus.alertIds].sort());
      expect(outcome.telemetryEventIds.size).toBe(corpus.eventIds.size);
      expect(outcome.influxTelemetryPoints).toBe(corpus.points.size);

      // SIGTERM stops only what each process runs; each exits reporting its own stages
      await ingest.stop();
      await rules.stop();
      const stopped = (file: string) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"msg":"pipeline.stopped"'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      const [i] = stopped(ingestLog);
      const [r] = stopped(rulesLog);
      expect(i, readFileSync(ingestLog, 'utf8').slice(-3000)).toBeDefined();
      expect(r, readFileSync(rulesLog, 'utf8').slice(-3000)).toBeDefined();
      expect(i!.stages).toEqual(['ingest']);
      expect(i).toHaveProperty('ingest');
      expect(i).not.toHaveProperty('rules');
      expect(i).not.toHaveProperty('telemetry');
      expect((i!.ingest as { messages: number }).messages).toBe(corpus.sim.messages.length);
      expect(r!.stages).toEqual(['rules', 'telemetry']);
      expect(r).not.toHaveProperty('ingest');
      expect((r!.rules as { readings: number }).readings).toBeGreaterThanOrEqual(corpus.eventIds.size);
      expect((r!.telemetry as { written: number }).written).toBeGreaterThanOrEqual(corpus.eventIds.size);
      // only the ingest process connects to Mosquitto
      expect(readFileSync(ingestLog, 'utf8')).toContain('"msg":"ingest.subscribed"');
      expect(readFileSync(rulesLog, 'utf8')).not.toContain('"msg":"ingest.subscribed"');
    } finally {
      await ingest.stop().catch(() => {});
      await rules.stop().catch(() => {});
      await bus.close();
    }
  });
});
