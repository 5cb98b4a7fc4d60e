// storm: one vessel coming into coverage and uploading its store-and-forward
// backlog at once: `stormContainers` boxes x `stormHours` of readings (four
// every 15 minutes each, door openings at sea injected), as batch-v1 gateway
// messages from one gateway connection, through the embedded pipeline (aedes,
// listener, decode, memory bus, rule engine with the allowed lateness of the
// default configuration, 6 h).
//
// - time to drain: from the first publish until the rules stage has every
//   reading, as readings/s, against raw aedes publish -> subscribe of the same
//   messages (same client, QoS 1);
// - peak memory: RSS and heap sampled every 20 ms during the storm, against
//   the same process just before it (pipeline loaded, idle);
// - alerts: the alert ids must be those of an in-order paced run of the same
//   data (each batch arriving 5 s after its newest reading, through the same
//   decoder and engine, DirectProcessor); readings the engine had to set aside
//   as late, and alerts that reached the sink later than the allowed lateness
//   after their detection time, are counted.
// The reorder window is 2 s here (60 s by default): held readings are released
// after that much idle time, so alerts leave within seconds of the drain.
// One storm per round; the storm's data ends a minute before it is sent, so
// its oldest readings are 6 h old.
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { TOPICS } from '../../dist/src/bus/topics.js';
import { loadConfig } from '../../dist/src/config/load.js';
import { defaultPorts } from '../../dist/src/geo/ports.js';
import { newTripDirectory, startPipeline } from '../../dist/src/pipeline/app.js';
import { DirectProcessor } from '../../dist/src/pipeline/processor.js';
import { benchBroker } from '../lib/broker.mjs';
import { dropSession, now, Publishers, rawSubscriber, sleep, TimingSink, until } from '../lib/e2e.mjs';
import { plansFor, stormMessage, stormMessages, stormSpec } from '../lib/load.mjs';
import { figure, fmt, heapAfterGc, progress, summarise } from '../lib/measure.mjs';

const STEP = 15 * 60_000;

export async function run(opts) {
  const rounds = opts.warmup + opts.rounds;
  const cycles = Math.round((opts.stormHours * 3_600_000) / STEP);
  const res = { s: [], b: [], rss: [], rssBase: [], heap: [], heapBase: [], alerts: [], refAlerts: [] };
  const notes = [];
  for (let round = 0; round < rounds; round++) {
    const end = Date.now() - 60_000;
    const t0 = Math.floor((end - (cycles - 1) * STEP - 10_000) / 1000) * 1000;
    const spec = stormSpec({ containers: opts.stormContainers, cycles, t0, batch: opts.stormBatch, breachEvery: opts.stormBreachEvery, devicePrefix: `st${round}` });
    const r = await storm(spec, round);
    if (round < opts.warmup) continue;
    res.s.push(r.rate);
    res.b.push(r.rawRate);
    res.rss.push(r.peakRss);
    res.rssBase.push(r.rssBefore);
    res.heap.push(r.peakHeap);
    res.heapBase.push(r.heapBefore);
    res.alerts.push(r.alerts);
    res.refAlerts.push(r.refAlerts);
    notes.push(r.note);
  }
  const readings = opts.stormContainers * 4 * cycles;
  const head = `${opts.stormContainers} containers x ${opts.stormHours} h (${readings.toLocaleString('en')} readings in ${Math.ceil(readings / opts.stormBatch)} batch-v1 messages of ${opts.stormBatch})`;
  const allSame = notes.every((n) => n.missing === 0 && n.extra === 0 && n.lateBeyond === 0);
  return [
    figure({
      bench: 'storm drain',
      unit: 'readings/s',
      subject: summarise(res.s),
      baseline: summarise(res.b),
      baselineLabel: 'raw aedes publish -> subscriber of the same batch messages (one client, QoS 1)',
      target: 'drains',
      meets: () => true,
      note: `${head}; drain ${notes.map((n) => `${fmt(n.drainMs / 1000)} s`).join(', ')}`,
    }),
    figure({
      bench: 'storm peak RSS',
      unit: 'bytes',
      subject: summarise(res.rss),
      baseline: summarise(res.rssBase),
      baselineLabel: 'RSS of the same process before the storm (pipeline loaded, idle)',
      lowerIsBetter: true,
      target: 'bounded',
      meets: () => true,
      note: `${head}; the memory bus keeps every raw message and reading (as Kafka would)`,
    }),
    figure({
      bench: 'storm peak heap',
      unit: 'bytes',
      subject: summarise(res.heap),
      baseline: summarise(res.heapBase),
      baselineLabel: 'heap in use before the storm (after GC)',
      lowerIsBetter: true,
      target: '',
      note: `${head}; after the storm, after GC: ${notes.map((n) => `${fmt(n.heapAfter / 2 ** 20)} MiB heap, of which the memory bus holds ${fmt(n.retained / 2 ** 20)} MiB of message bytes`).join('; ')}`,
    }),
    figure({
      bench: 'storm alerts',
      unit: 'alerts (same ids)',
      subject: summarise(res.alerts),
      baseline: summarise(res.refAlerts),
      baselineLabel: 'alerts of the in-order paced run of the same data (DirectProcessor)',
      target: 'same ids, none late',
      meets: () => allSame,
      note: notes.map((n) => `${n.alerts} alerts: ${n.missing} missing, ${n.extra} extra, ${n.lateBeyond} later than the allowed lateness after detection, ${n.lateReadings} readings set aside as late`).join('; '),
    }),
  ];
}

