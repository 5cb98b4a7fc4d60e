// A real `sealwatch run --stages rules` process restoring the snapshot
// suite's engine state from the local stack's Kafka (issue 12's "the log's
// restore line"): the telemetry topic gets the last cycle the engine ingested
// (so each snapshot's offset is a real offset of the topic, the end of that
// cycle) and readings after it; each lane's snapshot goes to
// sealwatch.engine-snapshots.v1 through the product's writer
// (EngineSnapshotStore.write, as the rules stage writes them) under a consumer
// group of its own, whose committed offsets are the snapshots' (as after a
// crash right after a snapshot); then the process is started against that
// Kafka and timed until its log has a `rules.snapshot_restored` line for
// every partition, and killed (SIGKILL, a crash: no last snapshot).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus } from '../../dist/src/bus/kafka.js';
import { TOPICS, topicSpecs } from '../../dist/src/bus/topics.js';
import { packagePath } from '../../dist/src/paths.js';
import { EngineSnapshotStore } from '../../dist/src/pipeline/engine-snapshots.js';
import { retry } from '../../dist/src/retry.js';
import { stackConfig } from './local-stack.mjs';
import { fmt, progress } from './measure.mjs';
import { lineSplitter, restoreEvent, restoreProgress, restoreTotals } from './restore-log.mjs';

const SEND_BATCH = 3000;

/** Messages `{ partition, key, value }` to the telemetry topic, in order, a batch at a time. */
async function produceAll(producer, messages) {
  for (let i = 0; i < messages.length; i += SEND_BATCH) await producer.send({ topic: TOPICS.telemetry, acks: -1, messages: messages.slice(i, i + SEND_BATCH) });
}

/**
 * `fn` again while it fails with a retriable Kafka error (a topic just created has no leader yet):
 * the project's retry helper, about a minute of backoff (100 ms doubling to 2 s) at most.
 */
async function retrying(label, fn) {
  try {
    return await retry(fn, { attempts: 45, minDelayMs: 100, maxDelayMs: 2000 });
  } catch (err) {
    throw new Error(`${label}: ${err.message}`, { cause: err });
  }
}

/**
 * @param {object} a
 * @param {number} a.partitions the lanes (telemetry partitions)
 * @param {number} a.containers the containers the snapshots hold
 * @param {Array<{ lane: number, containers: number, bytes: Buffer }>} a.snapshots encoded lane snapshots
 * @param {Array<{ partition: number, key: string, value: string }>} a.head the last readings the engine ingested
 * @param {Array<{ partition: number, key: string, value: string }>} a.tail readings after the snapshots
 * @param {number} a.rounds processes started, one after the other
 * @param {number} a.timeoutMs bound on one process's restore
 */
