import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS, topicSpecs } from '../../../src/bus/topics.js';
import { buildCorpus, FAULT_SETS, PipelineProcess, positionGroupsAtEnd, publishCorpus, report, settledOutcome, sleep } from '../../helpers/faults.js';
import { stackConfig } from '../../helpers/stack.js';

/**
 * Issue 12, item 3: several `sealwatch run` instances in one consumer group
 * on the real Kafka (6 telemetry partitions). One `--stages ingest` process
 * takes the corpus from Mosquitto onto Kafka; three `--stages
 * rules,telemetry` instances share the telemetry partitions. Mid-stream one
 * of them is killed with SIGKILL (first rebalance: the two others take its
 * partitions and restore them from the snapshots it wrote), and once they
 * have, a fourth starts (second rebalance: it takes partitions from the
 * others and restores them from their snapshots). Zero readings lost, the
 * exact alert ids of the in-process reference run, no alert twice in
 * InfluxDB, and the recovery log of every instance printed: which
 * partitions it restored, from which snapshot (offset, writer, time).
 */

interface LogLine {
  msg: string;
  partition?: number;
  offset?: string;
  writtenBy?: string | null;
  writtenAt?: string;
  containers?: number;
  ms?: number;
  from?: string;
  to?: string;
}

function logLines(file: string): LogLine[] {
  const out: LogLine[] = [];
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as LogLine);
    } catch {
      // a line cut by SIGKILL
    }
  }
  return out;
}

const RECOVERY = new Set(['rules.snapshot_restored', 'rules.snapshot_none', 'rules.snapshot_unusable', 'rules.partition_catch_up', 'rules.partition_dropped']);

function recoveryLog(name: string, file: string): string {
  const lines = logLines(file).filter((l) => RECOVERY.has(l.msg));
  const show = (l: LogLine) => {
    switch (l.msg) {
      case 'rules.snapshot_restored':
        return `partition ${l.partition} restored from the snapshot at offset ${l.offset} written by ${l.writtenBy} at ${l.writtenAt} (${l.containers} containers, ${l.ms} ms)`;
      case 'rules.snapshot_none':
        return `partition ${l.partition}: no snapshot yet, rebuilt from the log`;
      case 'rules.partition_catch_up':
        return `partition ${l.partition}: telemetry ${l.from}..${l.to} fed silently`;
      case 'rules.partition_dropped':
        return `partition ${l.partition} dropped (revoked)`;
      default:
        return `${l.msg} ${JSON.stringify(l)}`;
    }
  };
  return `  ${name}:\n${lines.map((l) => `    ${show(l)}`).join('\n')}`;
}

