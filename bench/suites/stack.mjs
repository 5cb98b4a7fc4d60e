// stack end to end: json-v1 readings from mqtt.js publishers (a worker thread,
// MQTT 5, QoS 1) through Mosquitto, the listener (persistent session, ack
// after Kafka), Kafka (raw + telemetry topics), the rules stage and InfluxDB
// (alerts, and every reading by the telemetry stage), against, in the same
// round: raw kafkajs batched produce of the same readings (one message per
// reading, batches of 1,000, the pipeline's producer settings: idempotent,
// acks=all), raw InfluxDB line-protocol writes of the same readings (HTTP,
// batches of 5,000), and raw Mosquitto publish -> subscribe.
//
// Throughput: a round's messages published as fast as acknowledged; the
// clock stops when the rules stage has processed every reading and the
// telemetry stage has committed every one to InfluxDB.
// Latency: a paced run at the target rate (stackRate, 30,000 readings/s),
// breaches injected; from the publish of the door opening that completes an
// alert's evidence to the alert reaching a sink (beside the Kafka alerts topic
// and InfluxDB, which the rules stage writes in the same step), against raw
// Mosquitto publish -> subscribe of the same openings at the same rate. The
// engine's reorder window is 0 here (a configured hold, 60 s by default).
//
// The stack comes from scripts/stack.sh up (run.mjs holds the stack lock);
// a stack that cannot start skips this suite with a message.
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { TOPICS } from '../../dist/src/bus/topics.js';
import { stackEnv } from '../../dist/src/cli/common.js';
import { loadConfig } from '../../dist/src/config/load.js';
import { defaultPorts } from '../../dist/src/geo/ports.js';
import { packagePath } from '../../dist/src/paths.js';
import { newTripDirectory, startPipeline } from '../../dist/src/pipeline/app.js';
import { dropSession, latencies, Publishers, rawKafkaProduce, rawSubscriber, sleep, TimingSink, until } from '../lib/e2e.mjs';
import { liveT0, loadSpec, message, perCycle, plansFor } from '../lib/load.mjs';
import { withLocalStack } from '../lib/local-stack.mjs';
import { figure, fmt, progress, summarise } from '../lib/measure.mjs';

export async function run(opts) {
  const r = await withLocalStack('stack e2e', () => measure(opts));
  if (r.skipped) {
    progress(`stack e2e: SKIPPED: ${r.skipped}`);
    return [];
  }
  return r.result;
}

function lineOf(spec, m) {
  const msg = message(spec, m);
  const body = JSON.parse(msg.payload);
  const kind = msg.topic.slice(msg.topic.lastIndexOf('/') + 1);
  const device = msg.topic.split('/')[2];
  const tags = `container_id=${body.containerId},device_id=${device},format=json-v1,trip_id=B-${device}`;
  const ts = Date.parse(body.ts);
  if (kind === 'gps') return `location,${tags} lat=${body.lat},lon=${body.lon},speed_kn=${body.speedKn},heading_deg=${body.headingDeg} ${ts}`;
  if (kind === 'temp') return `temperature,${tags} celsius=${body.celsius}${body.setpointC === undefined ? '' : `,setpoint_c=${body.setpointC}`} ${ts}`;
  if (kind === 'light') return `light,${tags} lux=${body.lux} ${ts}`;
  return `door,${tags} open=${body.state === 'open'} ${ts}`;
}

