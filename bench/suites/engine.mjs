// engine: events/s/core through the RuleEngine with every rule on, and heap
// bytes per container, for N containers at sea; against a bare loop doing a
// Map lookup and a counter update per event (and that Map's bytes per entry).
import { loadConfig } from '../../dist/src/config/load.js';
import { defaultPorts } from '../../dist/src/model/ports.js';
import { newTripDirectory } from '../../dist/src/pipeline/app.js';
import { RuleEngine } from '../../dist/src/rules/engine.js';
import { ALL_RULES } from '../../dist/src/rules/index.js';
import { compilePlan } from '../../dist/src/rules/plan.js';
import { makePlans, simReadings, T0 } from '../lib/fleet.mjs';
import { figure, fmt, heapAfterGc, progress, summarise, time } from '../lib/measure.mjs';

const STEP_MS = 15 * 60_000;
const KIND = { gps: 'location', temp: 'temperature', light: 'light', door: 'door' };

/** Every container's four readings of one 15-minute cycle, in arrival order, as canonical readings. */
function cycle(plans, k) {
  const n = plans.length;
  const out = new Array(n * 4);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const p = plans[i];
    const base = T0 + k * STEP_MS + Math.floor((i * 900) / n) * 1000; // spread over the quarter hour
    for (const s of simReadings(i, base)) {
      const { kind, ts, ...values } = s;
      out[j++] = { ...values, kind: KIND[kind], eventId: `bench:${p.deviceId}:${k}-${kind}`, deviceId: p.deviceId, containerId: p.containerId, tripId: p.tripId, format: 'batch-v1', ts, receivedAt: ts + 2000 };
    }
  }
  return out.sort((a, b) => a.receivedAt - b.receivedAt);
}

