import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mqtt, { type MqttClient } from 'mqtt';
import { InfluxDB } from '@influxdata/influxdb-client';
import { KafkaBus } from '../../src/bus/kafka.js';
import { TOPICS } from '../../src/bus/topics.js';
import type { Config } from '../../src/config/schema.js';
import { stackEnv } from '../../src/cli/common.js';
import { AlertSchema, type Alert } from '../../src/model/alert.js';
import { makeContainerNumber } from '../../src/model/iso6346.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { packagePath } from '../../src/paths.js';
import { topicSpecs } from '../../src/bus/topics.js';
import { newTripDirectory } from '../../src/pipeline/app.js';
import { DirectProcessor } from '../../src/pipeline/processor.js';
import { simulateFleet, type SimResult } from '../../simulators/fleet.js';
import { stackConfig, TEST_SESSION_EXPIRY } from './stack.js';

/*
 * The fault tests' harness: a small deterministic corpus from the simulator,
 * what a run without any fault gives (the in-process decode and rule path:
 * replay-stack.test.ts proves the stack gives the same alert ids), the
 * pipeline as a child process (`sealwatch run --profile stack`), devices
 * publishing at a steady pace over MQTT 5, QoS 1, persistent sessions, and
 * the counting of what came out on Kafka and in InfluxDB. Every wait has a
 * deadline; every address is 127.0.0.1.
 */

const SECOND = 1000;
const HOUR = 3_600_000;

/** Engine settings shared by the reference run and the stack pipeline. */
export const FAULT_SETS = ['influx.retry.maxDelayMs=2000'];

export interface Corpus {
  sim: SimResult;
  seed: number;
  start: number;
  tripsDir: string;
  containers: string[];
  /** Distinct event ids of every reading the messages decode to. */
  eventIds: Set<string>;
  /** Distinct InfluxDB points those readings make (measurement, tags, time). */
  points: Set<string>;
  alertIds: Set<string>;
  /** The reference run's alerts, by id. */
  alerts: Map<string, Alert>;
  /** Index in `sim.messages` of the first fence message (see fenceMessages). */
  fenceFrom: number;
}

/**
 * A fleet of `containers` over `hours` simulated hours, every container with
 * an injected breach early on. The seed is this run's own (the stack keeps
 * earlier runs' data): the first from `baseSeed` on that the simulator builds.
 */
export function buildCorpus(name: string, baseSeed: number, containers = 30, hours = 12, sets: string[] = FAULT_SETS): Corpus {
  const config = stackConfig(sets);
  let sim: SimResult | null = null;
  let seed = baseSeed;
  let start = 0;
  for (let attempt = 0; attempt < 20 && !sim; attempt++, seed++) {
    start = Date.parse('2026-05-01T00:00:00Z') + (seed % 3000) * 86_400_000;
    try {
      sim = simulateFleet({ seed, containers, start, breachShare: 1, demo: true, voyageHours: hours });
    } catch (err) {
      // some seeds ask the demo itinerary for a sea route the lane network lacks
      if (!/no sea route/.test((err as Error).message)) throw err;
    }
  }
  if (!sim) throw new Error(`no seed from ${baseSeed} gave a corpus in 20 tries`);
  seed--;
  const fenceFrom = sim.messages.length;
  sim.messages.push(...fenceMessages(sim.messages[sim.messages.length - 1]!.t + config.engine.reorderWindowMs + 10 * 60_000, seed));
  const dir = mkdtempSync(join(tmpdir(), `sw-fault-${name}-`));
  const tripsDir = join(dir, 'trips');
  mkdirSync(tripsDir);
  for (const plan of sim.trips) writeFileSync(join(tripsDir, `${plan.tripId}.json`), JSON.stringify(plan));
  const trips = newTripDirectory(config);
  for (const p of sim.trips) trips.upsert(p);
  const proc = new DirectProcessor(config, trips, defaultPorts());
  const eventIds = new Set<string>();
  const points = new Set<string>();
  const alerts = new Map<string, Alert>();
  for (const m of sim.messages) {
    const out = proc.message(m.topic, Buffer.from(m.payload), m.t);
    for (const r of out.readings) {
      if (r.containerId.startsWith('FNCU')) continue; // the fence: telemetry of no corpus container
      eventIds.add(r.eventId);
      points.add(`${r.kind}|${r.containerId}|${r.deviceId}|${r.format}|${r.tripId ?? ''}|${r.ts}`);
    }
    for (const a of out.alerts) alerts.set(a.alertId, a);
  }
  // No flush at the end: the pipeline under test never sees an end of input. The fence instead
  // moves every lane's clock past the reorder window in both runs (see fenceMessages).
  return { sim, seed, start, tripsDir, containers: sim.trips.map((t) => t.containerId), eventIds, points, alertIds: new Set(alerts.keys()), alerts, fenceFrom };
}