async function storm(spec, round) {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const base = loadConfig({ env: {}, sets: [`mqtt.clientId=sw-bench-storm-${run}`, 'mqtt.cleanSession=false', 'engine.reorderWindowMs=2000', 'engine.idleFlushMs=200', 'log.level=silent'] });
  const ports = defaultPorts();
  const trips = newTripDirectory(base);
  for (const p of plansFor(spec)) trips.upsert(p);
  const messages = stormMessages(spec);
  const total = spec.containers * 4 * spec.cycles;

  const S = await benchBroker(base);
  const B = await benchBroker(base);
  const config = { ...base, mqtt: { ...base.mqtt, ...S.pipeline } };
  const timing = new TimingSink();
  const sinkTimes = new Map();
  const sink = {
    name: 'bench-storm',
    write: async (alerts) => {
      const t = now();
      for (const a of alerts) if (!sinkTimes.has(a.alertId)) sinkTimes.set(a.alertId, { t, detectedAt: Date.parse(a.detectedAt) });
    },
    close: async () => {},
  };
  const pipeline = await startPipeline({ config, ports, trips, log: pino({ level: 'silent' }), mqttUrl: S.broker.url, extraSinks: [timing, sink] });
  const raw = await rawSubscriber({ url: B.broker.url, clientId: `sw-bench-storm-raw-${run}`, qos: 1, protocolVersion: 4, ...B.pipeline });
  const pubS = await Publishers.start({ url: S.broker.url, clients: 1, qos: 1, protocolVersion: 4, spec, clientIdPrefix: `sw-bench-gw-s-${run}`, window: 100, ...S.devices });
  const pubB = await Publishers.start({ url: B.broker.url, clients: 1, qos: 1, protocolVersion: 4, spec, clientIdPrefix: `sw-bench-gw-b-${run}`, window: 100, ...B.devices });
  try {
    const heapBefore = heapAfterGc();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    let peakHeap = heapBefore;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      if (m.rss > peakRss) peakRss = m.rss;
      if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    }, 20);
    progress(`storm round ${round + 1}: ${spec.containers.toLocaleString('en')} containers, ${total.toLocaleString('en')} readings in ${messages} messages at once`);
    const t0 = performance.now();
    await pubS.run(0, messages);
    await until('the rules stage to have every reading of the storm', () => pipeline.rules.counts.readings >= total, 1_800_000, 10);
    const drainMs = performance.now() - t0;
    // held readings leave the reorder window after idle time; wait for the alerts (bounded)
    let last = -1;
    let stable = 0;
    while (stable < 15) {
      await sleep(200);
      if (timing.alertIds.size === last) stable++;
      else stable = 0;
      last = timing.alertIds.size;
    }
    await pipeline.drain();
    clearInterval(sampler);
    const heapAfter = heapAfterGc();
    // what the memory bus retains (as Kafka would, on disk): every raw message and every reading
    const retained = [TOPICS.raw, TOPICS.telemetry].reduce((sum, t) => sum + pipeline.bus.read(t).reduce((a, m) => a + m.value.length, 0), 0);
    const got = raw.expect(messages);
    const t1 = performance.now();
    await pubB.run(0, messages);
    await got;
    const rawMs = performance.now() - t1;
    // the in-order paced reference (after the storm, so it does not count in the storm's memory): each batch arrives 5 s after its newest reading
    const refIds = new Set();
    const ref = new DirectProcessor(base, trips, ports);
    for (let b = 0; b < messages; b++) {
      const m = stormMessage(spec, b);
      for (const a of ref.message(m.topic, Buffer.from(m.payload), m.maxTs + 5000).alerts) refIds.add(a.alertId);
    }
    for (const a of ref.finish().alerts) refIds.add(a.alertId);
    const ids = timing.alertIds;
    const missing = [...refIds].filter((id) => !ids.has(id)).length;
    const extra = [...ids].filter((id) => !refIds.has(id)).length;
    const lateness = config.engine.allowedLatenessMs;
    const lateBeyond = [...sinkTimes.values()].filter((x) => x.t - x.detectedAt > lateness).length;
    const note = { alerts: ids.size, missing, extra, lateBeyond, lateReadings: pipeline.rules.counts.late, drainMs, heapAfter, retained };
    progress(
      `storm round ${round + 1}: drained in ${fmt(drainMs / 1000)} s (${fmt((total * 1000) / drainMs)} readings/s; raw aedes ${fmt((total * 1000) / rawMs)}/s); peak RSS ${fmt(peakRss / 2 ** 20)} MiB (before ${fmt(rssBefore / 2 ** 20)}), peak heap ${fmt(peakHeap / 2 ** 20)} MiB (before ${fmt(heapBefore / 2 ** 20)}, after GC ${fmt(heapAfter / 2 ** 20)}; the bus retains ${fmt(retained / 2 ** 20)} MiB of message bytes); alerts ${ids.size} vs ${refIds.size} in order: ${missing} missing, ${extra} extra, ${lateBeyond} beyond the allowed lateness; ${note.lateReadings} late readings; dead letters ${JSON.stringify(pipeline.ingest.counts.deadLetters)}`,
    );
    return { rate: (total * 1000) / drainMs, rawRate: (total * 1000) / rawMs, peakRss, rssBefore, peakHeap, heapBefore, alerts: Math.max(ids.size, 1e-9), refAlerts: Math.max(refIds.size, 1e-9), note };
  } finally {
    await pubS.close();
    await pubB.close();
    await raw.close();
    await pipeline.stop();
    await dropSession({ url: S.broker.url, clientId: config.mqtt.clientId, protocolVersion: 4, ...S.pipeline }).catch(() => {});
    await S.broker.close();
    await B.broker.close();
  }
}
