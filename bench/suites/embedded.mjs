// embedded end to end: json-v1 readings from mqtt.js publishers (a worker
// thread) through the embedded aedes broker, the listener (QoS 1, persistent
// session, ack after the bus), decode, the memory bus and the rule engine,
// against raw aedes publish -> subscribe (a plain mqtt.js subscriber, same
// payloads, QoS, session kind and publishing clients) on a second aedes.
//
// Throughput: all messages of a round published as fast as acknowledged; the
// subject's clock stops when the rules stage has processed every reading, the
// baseline's when the subscriber has every message.
// Latency: a paced run at the target rate (50 % of the raw rate measured in
// the same round), breaches injected (door openings at sea); from the
// publish of the opening (the reading that completes the alert's evidence) to
// the alert reaching a sink, against publish -> raw subscriber of the same
// openings at the same rate. The engine's reorder window is set to 0 here:
// it is a deliberate hold (60 s by default) that would add itself to every
// alert; what is measured is the pipeline's own latency.
import pino from 'pino';
import { loadConfig } from '../../dist/src/config/load.js';
import { defaultPorts } from '../../dist/src/geo/ports.js';
import { newTripDirectory, startPipeline } from '../../dist/src/pipeline/app.js';
import { benchBroker } from '../lib/broker.mjs';
import { dropSession, latencies, Publishers, rawSubscriber, TimingSink, until } from '../lib/e2e.mjs';
import { liveT0, loadSpec, perCycle, plansFor } from '../lib/load.mjs';
import { figure, fmt, progress, summarise } from '../lib/measure.mjs';