/**
 * The end of a corpus: one temperature reading from each of 60 containers no
 * plan names (telemetry only, no rule judges them), arriving the reorder
 * window and 10 minutes after the last message. Their keys spread over every telemetry partition, so every
 * lane's arrival clock passes the reorder window of everything before, in the
 * pipeline as in the reference run, without an end-of-input flush.
 */
export function fenceMessages(t: number, seed: number): SimResult['messages'] {
  const out: SimResult['messages'] = [];
  for (let i = 0; i < 60; i++) {
    const containerId = makeContainerNumber('FNCU', (seed * 100 + i) % 1_000_000);
    const ts = new Date(t - 30_000).toISOString();
    out.push({ t: t + i, topic: `ssd/json/fence-${i}/temp`, payload: Buffer.from(JSON.stringify({ msgId: `fence-${seed}-${i}`, containerId, ts, celsius: 18 })) });
  }
  return out;
}

/** `bash scripts/stack.sh stop|start|restart SERVICE`, its output on our stderr. */
export function stackService(command: 'stop' | 'start' | 'restart', service: 'kafka' | 'influxdb' | 'mosquitto'): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [packagePath('scripts', 'stack.sh'), command, service], { stdio: ['ignore', 2, 2] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180 * SECOND);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`stack.sh ${command} ${service} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Commits a new group's offsets at the current end of the telemetry topic: it sees only what comes next. */
export async function positionGroupsAtEnd(config: Config, groupIds: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'sw-fault-test', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(TOPICS.telemetry);
    for (const groupId of groupIds) await admin.setOffsets({ groupId, topic: TOPICS.telemetry, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
  } finally {
    await admin.disconnect();
  }
}

/** `node dist/src/cli.js run --profile stack ...` as a child process, logs in a file; `env` is added to this process's environment (a webhook target's secret variable, say). */
export class PipelineProcess {
  private child: ChildProcess | null = null;
  private starts = 0;
  constructor(
    private readonly args: string[],
    readonly logFile: string,
    private readonly env: Record<string, string> = {},
  ) {}

  async start(timeoutMs = 60 * SECOND): Promise<void> {
    this.starts++;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`--- start ${this.starts} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [packagePath('dist', 'src', 'cli.js'), 'run', '--profile', 'stack', '--set', TEST_SESSION_EXPIRY, ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SEALWATCH_LOG_LEVEL: 'info', ...this.env },
    });
    this.child = child;
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pipeline not running after ${timeoutMs} ms; log ${this.logFile}`)), timeoutMs);
      child.stderr!.on('data', (d: Buffer) => {
        seen = (seen + d.toString('utf8')).slice(-100_000);
        if (seen.includes('"msg":"pipeline.running"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`pipeline exited (${signal ?? `code ${code}`}) before running; log ${this.logFile}`));
      });
    });
  }

  /** The running child's process id (the `writtenBy` of the snapshots it writes ends with it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGKILL, as a crash: nothing flushed, nothing committed, no MQTT DISCONNECT. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL', 10 * SECOND);
  }

  /** SIGSTOP / SIGCONT: the process holds its connections but reads nothing meanwhile. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGTERM, then SIGKILL if it has not exited in time. */
  async stop(): Promise<void> {
    if (
      !(await this.signal('SIGTERM', 30 * SECOND).then(
        () => true,
        () => false,
      ))
    )
      await this.signal('SIGKILL', 10 * SECOND);
  }

  private signal(sig: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pipeline did not exit within ${timeoutMs} ms of ${sig}`)), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(sig);
    });
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