export async function realProcessRestore(a) {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const config = stackConfig();
  if (config.kafka.partitions.telemetry !== a.partitions) throw new Error(`real-process restore: kafka.partitions.telemetry is ${config.kafka.partitions.telemetry}, the bench's lanes ${a.partitions}`);
  const bus = new KafkaBus(config.kafka);
  const kafka = new Kafka({ clientId: `sw-bench-restore-${run}`, brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const out = { rounds: [], headMs: 0, tailMs: 0, offsets: new Map() };
  try {
    await bus.ensureTopics(topicSpecs(config));
    await admin.connect();
    const have = (await retrying('telemetry offsets', () => admin.fetchTopicOffsets(TOPICS.telemetry))).length;
    if (have !== a.partitions) throw new Error(`real-process restore: ${TOPICS.telemetry} has ${have} partitions, the bench's lanes ${a.partitions} (an old stack? scripts/stack.sh up --fresh)`);
    await producer.connect();
    let t = performance.now();
    await produceAll(producer, a.head);
    out.headMs = performance.now() - t;
    // the snapshots cover the log up to here: the offset each holds is the partition's end now
    for (const o of await retrying('telemetry offsets', () => admin.fetchTopicOffsets(TOPICS.telemetry))) out.offsets.set(o.partition, o.high);
    t = performance.now();
    await produceAll(producer, a.tail);
    out.tailMs = performance.now() - t;
    progress(
      `snapshot real-process: ${a.head.length.toLocaleString('en')} readings before the snapshot offsets (${fmt(out.headMs)} ms) and ${a.tail.length.toLocaleString('en')} after (${fmt(out.tailMs)} ms) on ${TOPICS.telemetry}; offsets ${[...out.offsets].map(([p, o]) => `${p}:${o}`).join(' ')}`,
    );
    for (let round = 0; round < a.rounds; round++) {
      const groupId = `sealwatch-bench-restore-${run}-${round + 1}`;
      const store = new EngineSnapshotStore(bus, groupId, undefined, `sealwatch-bench:${process.pid}`);
      t = performance.now();
      for (const s of a.snapshots) await store.write(s.lane, BigInt(out.offsets.get(s.lane) ?? '0'), s.bytes, s.containers);
      const writeMs = performance.now() - t;
      await retrying('setting the group offsets', () => admin.setOffsets({ groupId, topic: TOPICS.telemetry, partitions: a.snapshots.map((s) => ({ partition: s.lane, offset: out.offsets.get(s.lane) ?? '0' })) }));
      progress(`snapshot real-process round ${round + 1}: ${a.snapshots.length} snapshots written to ${TOPICS.engineSnapshots} for group ${groupId} in ${fmt(writeMs)} ms; starting sealwatch run --stages rules`);
      const r = await oneProcess({ groupId, partitions: a.partitions, timeoutMs: a.timeoutMs });
      if (r.totals.containers !== a.containers) throw new Error(`real-process restore: the log lines restored ${r.totals.containers} containers of ${a.containers}:\n${r.lines.join('\n')}`);
      out.rounds.push({ ...r, writeMs, groupId });
      progress(
        `snapshot real-process round ${round + 1}: all ${a.partitions} partitions restored ${fmt(r.wallMs)} ms after the process started (pipeline.running at ${fmt(r.runningMs)} ms); the lines: ${fmt(r.totals.sumMs)} ms in all, ${r.totals.containers.toLocaleString('en')} containers`,
      );
      for (const l of r.lines) progress(`  ${l}`);
    }
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await bus.close().catch(() => {});
  }
  return out;
}

/** One `sealwatch run --stages rules` until every partition's restore line, then SIGKILL. */
function oneProcess({ groupId, partitions, timeoutMs }) {
  const args = [
    packagePath('dist', 'src', 'cli.js'),
    'run',
    '--profile',
    'stack',
    '--stages',
    'rules',
    '--log-level',
    'info',
    ...[`kafka.groupId=${groupId}`, 'influx.enabled=false', 'api.enabled=false', 'engine.snapshotIntervalMs=3600000'].flatMap((s) => ['--set', s]),
  ];
  const startedAt = Date.now();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SEALWATCH_LOG_LEVEL: 'info' } });
  const events = [];
  const tail = [];
  let runningMs = null;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const exited = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
      child.kill('SIGKILL');
      const bound = new Promise((r) => setTimeout(r, 10_000).unref());
      void Promise.race([exited, bound]).then(() => (err ? reject(err) : resolve(value)));
    };
    const timer = setTimeout(() => {
      const p = restoreProgress(events, partitions);
      finish(new Error(`real-process restore: ${p.restored.length} of ${partitions} partitions restored after ${timeoutMs} ms; the process's last lines:\n${tail.join('\n')}`));
    }, timeoutMs);
    const lines = lineSplitter((line) => {
      tail.push(line.slice(0, 2000));
      if (tail.length > 20) tail.shift();
      const e = restoreEvent(line);
      if (!e) return;
      const at = performance.now() - t0;
      if (e.kind === 'running') {
        runningMs = at;
        return;
      }
      events.push(e);
      const p = restoreProgress(events, partitions);
      if (p.failure) return finish(new Error(`real-process restore: ${p.failure}`));
      if (!p.done) return;
      const totals = restoreTotals(p.restored);
      // the last line's own time stamp against the spawn (the same clock), else when it arrived here
      const wallMs = totals.lastAt !== null ? totals.lastAt - startedAt : at;
      finish(null, { wallMs, receivedMs: at, runningMs, totals, lines: p.restored.map((r) => r.line), restored: p.restored });
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => lines.push(d));
    child.on('error', (err) => finish(new Error(`real-process restore: cannot start sealwatch run: ${err.message}`)));
    child.on('exit', (code, signal) => {
      lines.end();
      finish(new Error(`real-process restore: sealwatch run exited (${signal ?? `code ${code}`}) before every partition was restored; its last lines:\n${tail.join('\n')}`));
    });
  });
}