describe('several instances in one group (Mosquitto, Kafka, InfluxDB)', () => {
  it('three rules instances, one killed -9 mid-stream, a fourth started later: nothing lost, the reference alert ids, each partition restored from a snapshot', { timeout: 600_000 }, async () => {
    const runId = randomUUID().slice(0, 8);
    const corpus = buildCorpus('multi', 9_000 + (Date.now() % 100_000) * 7, 40, 24);
    const config = stackConfig(FAULT_SETS);
    expect(config.kafka.partitions.telemetry).toBe(6);
    const bus = new KafkaBus(config.kafka);
    const groupId = `sw-multi-${runId}`;
    const dir = join(corpus.tripsDir, '..');
    const common = ['--trips', corpus.tripsDir, ...[`kafka.groupId=${groupId}`, 'mqtt.trustReceivedAtProperty=true', 'api.enabled=false', ...FAULT_SETS].flatMap((s) => ['--set', s])];
    const ingest = new PipelineProcess(['--stages', 'ingest', '--set', `mqtt.clientId=sw-multi-ingest-${runId}`, ...common], join(dir, 'ingest.log'));
    const since = new Date(Date.now() - 1000).toISOString();
    const rules = (name: string) =>
      new PipelineProcess(['--stages', 'rules,telemetry', '--set', `engine.recoverFrom=${since}`, '--set', 'engine.snapshotIntervalMs=2000', '--set', 'kafka.sessionTimeoutMs=10000', ...common], join(dir, `${name}.log`));
    const [r1, r2, r3, r4] = ['rules-1', 'rules-2', 'rules-3', 'rules-4'].map(rules) as [PipelineProcess, PipelineProcess, PipelineProcess, PipelineProcess];
    const all = [ingest, r1, r2, r3, r4];
    const restoredIn = (p: PipelineProcess) => logLines(p.logFile).filter((l) => l.msg === 'rules.snapshot_restored');
    const waitFor = async (what: string, ms: number, ok: () => boolean) => {
      const deadline = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await sleep(500);
      }
    };
    let killedPid: number | undefined;
    let restoredBefore = 0;
    try {
      await bus.ensureTopics(topicSpecs(config));
      const from = { telemetry: await bus.endOffsets(TOPICS.telemetry), alerts: await bus.endOffsets(TOPICS.alerts) };
      await positionGroupsAtEnd(config, [groupId, `${groupId}-telemetry-influx`]);
      const t0 = Date.now();
      await Promise.all([r1.start(), r2.start(), r3.start()]);
      await ingest.start();
      const secs = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
      const timeline: string[] = [];
      let faults: Promise<void> | null = null;
      const faultAt = Math.floor(corpus.sim.messages.length * 0.2);
      const published = await publishCorpus(config, corpus, runId, {
        ratePerS: 80,
        deadlineMs: 400_000,
        onProgress: (sent) => {
          if (sent < faultAt || faults) return;
          faults = (async () => {
            // let every instance write a snapshot of what it holds first
            await sleep(3000);
            killedPid = r2.pid;
            restoredBefore = restoredIn(r1).length + restoredIn(r3).length;
            await r2.kill9();
            timeline.push(`rules-2 (pid ${killedPid}) killed -9 at ${secs()}`);
            // first rebalance: once the session of the dead member times out (kafka.sessionTimeoutMs, 10 s here), the others take its partitions
            await waitFor('the survivors to restore the dead instance’s partitions', 120_000, () => restoredIn(r1).length + restoredIn(r3).length > restoredBefore);
            timeline.push(`first rebalance: survivors restored by ${secs()}`);
            await r4.start();
            timeline.push(`rules-4 started at ${secs()}`);
            // second rebalance: the newcomer takes partitions from the others
            await waitFor('the new instance to restore its partitions', 120_000, () => restoredIn(r4).length > 0);
            timeline.push(`second rebalance: rules-4 restored by ${secs()}`);
          })();
        },
      });
      timeline.push(`published by ${secs()}`);
      await (faults ?? Promise.resolve());
      const outcome = await settledOutcome(config, bus, corpus, from, { deadlineMs: 180_000, pollMs: 3000, settleMs: 4000 });
      const logs = [r1, r2, r3, r4].map((p, i) => recoveryLog(`rules-${i + 1}`, p.logFile)).join('\n');
      process.stdout.write(`${report('multi-instance', corpus, published, outcome, timeline.join(', '))}\nrecovery log:\n${logs}\n`);

      expect(faults, 'the faults never started').not.toBeNull();
      expect(published).toBe(corpus.sim.messages.length);
      expect(corpus.alertIds.size).toBeGreaterThanOrEqual(10);
      // zero readings lost, on Kafka and in InfluxDB
      expect([...corpus.eventIds].filter((id) => !outcome.telemetryEventIds.has(id))).toEqual([]);
      expect(outcome.influxTelemetryPoints).toBe(corpus.points.size);
      // the exact alert ids of the reference run, each once in InfluxDB
      expect([...outcome.alertIds].sort(), `logs in ${dir}`).toEqual([...corpus.alertIds].sort());
      expect([...outcome.influxAlertPoints.keys()].sort()).toEqual([...corpus.alertIds].sort());
      expect([...outcome.influxAlertPoints.entries()].filter(([, n]) => n > 1)).toEqual([]);
      // the first rebalance: the survivors restored partitions from snapshots the killed instance wrote
      const after = [...restoredIn(r1), ...restoredIn(r3)].slice(restoredBefore);
      expect(
        after.some((l) => l.writtenBy?.endsWith(`:${killedPid}`)),
        logs,
      ).toBe(true);
      // the second: the newcomer restored its partitions from snapshots of the others, never rebuilding from the log
      const r4Lines = logLines(r4.logFile);
      expect(restoredIn(r4).length, logs).toBeGreaterThan(0);
      expect(r4Lines.filter((l) => l.msg === 'rules.snapshot_none' || l.msg === 'rules.snapshot_unusable')).toEqual([]);
      // and someone gave those partitions up
      expect(
        [r1, r3].some((p) => logLines(p.logFile).some((l) => l.msg === 'rules.partition_dropped')),
        logs,
      ).toBe(true);
    } finally {
      await Promise.all(all.map((p) => p.stop().catch(() => {})));
      await bus.close();
    }
  });
});