/**
 * Publishes the corpus in arrival order over `clients` MQTT 5 connections
 * (the simulator account, persistent sessions, QoS 1), each message's
 * recorded arrival time as its `received-at` user property, at `ratePerS`.
 * `onProgress(i)` is called as messages go out (the test starts its fault
 * there). `beforeFence`, when given, is awaited before the fence goes out:
 * the fence stands for messages the reorder window and 10 simulated minutes
 * after the corpus, so where the pipeline could put it on Kafka ahead of corpus
 * messages still on their way (two ingest processes), the caller waits for
 * those first, as the field's clock would. Resolves once the broker
 * acknowledged every message.
 */
export async function publishCorpus(config: Config, corpus: Corpus, runId: string, o: { ratePerS: number; clients?: number; deadlineMs: number; onProgress?: (sent: number) => void; beforeFence?: () => Promise<void> }): Promise<number> {
  const env = stackEnvSimulator();
  const n = o.clients ?? 1; // one connection: the broker and the pipeline see the corpus in its arrival order
  const clients: MqttClient[] = [];
  for (let i = 0; i < n; i++) {
    clients.push(
      await mqtt.connectAsync(config.mqtt.url, {
        clientId: `sw-fault-pub-${runId}-${i}`,
        protocolVersion: 5,
        clean: false,
        properties: { sessionExpiryInterval: 3600 },
        username: env.user,
        password: env.password,
        reconnectPeriod: 500,
        connectTimeout: 5 * SECOND,
      }),
    );
  }
  const deadline = Date.now() + o.deadlineMs;
  const inflight = new Set<Promise<unknown>>();
  let failure: unknown = null;
  let acked = 0;
  const wall0 = Date.now();
  const messages = corpus.sim.messages;
  /** Waits until at most `max` publishes are unacknowledged; `what` names the wait in the timeout's message. */
  const drainTo = async (max: number, what: () => string): Promise<void> => {
    while (inflight.size > max) {
      if (Date.now() > deadline) throw new Error(`publishing timed out: ${what()}`);
      await Promise.race([...inflight, sleep(1000)]);
    }
  };
  try {
    for (let i = 0; i < messages.length; i++) {
      if (failure) throw failure;
      if (Date.now() > deadline) throw new Error(`publishing timed out at message ${i} of ${messages.length}`);
      if (i === corpus.fenceFrom && o.beforeFence) {
        await drainTo(0, () => `${inflight.size} messages before the fence never acknowledged`);
        if (failure) throw failure;
        await o.beforeFence();
      }
      const wait = (o.beforeFence && i >= corpus.fenceFrom ? 0 : wall0 + (i * SECOND) / o.ratePerS) - Date.now();
      if (wait > 2) await sleep(wait);
      const m = messages[i]!;
      // one device always on the same connection, so its messages stay in order
      const client = clients[hash(m.topic.split('/')[2] ?? '') % n]!;
      const p = client.publishAsync(m.topic, Buffer.from(m.payload), { qos: 1, properties: { userProperties: { 'received-at': new Date(m.t).toISOString() } } }).then(
        () => void acked++,
        (err: unknown) => void (failure ??= err),
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      await drainTo(49, () => `waiting for acknowledgements at message ${i}`);
      o.onProgress?.(i + 1);
    }
    await drainTo(0, () => `${inflight.size} messages never acknowledged`);
    if (failure) throw failure;
    return acked;
  } finally {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => {})));
  }
}

