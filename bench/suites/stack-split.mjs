// stack e2e with the stages in separate processes (issue 14: "ingest and rules
// in separate processes"): `sealwatch run --stages ingest` in one process and
// `sealwatch run --stages rules,telemetry` in another, both real child
// processes of this one on the local stack (Mosquitto, Kafka, InfluxDB).
// json-v1 readings from mqtt.js publishers (a worker thread, MQTT 5, QoS 1),
// as the in-process stack suite sends them.
//
// Throughput: a round's messages published as fast as acknowledged; the clock
// stops when the telemetry topic holds every reading and both consumer groups
// (rules, and telemetry to InfluxDB) have committed all of it. Against, in the
// same round, raw kafkajs batched produce of the same readings and raw
// Mosquitto publish -> subscribe (the ingest process stopped meanwhile and its
// session dropped, so the raw subscriber is Mosquitto's only one).
// Latency: paced at stackRate (30,000 readings/s), from the publish of the
// door opening that completes an alert's evidence to the alert arriving on
// sealwatch.alerts.v1 (read by this process), against raw Mosquitto
// publish -> subscribe p99 of the same openings at the same rate. The
// latency is split where each door opening was received by ingest (the
// reading's receivedAt), put on the telemetry topic and answered on the
// alerts topic (the records' CreateTime): this process reads the telemetry
// topic for that (kafkajs decoding every record, a few per cent of a core at
// these rates, on the same two cores).
// CPU per process: user + system time (from /proc) of each pipeline process
// and of each service over the throughput rounds, as CPU-seconds per 100,000
// readings and as the readings per second one core would give that process:
// where a 2-core box is the bound, this says what more cores would buy.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { DEPLOYED_NODE_ARGS } from '../lib/deployed.mjs';
import { KafkaBus } from '../../dist/src/bus/kafka.js';
import { TOPICS, topicSpecs } from '../../dist/src/bus/topics.js';
import { stackEnv } from '../../dist/src/cli/common.js';
import { packagePath } from '../../dist/src/paths.js';
import { publishPlans } from '../../dist/src/pipeline/trips-sync.js';
import { dropSession, latencies, now, Publishers, rawKafkaProduce, rawSubscriber, sleep, until } from '../lib/e2e.mjs';
import { liveT0, loadSpec, perCycle, plansFor } from '../lib/load.mjs';
import { lineSplitter } from '../lib/restore-log.mjs';
import { cpuTicks, servicePids, stackConfig, withLocalStack } from '../lib/local-stack.mjs';
import { figure, fmt, progress, summarise } from '../lib/measure.mjs';

export async function run(opts) {
  const r = await withLocalStack('stack e2e (separate processes)', () => measure(opts));
  if (r.skipped) {
    progress(`stack e2e (separate processes): SKIPPED: ${r.skipped}`);
    return [];
  }
  return r.result;
}

/**
 * Node options for the two stage processes, to profile them (node refuses
 * --cpu-prof in NODE_OPTIONS): SEALWATCH_BENCH_STAGE_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof" writes a profile per stage process when it stops.
 */