export async function run(opts) {
  const config = loadConfig({ env: {} });
  const ports = defaultPorts();
  const figures = [];
  for (const n of opts.engineContainers) {
    const cyclesPerRound = Math.max(1, Math.round(opts.engineEventsPerRound / (n * 4)));
    // Plans without a route and no sea router: a compiled route costs ~200 KB per trip (see the plan figure), which
    // would swamp the engine's own per-container state and not fit 100,000 containers in the heap.
    const plans = makePlans(n, { devicePrefix: 'eng', withRoute: false });
    const trips = newTripDirectory(config);
    for (const p of plans) trips.upsert(p);
    const alerts = {};
    // the bare baseline's memory: one Map entry per container, measured alone
    // (over at least 20,000 entries, so collector noise does not swamp a small run)
    const sample = Math.max(n, 20_000);
    const keys = Array.from({ length: sample }, (_, i) => (i < n ? plans[i].containerId : `sample-${i}`));
    const bareBefore = heapAfterGc();
    let sampleMap = new Map(keys.map((key) => [key, { n: 0, ts: 0 }]));
    const bytesBare = (heapAfterGc() - bareBefore) / sample;
    sampleMap = null;
    const bare = new Map(plans.map((p) => [p.containerId, { n: 0, ts: 0 }]));
    const heap0 = heapAfterGc();
    const engine = new RuleEngine({ config, trips, ports, rules: ALL_RULES, output: { alert: (a) => void (alerts[a.rule] = (alerts[a.rule] ?? 0) + 1), late: () => {} } });
    let k = 0;
    // loading: every container's first readings (slot, rule states, plan compiled); untimed
    for (const r of cycle(plans, k++)) engine.ingest(r);
    const bytesAtLoad = (heapAfterGc() - heap0) / n;
    progress(`engine ${n.toLocaleString('en')} containers: loaded; ${opts.warmup} warm-up + ${opts.rounds} rounds of ${(cyclesPerRound * n * 4).toLocaleString('en')} events`);
    const s = [];
    const b = [];
    for (let round = 0; round < opts.warmup + opts.rounds; round++) {
      let events = 0;
      let msS = 0;
      let msB = 0;
      for (let c = 0; c < cyclesPerRound; c++) {
        const batch = cycle(plans, k++); // generated outside the timed sections
        events += batch.length;
        msS += time(() => { for (const r of batch) engine.ingest(r); });
        msB += time(() => {
          for (const r of batch) {
            const e = bare.get(r.containerId);
            e.n++;
            e.ts = r.ts;
          }
        });
      }
      if (round < opts.warmup) continue;
      s.push((events * 1000) / msS);
      b.push((events * 1000) / msB);
      progress(`engine ${n.toLocaleString('en')} round ${round - opts.warmup + 1}: ${fmt(s.at(-1))} vs ${fmt(b.at(-1))} events/s`);
    }
    const bytesEngine = (heapAfterGc() - heap0) / n;
    const hours = (k * STEP_MS) / 3_600_000;
    progress(`engine ${n.toLocaleString('en')}: ${fmt(bytesEngine)} heap bytes per container after ${hours} h (${fmt(bytesAtLoad)} after the first readings; bare Map entry ${fmt(bytesBare)}); ${engine.stats.processed.toLocaleString('en')} processed, alerts ${JSON.stringify(alerts)}`);
    const note = `${n} containers, ${engine.stats.processed} events processed, ${engine.stats.timersFired} timers fired, alerts ${JSON.stringify(alerts)}; plans without route`;
    figures.push(figure({ bench: `engine ${n.toLocaleString('en')} containers`, unit: 'events/s/core', subject: summarise(s), baseline: summarise(b), baselineLabel: 'Map.get + counter update per event', target: '>= 1,000,000 events/s', meets: (f) => f.value >= 1_000_000, note }));
    figures.push(figure({
      bench: `engine ${n.toLocaleString('en')} heap (${hours} h)`,
      unit: 'bytes/container',
      subject: summarise([bytesEngine]),
      baseline: summarise([bytesBare]),
      baselineLabel: 'one Map entry {n, ts} per container',
      lowerIsBetter: true,
      target: n >= 100_000 ? '<= 2,048 bytes' : '',
      meets: n >= 100_000 ? (f) => f.value <= 2048 : undefined,
      note: `heapUsed after forced GC after ${hours} simulated hours (${k} cycles of 4 readings per container), minus before the engine; trip directory excluded; ${Math.round(bytesAtLoad)} bytes after the first cycle`,
    }));
    figures.at(-1).bytesAtLoad = bytesAtLoad;
  }
  figures.push(planFigure(opts.planCount, config, ports));
  return figures;
}

/**
 * What one trip with a route costs the engine once compiled (the track
 * densified every 5 km and indexed), against the plan as parsed from JSON.
 */
function planFigure(m, config, ports) {
  const texts = makePlans(m, { devicePrefix: 'route', withRoute: true }).map((p) => JSON.stringify(p));
  const h0 = heapAfterGc();
  const parsed = texts.map((t) => JSON.parse(t));
  const h1 = heapAfterGc();
  let compiled;
  const ms = time(() => { compiled = parsed.map((p) => compilePlan(p, ports, config.trips)); });
  const h2 = heapAfterGc();
  const external = compiled.reduce((a, c) => a + (c.routeIndex?.index?.data?.byteLength ?? 0), 0) / m;
  progress(`engine plan with route: ${fmt((h2 - h1) / m)} heap bytes per compiled plan (+${fmt(external)} in array buffers), ${fmt(ms / m)} ms each; parsed plan ${fmt((h1 - h0) / m)} bytes`);
  return {
    ...figure({
      bench: 'engine plan with route (NLRTM-BRSSZ)',
      unit: 'bytes/plan',
      subject: summarise([(h2 - h1) / m]),
      baseline: summarise([(h1 - h0) / m]),
      baselineLabel: 'the plan as parsed from JSON',
      lowerIsBetter: true,
      target: '(adds to bytes/container: one trip per container)',
      note: `${m} plans compiled with compilePlan, ${(ms / m).toFixed(2)} ms each, ${Math.round(external)} more bytes per plan in array buffers (kdbush); ${compiled[0].routeIndex ? 'route indexed' : 'no route'}`,
    }),
    compileMsPerPlan: ms / m,
    arrayBufferBytesPerPlan: external,
  };
}