/** The simulator's MQTT account of the stack (it may publish for any device). */
export function stackEnvSimulator(): { user: string; password: string } {
  const env = stackEnv();
  return { user: env.SEALWATCH_MQTT_SIMULATOR_USERNAME ?? 'simulator', password: env.SEALWATCH_MQTT_SIMULATOR_PASSWORD ?? 'simulator-local' };
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface Outcome {
  telemetryEventIds: Set<string>;
  telemetryMessages: number;
  alertIds: Set<string>;
  alerts: Map<string, Alert>;
  alertMessages: number;
  influxAlertPoints: Map<string, number>;
  influxTelemetryPoints: number;
  /**
   * The largest arrival-time step back between two readings of one container in
   * the telemetry topic's order (0 when each container's readings landed in the
   * order they arrived). Past the engine's reorder window, a reading is late.
   */
  arrivalInversionMs: number;
}

/** What sealwatch produced for this corpus since `from` (the topics' ends before the test), on Kafka and in InfluxDB. */
export async function observe(config: Config, bus: KafkaBus, corpus: Corpus, from: { telemetry: Map<number, string>; alerts: Map<number, string> }): Promise<Outcome> {
  const mine = new Set(corpus.containers);
  const telemetry = (await bus.readAll(TOPICS.telemetry, from.telemetry)).filter((m) => m.key !== null && mine.has(m.key));
  const telemetryEventIds = new Set<string>();
  const latest = new Map<string, number>();
  let arrivalInversionMs = 0;
  for (const m of telemetry) {
    const w = JSON.parse(m.value.toString('utf8')) as { eventId: string; containerId: string; receivedAt: string };
    // a second copy of a reading is skipped by the engine, whenever it comes
    if (telemetryEventIds.has(w.eventId)) continue;
    telemetryEventIds.add(w.eventId);
    const at = Date.parse(w.receivedAt);
    const before = latest.get(w.containerId) ?? -Infinity;
    if (at < before) arrivalInversionMs = Math.max(arrivalInversionMs, before - at);
    else latest.set(w.containerId, at);
  }
  const alerts = (await bus.readAll(TOPICS.alerts, from.alerts)).map((m) => AlertSchema.parse(JSON.parse(m.value.toString('utf8')))).filter((a) => mine.has(a.containerId));
  const query = new InfluxDB({ url: config.influx.url, token: config.influx.token ?? '', timeout: 30 * SECOND }).getQueryApi(config.influx.org);
  const set = corpus.containers.map((c) => JSON.stringify(c)).join(', ');
  const range = `range(start: ${new Date(corpus.start - 10 * 24 * HOUR).toISOString()}, stop: ${new Date(corpus.start + 10 * 24 * HOUR).toISOString()})`;
  const rows = await query.collectRows<{ _value: string }>(`from(bucket: "${config.influx.bucket}") |> ${range} |> filter(fn: (r) => r._measurement == "alert" and r._field == "alert_id" and contains(value: r.container_id, set: [${set}]))`);
  const influxAlertPoints = new Map<string, number>();
  for (const r of rows) influxAlertPoints.set(r._value, (influxAlertPoints.get(r._value) ?? 0) + 1);
  const counted = await query.collectRows<{ _value: number }>(
    `from(bucket: "${config.influx.bucket}") |> ${range} |> filter(fn: (r) => contains(value: r._measurement, set: ["location", "door", "light", "temperature"]) and contains(value: r._field, set: ["lat", "open", "lux", "celsius"]) and contains(value: r.container_id, set: [${set}])) |> map(fn: (r) => ({ _time: r._time, _value: 1 })) |> group() |> count()`,
  );
  return {
    telemetryEventIds,
    telemetryMessages: telemetry.length,
    alertIds: new Set(alerts.map((a) => a.alertId)),
    alerts: new Map(alerts.map((a) => [a.alertId, a])),
    alertMessages: alerts.length,
    influxAlertPoints,
    influxTelemetryPoints: Number(counted[0]?._value ?? 0),
    arrivalInversionMs,
  };
}

/**
 * Observes until the outcome holds everything the corpus should give or
 * `deadlineMs` passes (every `pollMs`), then waits `settleMs` more and
 * observes once again, so anything raised late (a second copy, an alert of
 * no reference run) shows too.
 */
export async function settledOutcome(config: Config, bus: KafkaBus, corpus: Corpus, from: { telemetry: Map<number, string>; alerts: Map<number, string> }, o: { deadlineMs: number; pollMs?: number; settleMs?: number }): Promise<Outcome> {
  const deadline = Date.now() + o.deadlineMs;
  let outcome = await observe(config, bus, corpus, from);
  while (!complete(corpus, outcome) && Date.now() < deadline) {
    await sleep(o.pollMs ?? 3 * SECOND);
    outcome = await observe(config, bus, corpus, from);
  }
  await sleep(o.settleMs ?? 4 * SECOND);
  return observe(config, bus, corpus, from);
}

/** Waits until every reading of the corpus is on the telemetry topic (after `from`), or throws past `deadlineMs`. */
export async function corpusOnKafka(bus: KafkaBus, corpus: Corpus, from: Map<number, string>, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ids = new Set((await bus.readAll(TOPICS.telemetry, from)).map((m) => (JSON.parse(m.value.toString('utf8')) as { eventId: string }).eventId));
    const missing = [...corpus.eventIds].filter((id) => !ids.has(id)).length;
    if (missing === 0) return;
    if (Date.now() > deadline) throw new Error(`${missing} readings of the corpus not on ${TOPICS.telemetry} after ${deadlineMs} ms`);
    await sleep(250);
  }
}