const STAGE_NODE_ARGS = [
  // the young generation docs/operations.md recommends for the stages (the Dockerfile sets it): measured as deployed
  ...DEPLOYED_NODE_ARGS,
  ...(process.env.SEALWATCH_BENCH_STAGE_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
];

/** One `sealwatch run` child; resolves once it logs pipeline.running. */
function startStage(name, args) {
  const child = spawn(process.execPath, [...STAGE_NODE_ARGS, packagePath('dist', 'src', 'cli.js'), 'run', '--profile', 'stack', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  let running = false;
  const ready = new Promise((resolve, reject) => {
    const onLine = (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (!running && line.includes('"pipeline.running"')) {
        running = true;
        resolve();
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      const lines = lineSplitter(onLine);
      stream.on('data', (d) => lines.push(d));
    }
    child.once('exit', (code, signal) => {
      if (!running) reject(new Error(`${name} exited (${code ?? signal}) before running:\n${tail.join('\n')}`));
    });
    setTimeout(() => reject(new Error(`${name}: not running after 120 s:\n${tail.join('\n')}`)), 120_000).unref();
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const bound = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(bound);
  };
  return { child, ready, stop, name };
}

async function measure(opts) {
  const env = stackEnv();
  const n = opts.stackContainers;
  const cyclesT = opts.stackCycles;
  const cyclesL = opts.stackLatencyCycles;
  const rounds = opts.warmup + opts.rounds;
  const spec = loadSpec({ containers: n, t0: liveT0(rounds * (cyclesT + cyclesL) + 2, 60_000), breachEvery: opts.e2eBreachEvery, devicePrefix: `sp${Date.now().toString(36).slice(-4)}` });
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const groupId = `sw-bench-split-${run}`;
  const ingestClient = `sw-bench-split-ingest-${run}`;
  const config = stackConfig([`kafka.groupId=${groupId}`]);
  const telemetryGroup = `${groupId}-telemetry-influx`;
  const bus = new KafkaBus(config.kafka);
  const kafka = new Kafka({ clientId: `sw-bench-split-${run}`, brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await bus.ensureTopics(topicSpecs(config));
  await publishPlans(bus, plansFor(spec));
  // both stage groups start at the telemetry topic's end: what earlier runs left there is not this bench's
  const ends = await admin.fetchTopicOffsets(TOPICS.telemetry);
  for (const g of [groupId, telemetryGroup]) await admin.setOffsets({ groupId: g, topic: TOPICS.telemetry, partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })) });
  const common = ['--set', `kafka.groupId=${groupId}`, '--set', 'api.enabled=false', '--set', 'log.level=info'];
  const ingestArgs = ['--stages', 'ingest', ...common, '--set', `mqtt.clientId=${ingestClient}`, '--set', 'mqtt.cleanSession=false', '--set', 'mqtt.sessionExpirySeconds=900'];
  const rules = startStage('rules,telemetry', ['--stages', 'rules,telemetry', ...common, '--set', 'engine.reorderWindowMs=0', '--set', 'engine.idleFlushMs=100', '--set', 'engine.recoverOnStart=false']);
  let ingest = startStage('ingest', ingestArgs);
  // every alert's arrival on the alerts topic, by the event ids of its evidence
  const byEvidence = new Map();
  // and when the rules process produced it (the record's CreateTime): splits the latency at the alerts topic
  const producedByEvidence = new Map();
  // and, for each door reading on the telemetry topic, when ingest received it (its receivedAt) and produced it (CreateTime)
  const doorReceived = new Map();
  const doorProduced = new Map();
  const doorsConsumer = kafka.consumer({ groupId: `sw-bench-split-doors-${run}`, maxWaitTimeInMs: 10 });
  const alertsConsumer = kafka.consumer({ groupId: `sw-bench-split-alerts-${run}`, maxWaitTimeInMs: 10 });
  const mq = { protocolVersion: 5, qos: 1 };
  const fleetAuth = { username: env.SEALWATCH_MQTT_SIMULATOR_USERNAME, password: env.SEALWATCH_MQTT_SIMULATOR_PASSWORD };
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const rawTopic = `sealwatch.bench.${run}`;
  let raw = null;
  let pub = null;
  try {
    await Promise.all([rules.ready, ingest.ready]);
    await alertsConsumer.connect();
    await alertsConsumer.subscribe({ topic: TOPICS.alerts, fromBeginning: false });
    const joined = new Promise((r) => alertsConsumer.on(alertsConsumer.events.GROUP_JOIN, r));
    await alertsConsumer.run({
      eachMessage: async ({ message: m }) => {
        const t = now();
        const a = JSON.parse(m.value.toString());
        const produced = Number(m.timestamp);
        for (const e of a.evidence ?? []) {
          if (!byEvidence.has(e)) byEvidence.set(e, t);
          if (!producedByEvidence.has(e)) producedByEvidence.set(e, produced);
        }
      },
    });
    await joined;
    await doorsConsumer.connect();
    await doorsConsumer.subscribe({ topic: TOPICS.telemetry, fromBeginning: false });
    const doorsJoined = new Promise((r) => doorsConsumer.on(doorsConsumer.events.GROUP_JOIN, r));
    await doorsConsumer.run({
      eachMessage: async ({ message: m }) => {
        const text = m.value.toString();
        if (!text.includes('"kind":"door"')) return;
        const w = JSON.parse(text);
        doorReceived.set(w.eventId, Date.parse(w.receivedAt));
        doorProduced.set(w.eventId, Number(m.timestamp));
      },
    });
    await doorsJoined;
    raw = await rawSubscriber({ url: config.mqtt.url, clientId: `sw-bench-split-raw-${run}`, ...mq, username: config.mqtt.username, password: config.mqtt.password });
    await raw.client.unsubscribeAsync(`${config.mqtt.topicRoot}/#`);
    pub = await Publishers.start({ url: config.mqtt.url, clients: opts.stackClients, ...mq, ...fleetAuth, spec, clientIdPrefix: `sw-bench-split-dev-${run}`, window: 200 });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: rawTopic, numPartitions: config.kafka.partitions.telemetry, replicationFactor: 1 }] });
    await producer.connect();
    progress(
      `stack e2e (separate processes): ingest pid ${ingest.child.pid}, rules+telemetry pid ${rules.child.pid}; ${n.toLocaleString('en')} containers, ${opts.stackClients} publishing clients, ${(cyclesT * perCycle(spec)).toLocaleString('en')} readings per throughput round, latency at ${fmt(opts.stackRate)} readings/s; ${opts.warmup} warm-up + ${opts.rounds} rounds`,
    );
    // polled through the one admin client of this process (a new admin connection per poll would load the broker it measures), every 50 ms
    const telemetryEnd = async () => (await admin.fetchTopicOffsets(TOPICS.telemetry)).reduce((s, o) => s + Number(o.high), 0);
    const lag = async (g) => {
      const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(TOPICS.telemetry), admin.fetchOffsets({ groupId: g, topics: [TOPICS.telemetry] })]);
      const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      return ends.reduce((s, e) => s + Number(e.high) - Math.max(at.get(e.partition) ?? 0, Number(e.low)), 0);
    };
    const base = await telemetryEnd();
    let expected = base;
    const drained = async () => {
      await until('the telemetry topic to hold every reading', async () => (await telemetryEnd()) >= expected, 900_000, 50);
      await until('the rules stage', async () => (await lag(groupId)) === 0, 900_000, 50);
      await until('the telemetry stage', async () => (await lag(telemetryGroup)) === 0, 900_000, 50);
    };
    const res = { s: [], kafka: [], mqtt: [], sustained: [], p50: [], p99: [], b50: [], b99: [] };
    const cpu = {};
    let measuredReadings = 0;
    let samples = 0;
    let missing = 0;
    let next = 0;
    for (let round = 0; round < rounds; round++) {
      const from = next;
      const to = from + cyclesT * perCycle(spec);
      next = to;
      const count = to - from;
      expected += count;
      const procs = { ingest: ingest.child.pid, 'rules+telemetry': rules.child.pid, ...servicePids() };
      const ticks0 = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuTicks(pid)]));
      const t0 = performance.now();
      await pub.run(from, to);
      await drained();
      const sMs = performance.now() - t0;
      if (round >= opts.warmup) {
        measuredReadings += count;
        for (const [k, pid] of Object.entries(procs)) cpu[k] = (cpu[k] ?? 0) + (cpuTicks(pid) - ticks0[k]) / 100;
      }

      // raw kafkajs batched produce of the same readings
      const kMs = await rawKafkaProduce(producer, rawTopic, spec, from, to);

      // latency, paced at the target rate, through the pipeline
      const lf = next;
      const lt = lf + cyclesL * perCycle(spec);
      next = lt;
      expected += lt - lf;
      const t3 = performance.now();
      const paced = await pub.run(lf, lt, opts.stackRate);
      await until('the rules stage', async () => (await telemetryEnd()) >= expected && (await lag(groupId)) === 0, 900_000, 50);
      const pMs = performance.now() - t3;
      await drained();
      await sleep(200); // the last alerts' way from the rules stage to this consumer
      const ls = latencies(paced.marks, byEvidence);
      const lp = latencies(paced.marks, producedByEvidence);
      const lr = latencies(paced.marks, doorReceived);
      const lt1 = latencies(paced.marks, doorProduced);
      if (process.env.SEALWATCH_BENCH_LATENCY_DUMP) {
        // one line per door opening: publish time, then ms to each point of its way (null where not seen)
        const rel = (m, id, t) => (m.has(id) ? Math.round(m.get(id) - t) : null);
        const lines = [...paced.marks].map(([id, t]) => JSON.stringify([Math.round(t), rel(doorReceived, id, t), rel(doorProduced, id, t), rel(producedByEvidence, id, t), rel(byEvidence, id, t)]));
        writeFileSync(`${process.env.SEALWATCH_BENCH_LATENCY_DUMP}.${round}.jsonl`, `${lines.join('\n')}\n`);
      }

      // raw Mosquitto alone: the ingest process stopped and its session dropped (so nothing queues for it), then started again
      await ingest.stop();
      await dropSession({ url: config.mqtt.url, clientId: ingestClient, protocolVersion: 5, username: config.mqtt.username, password: config.mqtt.password });
      await raw.client.subscribeAsync(`${config.mqtt.topicRoot}/#`, { qos: 1 });
      const got = raw.expect(count);
      const t4 = performance.now();
      await pub.run(from, to);
      await got;
      const mMs = performance.now() - t4;
      const got2 = raw.expect(lt - lf);
      const pacedB = await pub.run(lf, lt, opts.stackRate);
      await got2;
      const lb = latencies(pacedB.marks, raw.state.arrivals);
      await raw.client.unsubscribeAsync(`${config.mqtt.topicRoot}/#`);
      ingest = startStage('ingest', ingestArgs);
      await ingest.ready;

      if (round < opts.warmup) continue;
      res.s.push((count * 1000) / sMs);
      res.kafka.push((count * 1000) / kMs);
      res.mqtt.push((count * 1000) / mMs);
      res.sustained.push(((lt - lf) * 1000) / pMs);
      res.p50.push(ls.p50);
      res.p99.push(ls.p99);
      res.b50.push(lb.p50);
      res.b99.push(lb.p99);
      samples += ls.n;
      missing += ls.missing;
      progress(
        `stack e2e (separate processes) round ${round - opts.warmup + 1}: ${fmt(res.s.at(-1))} readings/s vs kafkajs ${fmt(res.kafka.at(-1))}/s, Mosquitto pub->sub ${fmt(res.mqtt.at(-1))}/s; paced ${fmt(opts.stackRate)}/s offered -> ${fmt(res.sustained.at(-1))}/s processed, publish->alert p50 ${fmt(ls.p50)} ms p99 ${fmt(ls.p99)} ms (${ls.n} alerts, ${ls.missing} unmatched; publish->ingest received p50 ${fmt(lr.p50)} ms p99 ${fmt(lr.p99)} ms, ->reading produced p50 ${fmt(lt1.p50)} ms p99 ${fmt(lt1.p99)} ms, ->alert produced p50 ${fmt(lp.p50)} ms p99 ${fmt(lp.p99)} ms) vs Mosquitto p50 ${fmt(lb.p50)} ms p99 ${fmt(lb.p99)} ms`,
      );
    }
    const perCore = Object.entries(cpu).map(([k, s]) => `${k} ${fmt((s * 100_000) / measuredReadings)} CPU-s per 100,000 readings (one core: ${fmt(measuredReadings / s)} readings/s)`);
    progress(`stack e2e (separate processes) CPU over the throughput rounds: ${perCore.join('; ')}`);
    const note = `${n} containers, ${opts.stackClients} publishing clients (MQTT 5, QoS 1, 200 in flight each), json-v1; \`sealwatch run --stages ingest\` and \`sealwatch run --stages rules,telemetry\` as two processes; 2 Kafka messages per reading (raw + telemetry), every reading to InfluxDB; ${samples} breach alerts timed (arrival on sealwatch.alerts.v1), ${missing} openings without an alert; CPU over the throughput rounds: ${perCore.join('; ')}`;
    return [
      figure({
        bench: 'stack e2e, ingest and rules in separate processes',
        unit: 'readings/s',
        subject: summarise(res.s),
        baseline: summarise(res.kafka),
        baselineLabel: 'raw kafkajs batched produce of the same readings (1,000 per send, idempotent, acks=all)',
        target: '>= 30,000 readings/s and >= 50% of raw kafkajs',
        meets: (f) => f.value >= 30_000 && f.ratio >= 0.5,
        note,
      }),
      figure({
        bench: 'stack e2e, separate processes, vs Mosquitto',
        unit: 'readings/s',
        subject: summarise(res.s),
        baseline: summarise(res.mqtt),
        baselineLabel: 'raw Mosquitto publish -> mqtt.js subscriber (same payloads, QoS 1, clients)',
        target: '',
        note: 'the same runs as the row above',
      }),
      figure({
        bench: `stack e2e, separate processes, paced ${fmt(opts.stackRate)}/s`,
        unit: 'readings/s processed',
        subject: summarise(res.sustained),
        baseline: summarise(res.mqtt),
        baselineLabel: 'raw Mosquitto publish -> subscriber, as fast as acknowledged',
        target: '',
        note: `${fmt(opts.stackRate)} readings/s offered; processed = readings / (first publish to the rules group having committed the last)`,
      }),
      figure({
        bench: 'stack e2e, separate processes, latency p99',
        unit: 'ms publish->alert',
        subject: summarise(res.p99),
        baseline: summarise(res.b99),
        baselineLabel: 'raw Mosquitto publish -> subscriber p99, same openings, same rate',
        lowerIsBetter: true,
        target: '< 500 ms',
        meets: (f) => f.value < 500,
        note: `paced at ${fmt(opts.stackRate)} readings/s; ${note}`,
      }),
    ];
  } finally {
    await pub?.close().catch(() => {});
    await raw?.close().catch(() => {});
    await ingest.stop().catch(() => {});
    await rules.stop().catch(() => {});
    await alertsConsumer.disconnect().catch(() => {});
    await doorsConsumer.disconnect().catch(() => {});
    await dropSession({ url: config.mqtt.url, clientId: ingestClient, protocolVersion: 5, username: config.mqtt.username, password: config.mqtt.password }).catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.deleteTopics({ topics: [rawTopic] }).catch(() => {});
    await admin.disconnect().catch(() => {});
    await bus.close().catch(() => {});
  }
}