export async function run(opts) {
  const n = opts.e2eContainers;
  const cyclesT = opts.e2eCycles;
  const cyclesL = opts.e2eLatencyCycles;
  const rounds = opts.warmup + opts.rounds;
  const spec = loadSpec({ containers: n, t0: liveT0(rounds * (cyclesT + cyclesL) + 2, 60_000), breachEvery: opts.e2eBreachEvery });
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const base = loadConfig({ env: {}, sets: [`mqtt.clientId=sw-bench-ingest-${run}`, 'mqtt.cleanSession=false', 'engine.reorderWindowMs=0', 'engine.idleFlushMs=100', 'log.level=silent'] });
  const ports = defaultPorts();
  const trips = newTripDirectory(base);
  for (const p of plansFor(spec)) trips.upsert(p);
  const log = pino({ level: 'silent' });

  const S = await benchBroker(base);
  const B = await benchBroker(base);
  const brokerS = S.broker;
  const brokerB = B.broker;
  const config = { ...base, mqtt: { ...base.mqtt, ...S.pipeline } };
  const timing = new TimingSink();
  const pipeline = await startPipeline({ config, ports, trips, log, mqttUrl: brokerS.url, extraSinks: [timing] });
  const raw = await rawSubscriber({ url: brokerB.url, clientId: `sw-bench-raw-${run}`, qos: 1, protocolVersion: 4, ...B.pipeline });
  const pubOpts = { clients: opts.e2eClients, qos: 1, protocolVersion: 4, spec, window: 100 };
  const pubS = await Publishers.start({ ...pubOpts, url: brokerS.url, clientIdPrefix: `sw-bench-dev-s-${run}`, ...S.devices });
  const pubB = await Publishers.start({ ...pubOpts, url: brokerB.url, clientIdPrefix: `sw-bench-dev-b-${run}`, ...B.devices });
  progress(`embedded e2e: ${n.toLocaleString('en')} containers, ${opts.e2eClients} publishing clients, ${(cyclesT * perCycle(spec)).toLocaleString('en')} readings per throughput round; ${opts.warmup} warm-up + ${opts.rounds} rounds`);

  const readings = () => pipeline.rules.counts.readings;
  const thS = [];
  const thB = [];
  const latS = { p50: [], p99: [] };
  const latB = { p50: [], p99: [] };
  let samples = 0;
  let missing = 0;
  let next = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      // throughput
      const from = next;
      const to = from + cyclesT * perCycle(spec);
      next = to;
      const before = readings();
      const t0 = performance.now();
      const pub = pubS.run(from, to);
      await until('the rules stage to process the round', () => readings() >= before + (to - from), 600_000);
      await pub;
      const sMs = performance.now() - t0;
      const got = raw.expect(to - from);
      const t1 = performance.now();
      await pubB.run(from, to);
      await got;
      const bMs = performance.now() - t1;
      const s = ((to - from) * 1000) / sMs;
      const b = ((to - from) * 1000) / bMs;

      // latency, paced at half the raw rate of this round
      const rate = Math.max(100, Math.round(b * 0.5));
      const lf = next;
      const lt = lf + cyclesL * perCycle(spec);
      next = lt;
      const before2 = readings();
      const paced = await pubS.run(lf, lt, rate);
      await until('the rules stage to process the paced run', () => readings() >= before2 + (lt - lf), 600_000);
      await pipeline.drain();
      const ls = latencies(paced.marks, timing.byEvidence);
      const got2 = raw.expect(lt - lf);
      const pacedB = await pubB.run(lf, lt, rate);
      await got2;
      const lb = latencies(pacedB.marks, raw.state.arrivals);
      if (round < opts.warmup) continue;
      thS.push(s);
      thB.push(b);
      latS.p50.push(ls.p50);
      latS.p99.push(ls.p99);
      latB.p50.push(lb.p50);
      latB.p99.push(lb.p99);
      samples += ls.n;
      missing += ls.missing;
      progress(
        `embedded e2e round ${round - opts.warmup + 1}: ${fmt(s)} vs ${fmt(b)} readings/s; at ${fmt(rate)}/s publish->alert p50 ${fmt(ls.p50)} ms p99 ${fmt(ls.p99)} ms (${ls.n} alerts, ${ls.missing} unmatched) vs publish->subscriber p50 ${fmt(lb.p50)} ms p99 ${fmt(lb.p99)} ms`,
      );
    }
  } finally {
    await pubS.close();
    await pubB.close();
    await raw.close();
    await pipeline.stop();
    await dropSession({ url: brokerS.url, clientId: config.mqtt.clientId, protocolVersion: 4, ...S.pipeline }).catch(() => {});
    await brokerS.close();
    await brokerB.close();
  }
  const note = `${n} containers, ${opts.e2eClients} publishing clients (QoS 1, 100 in flight each), json-v1, reorder window 0; ${samples} breach alerts timed, ${missing} openings without an alert; dead letters ${JSON.stringify(pipeline.ingest.counts.deadLetters)}`;
  return [
    figure({
      bench: 'embedded e2e',
      unit: 'readings/s',
      subject: summarise(thS),
      baseline: summarise(thB),
      baselineLabel: 'raw aedes publish -> mqtt.js subscriber (same payloads, QoS 1, clients)',
      target: '>= 50% of raw aedes',
      meets: (f) => f.ratio >= 0.5,
      note,
    }),
    figure({
      bench: 'embedded e2e latency p99',
      unit: 'ms publish->alert',
      subject: summarise(latS.p99),
      baseline: summarise(latB.p99),
      baselineLabel: 'raw aedes publish -> subscriber p99, same openings, same rate',
      lowerIsBetter: true,
      target: '< 50 ms',
      meets: (f) => f.value < 50,
      note: `paced at 50% of the raw rate of each round; ${note}`,
    }),
    figure({
      bench: 'embedded e2e latency p50',
      unit: 'ms publish->alert',
      subject: summarise(latS.p50),
      baseline: summarise(latB.p50),
      baselineLabel: 'raw aedes publish -> subscriber p50, same openings, same rate',
      lowerIsBetter: true,
      target: '',
      note: 'as the p99 row',
    }),
  ];
}