/** True when the outcome holds everything the corpus should give. */
export function complete(c: Corpus, o: Outcome): boolean {
  return [...c.eventIds].every((id) => o.telemetryEventIds.has(id)) && [...c.alertIds].every((id) => o.alertIds.has(id) && o.influxAlertPoints.has(id)) && o.influxTelemetryPoints >= c.points.size;
}

/** The counts line each fault test prints. */
export function report(name: string, c: Corpus, published: number, o: Outcome, timings: string): string {
  const lost = [...c.eventIds].filter((id) => !o.telemetryEventIds.has(id)).length;
  const dupPoints = [...o.influxAlertPoints.values()].reduce((n, k) => n + (k - 1), 0);
  const show = (a: Alert) => `${a.alertId.slice(0, 12)} ${a.rule} ${a.containerId} ${a.startedAt}: ${a.summary}`;
  const missing = [...c.alertIds].filter((id) => !o.alertIds.has(id)).map((id) => `\n  missing ${show(c.alerts.get(id)!)}`);
  const extra = [...o.alertIds].filter((id) => !c.alertIds.has(id)).map((id) => `\n  unexpected ${show(o.alerts.get(id)!)}`);
  return (
    `[fault ${name}] seed ${c.seed}, ${timings}; messages published ${published}/${c.sim.messages.length}; readings expected ${c.eventIds.size}, ` +
    `on ${TOPICS.telemetry} ${o.telemetryEventIds.size} distinct event ids (${o.telemetryMessages} messages), lost ${lost}; ` +
    `InfluxDB telemetry points ${o.influxTelemetryPoints} of ${c.points.size}; ` +
    `alerts expected ${c.alertIds.size}, seen ${o.alertIds.size} distinct on ${TOPICS.alerts} (${o.alertMessages} messages), ` +
    `in InfluxDB ${o.influxAlertPoints.size} alert ids, duplicate alert points ${dupPoints}; ` +
    `largest arrival-time step back of a container on ${TOPICS.telemetry} ${(o.arrivalInversionMs / 1000).toFixed(0)} s` +
    missing.join('') +
    extra.join('')
  );
}