async function measure(opts) {
  const env = stackEnv();
  const n = opts.stackContainers;
  const cyclesT = opts.stackCycles;
  const cyclesL = opts.stackLatencyCycles;
  const rounds = opts.warmup + opts.rounds;
  const spec = loadSpec({ containers: n, t0: liveT0(rounds * (cyclesT + cyclesL) + 2, 60_000), breachEvery: opts.e2eBreachEvery, devicePrefix: `sb${Date.now().toString(36).slice(-4)}` });
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const config = loadConfig({
    files: [packagePath('config', 'default.yaml'), packagePath('config', 'stack.yaml')],
    env,
    sets: [`kafka.groupId=sw-bench-${run}`, `mqtt.clientId=sw-bench-ingest-${run}`, 'mqtt.cleanSession=false', 'mqtt.sessionExpirySeconds=900', 'engine.reorderWindowMs=0', 'engine.idleFlushMs=100', 'log.level=silent'],
  });
  const ports = defaultPorts();
  const trips = newTripDirectory(config);
  for (const p of plansFor(spec)) trips.upsert(p);
  const log = pino({ level: 'silent' });
  const timing = new TimingSink();
  const pipeline = await startPipeline({ config, ports, trips, log, extraSinks: [timing], rulesFromNow: true });
  const telemetryGroup = `${config.kafka.groupId}-telemetry-influx`;
  const mq = { protocolVersion: 5, qos: 1 };
  const fleetAuth = { username: env.SEALWATCH_MQTT_SIMULATOR_USERNAME, password: env.SEALWATCH_MQTT_SIMULATOR_PASSWORD };
  const raw = await rawSubscriber({ url: config.mqtt.url, clientId: `sw-bench-raw-${run}`, ...mq, username: config.mqtt.username, password: config.mqtt.password });
  // the raw subscriber and the pipeline both subscribe to ssd/#: one publisher set per phase, each phase measured alone
  const pub = await Publishers.start({ url: config.mqtt.url, clients: opts.stackClients, ...mq, ...fleetAuth, spec, clientIdPrefix: `sw-bench-dev-${run}`, window: 200 });

  const kafka = new Kafka({ clientId: `sw-bench-${run}`, brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const rawTopic = `sealwatch.bench.${run}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: rawTopic, numPartitions: config.kafka.partitions.telemetry, replicationFactor: 1 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const influxWrite = `${config.influx.url}/api/v2/write?org=${encodeURIComponent(config.influx.org)}&bucket=${encodeURIComponent(config.influx.bucket)}&precision=ms`;

  progress(
    `stack e2e: ${n.toLocaleString('en')} containers, ${opts.stackClients} publishing clients (MQTT 5, QoS 1), ${(cyclesT * perCycle(spec)).toLocaleString('en')} readings per throughput round, latency at ${fmt(opts.stackRate)} readings/s; ${opts.warmup} warm-up + ${opts.rounds} rounds`,
  );
  const readings = () => pipeline.rules.counts.readings;
  const res = { s: [], kafka: [], influx: [], mqtt: [], p50: [], p99: [], b50: [], b99: [], sustained: [] };
  let samples = 0;
  let missing = 0;
  let next = 0;
  let subscribed = true;
  const drained = async (target) => {
    await until('the rules stage', () => readings() >= target, 900_000, 5);
    await until('the telemetry stage', async () => (await pipeline.bus.lag(telemetryGroup, TOPICS.telemetry)) === 0, 900_000, 50);
  };
  try {
    for (let round = 0; round < rounds; round++) {
      const from = next;
      const to = from + cyclesT * perCycle(spec);
      next = to;
      const count = to - from;
      // subject: flood through the pipeline (the raw subscriber is disconnected meanwhile, so Mosquitto serves one subscriber)
      if (subscribed) await raw.client.unsubscribeAsync(`${config.mqtt.topicRoot}/#`);
      subscribed = false;
      const before = readings();
      const t0 = performance.now();
      await pub.run(from, to);
      await drained(before + count);
      const sMs = performance.now() - t0;

      // raw kafkajs batched produce of the same readings
      const kMs = await rawKafkaProduce(producer, rawTopic, spec, from, to);

      // raw InfluxDB line-protocol writes of the same readings
      const lines = [];
      for (let m = from; m < to; m++) lines.push(lineOf(spec, m));
      const t2 = performance.now();
      for (let i = 0; i < lines.length; i += 5000) {
        const r = await fetch(influxWrite, { method: 'POST', headers: { Authorization: `Token ${config.influx.token}`, 'Content-Type': 'text/plain; charset=utf-8' }, body: lines.slice(i, i + 5000).join('\n') });
        if (r.status !== 204) throw new Error(`InfluxDB write: HTTP ${r.status} ${await r.text()}`);
      }
      const iMs = performance.now() - t2;

      // latency, paced at the target rate: the pipeline alone, then raw Mosquitto publish -> subscribe alone
      const lf = next;
      const lt = lf + cyclesL * perCycle(spec);
      next = lt;
      const before2 = readings();
      const t3 = performance.now();
      const paced = await pub.run(lf, lt, opts.stackRate);
      await until('the rules stage', () => readings() >= before2 + (lt - lf), 900_000, 5);
      const pMs = performance.now() - t3;
      await pipeline.drain();
      await drained(before2 + (lt - lf));
      const ls = latencies(paced.marks, timing.byEvidence);

      // raw Mosquitto: the pipeline's listener must not take these, so the same payloads go under another root the raw subscriber alone reads?
      // No: ACLs allow ssd/# only. The pipeline's session is paused instead (disconnected, its session kept, then drained of what it queued).
      await pipeline.listener.client.endAsync(false);
      await raw.client.subscribeAsync(`${config.mqtt.topicRoot}/#`, { qos: 1 });
      subscribed = true;
      const got = raw.expect(count);
      const t4 = performance.now();
      await pub.run(from, to);
      await got;
      const mMs = performance.now() - t4;
      const got2 = raw.expect(lt - lf);
      const pacedB = await pub.run(lf, lt, opts.stackRate);
      await got2;
      const lb = latencies(pacedB.marks, raw.state.arrivals);
      // the pipeline's listener back on its persistent session: Mosquitto kept the raw phase's messages for it; they are duplicates (dedup drops them)
      const dupBefore = pipeline.ingest.counts.messages;
      pipeline.listener.client.reconnect();
      await until('the listener to take the messages queued for its session', () => pipeline.ingest.counts.messages >= dupBefore + count + (lt - lf), 900_000, 20);
      await pipeline.drain();

      if (round < opts.warmup) continue;
      res.s.push((count * 1000) / sMs);
      res.kafka.push((count * 1000) / kMs);
      res.influx.push((count * 1000) / iMs);
      res.mqtt.push((count * 1000) / mMs);
      res.sustained.push(((lt - lf) * 1000) / pMs);
      res.p50.push(ls.p50);
      res.p99.push(ls.p99);
      res.b50.push(lb.p50);
      res.b99.push(lb.p99);
      samples += ls.n;
      missing += ls.missing;
      progress(
        `stack e2e round ${round - opts.warmup + 1}: ${fmt(res.s.at(-1))} readings/s vs kafkajs ${fmt(res.kafka.at(-1))}/s, InfluxDB ${fmt(res.influx.at(-1))}/s, Mosquitto pub->sub ${fmt(res.mqtt.at(-1))}/s; paced ${fmt(opts.stackRate)}/s offered -> ${fmt(res.sustained.at(-1))}/s processed, publish->alert p50 ${fmt(ls.p50)} ms p99 ${fmt(ls.p99)} ms (${ls.n} alerts, ${ls.missing} unmatched) vs Mosquitto p50 ${fmt(lb.p50)} ms p99 ${fmt(lb.p99)} ms`,
      );
    }
  } finally {
    await pub.close().catch(() => {});
    await raw.close().catch(() => {});
    await pipeline.stop().catch(() => {});
    await dropSession({ url: config.mqtt.url, clientId: config.mqtt.clientId, protocolVersion: 5, username: config.mqtt.username, password: config.mqtt.password }).catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.deleteTopics({ topics: [rawTopic] }).catch(() => {});
    await admin.disconnect().catch(() => {});
    await sleep(10);
  }
  const note = `${n} containers, ${opts.stackClients} publishing clients (MQTT 5, QoS 1, 200 in flight each), json-v1; the pipeline writes 2 Kafka messages per reading (raw + telemetry) and every reading to InfluxDB; ${samples} breach alerts timed, ${missing} openings without an alert`;
  return [
    figure({
      bench: 'stack e2e',
      unit: 'readings/s',
      subject: summarise(res.s),
      baseline: summarise(res.kafka),
      baselineLabel: 'raw kafkajs batched produce of the same readings (1,000 per send, idempotent, acks=all)',
      target: '>= 30,000 readings/s and >= 50% of raw kafkajs',
      meets: (f) => f.value >= 30_000 && f.ratio >= 0.5,
      note,
    }),
    figure({
      bench: 'stack e2e vs InfluxDB',
      unit: 'readings/s',
      subject: summarise(res.s),
      baseline: summarise(res.influx),
      baselineLabel: 'raw InfluxDB line-protocol writes of the same readings (HTTP, 5,000 lines per write)',
      target: '',
      note: 'the same runs as the row above',
    }),
    figure({
      bench: 'stack e2e vs Mosquitto',
      unit: 'readings/s',
      subject: summarise(res.s),
      baseline: summarise(res.mqtt),
      baselineLabel: 'raw Mosquitto publish -> mqtt.js subscriber (same payloads, QoS 1, clients)',
      target: '',
      note: 'the same runs as the row above',
    }),
    figure({
      bench: `stack e2e paced ${fmt(opts.stackRate)}/s`,
      unit: 'readings/s processed',
      subject: summarise(res.sustained),
      baseline: summarise(res.mqtt),
      baselineLabel: 'raw Mosquitto publish -> subscriber, as fast as acknowledged',
      target: '',
      note: `${fmt(opts.stackRate)} readings/s offered; processed = readings / (first publish to the rules stage having the last)`,
    }),
    figure({
      bench: 'stack e2e latency p99',
      unit: 'ms publish->alert',
      subject: summarise(res.p99),
      baseline: summarise(res.b99),
      baselineLabel: 'raw Mosquitto publish -> subscriber p99, same openings, same rate',
      lowerIsBetter: true,
      target: '< 500 ms',
      meets: (f) => f.value < 500,
      note: `paced at ${fmt(opts.stackRate)} readings/s; ${note}`,
    }),
    figure({
      bench: 'stack e2e latency p50',
      unit: 'ms publish->alert',
      subject: summarise(res.p50),
      baseline: summarise(res.b50),
      baselineLabel: 'raw Mosquitto publish -> subscriber p50, same openings, same rate',
      lowerIsBetter: true,
      target: '',
      note: 'as the p99 row',
    }),
  ];
}