export interface ScenarioResult {
  corpus: Corpus;
  published: number;
  outcome: Outcome;
  line: string;
}

export interface FaultContext {
  pipeline: PipelineProcess;
}

/**
 * One fault test: corpus, pipeline child with this test's own consumer group
 * and MQTT client id, publishing at a steady pace, `fault` started once
 * `faultAt` of the messages are out (publishing goes on meanwhile), then
 * waiting (bounded) until Kafka and InfluxDB hold everything expected, and a
 * short settle so late extras would show too.
 */
export async function runFaultScenario(name: string, baseSeed: number, fault: (ctx: FaultContext) => Promise<void>, o: { faultAt?: number; ratePerS?: number; drainMs?: number } = {}): Promise<ScenarioResult> {
  const runId = randomUUID().slice(0, 8);
  const corpus = buildCorpus(name, baseSeed + (Date.now() % 100_000) * 7);
  const config = stackConfig(FAULT_SETS);
  const bus = new KafkaBus(config.kafka);
  const groupId = `sw-fault-${name}-${runId}`;
  // The telemetry topic also holds earlier tests' corpora (other simulated years): recovery after a
  // kill -9 reads only what this scenario produced, as a deployment's log holds one world.
  const logFile = join(corpus.tripsDir, '..', 'pipeline.log');
  const pipeline = new PipelineProcess(
    [
      '--trips',
      corpus.tripsDir,
      ...[`kafka.groupId=${groupId}`, `mqtt.clientId=sw-fault-ingest-${name}-${runId}`, 'mqtt.trustReceivedAtProperty=true', 'api.enabled=false', `engine.recoverFrom=${new Date(Date.now() - 1000).toISOString()}`, ...FAULT_SETS].flatMap(
        (s) => ['--set', s],
      ),
    ],
    logFile,
  );
  try {
    await bus.ensureTopics(topicSpecs(config));
    const from = { telemetry: await bus.endOffsets(TOPICS.telemetry), alerts: await bus.endOffsets(TOPICS.alerts) };
    await positionGroupsAtEnd(config, [groupId, `${groupId}-telemetry-influx`]);
    const t0 = Date.now();
    await pipeline.start();
    const total = corpus.sim.messages.length;
    const faultAt = Math.floor(total * (o.faultAt ?? 0.35));
    let faulting: Promise<void> | null = null;
    const published = await publishCorpus(config, corpus, runId, {
      ratePerS: o.ratePerS ?? 200,
      deadlineMs: 240 * SECOND,
      onProgress: (sent) => {
        if (sent >= faultAt && !faulting) faulting = fault({ pipeline });
      },
    });
    const tPublished = Date.now();
    await (faulting ?? Promise.resolve());
    const tFaultOver = Date.now();
    const deadline = Date.now() + (o.drainMs ?? 120 * SECOND);
    let outcome = await observe(config, bus, corpus, from);
    while (!complete(corpus, outcome) && Date.now() < deadline) {
      await sleep(3 * SECOND);
      outcome = await observe(config, bus, corpus, from);
    }
    const tComplete = Date.now();
    // anything raised late (a second copy, an alert of no reference run) would show by now
    await sleep(4 * SECOND);
    outcome = await observe(config, bus, corpus, from);
    const secs = (t: number) => `${((t - t0) / 1000).toFixed(0)} s`;
    const line = report(name, corpus, published, outcome, `published by ${secs(tPublished)}, fault over by ${secs(tFaultOver)}, ${complete(corpus, outcome) ? 'complete' : 'gave up'} by ${secs(tComplete)}`);
    process.stdout.write(line + '\n');
    if (!complete(corpus, outcome)) process.stdout.write(`[fault ${name}] pipeline log ${logFile}, last lines:\n${pipeline.logTail()}\n`);
    return { corpus, published, outcome, line };
  } finally {
    await pipeline.stop().catch(() => {});
    await bus.close();
  }
}
