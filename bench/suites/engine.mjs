// engine: events/s/core through the RuleEngine with every rule on (plans with
// a route, so ROUTE_DEVIATION measures its distances too), and memory per
// container (heap plus array buffers and the baselines' slab, after a forced GC) once every rule's
// history is full: the containers have reported for longer than the longest
// window of any rule (TEMPERATURE_ANOMALY's 26 h baseline) before anything is
// measured. Against a bare loop reading the same events and updating one Map
// entry per container (and that Map's bytes per entry).
//
// The sizes are opts.engineContainers (10k and 100k), each with the full
// history, then opts.engineExtraRuns ({ containers, loadHours }; `--growth`
// adds 100k and 1M with 6 h: 6 h took 818-978 s to load at 1M on our shared
// 2-core box, so 27 h would take an hour or more). A run with a shorter history than the full one says
// "short history" in its rows and carries fullHistory: false.
import { loadConfig } from '../../dist/src/config/load.js';
import { defaultPorts } from '../../dist/src/geo/ports.js';
import { newTripDirectory } from '../../dist/src/pipeline/app.js';
import { RuleEngine } from '../../dist/src/rules/engine.js';
import { ALL_RULES } from '../../dist/src/rules/index.js';
import { doorReading, lightReading, locationReading, temperatureReading } from '../../dist/src/model/reading.js';
import { slabBytes } from '../../dist/src/rules/rolling-baseline.js';
import { compilePlan } from '../../dist/src/trips/compile.js';
import { makePlans, simReadings, T0 } from '../lib/fleet.mjs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { figure, fmt, progress, summarise, time } from '../lib/measure.mjs';

const STEP_MS = 15 * 60_000;
/** Hours of readings before anything is measured: past TEMPERATURE_ANOMALY's 26 h baseline, so every rule's state is at its steady size. */
const LOAD_HOURS = 27;

/**
 * Heap in use plus array buffers (typed arrays' stores live outside the JS
 * heap) after full collections; array buffers are swept on a background
 * thread after a collection, so it waits a moment between collections.
 */
async function memAfterGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('run node with --expose-gc (bench/run.mjs does)');
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  globalThis.gc();
  const m = process.memoryUsage();
  // (the baselines' slab is a resizable ArrayBuffer, which arrayBuffers does not count)
  return m.heapUsed + m.arrayBuffers + slabBytes();
}

/**
 * Every container's four readings of one 15-minute cycle, in arrival order, as canonical readings
 * (temperatures in tenths of a degree, as every wire format carries them), made as the decoders make
 * them: by model/reading.ts's four functions, every reading of one shape.
 */
export function cycle(plans, k) {
  const n = plans.length;
  const out = new Array(n * 4);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const p = plans[i];
    const base = T0 + k * STEP_MS + Math.floor((i * 900) / n) * 1000; // spread over the quarter hour
    for (const s of simReadings(i, base)) {
      // a flat string, as decoding gives (a template literal would be a rope of five pieces, retained as such)
      const eventId = ['bench:', p.deviceId, ':', k, '-', s.kind].join('');
      const at = [eventId, p.deviceId, p.containerId, p.tripId, 'batch-v1', s.ts, s.ts + 2000];
      if (s.kind === 'gps') out[j++] = locationReading(...at, s.lat, s.lon, s.speedKn, s.headingDeg, s.hdop);
      else if (s.kind === 'temp') out[j++] = temperatureReading(...at, Math.round(s.celsius * 10) / 10, s.setpointC);
      else if (s.kind === 'light') out[j++] = lightReading(...at, s.lux);
      else out[j++] = doorReading(...at, s.open);
    }
  }
  return out.sort((a, b) => a.receivedAt - b.receivedAt);
}

/**
 * Milliseconds of garbage collection inside the given [start, end] windows
 * (performance.now() times), from the gc entries V8 reports: how much of a
 * timed section was the collector. Entries arrive asynchronously, so it lets
 * the observer run first.
 */
async function gcMsWithin(entries, windows) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  let ms = 0;
  for (const [gs, gd] of entries)
    for (const [ws, we] of windows) {
      const overlap = Math.min(gs + gd, we) - Math.max(gs, ws);
      if (overlap > 0) ms += overlap;
    }
  return ms;
}

export async function run(opts) {
  // every collection's start and duration, to say how much of the engine's timed rounds was GC
  const gcEntries = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcEntries.push([e.startTime, e.duration]);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const config = loadConfig({ env: {} });
  const ports = defaultPorts();
  const figures = [];
  const runs = [...opts.engineContainers.map((containers) => ({ containers })), ...(opts.engineExtraRuns ?? [])];
  for (const { containers: n, loadHours } of runs) figures.push(...(await measureSize(n, loadHours, { opts, config, ports, gcEntries })));
  gcObserver.disconnect();
  figures.push(await planFigure(opts.planCount, config, ports));
  return figures;
}

/**
 * One size: its rate and bytes figures. A function of its own, so nothing of
 * one size (engine, plans, trip directory) is still reachable when the next
 * one measures its heap before the engine: as locals of the async loop they
 * could be (a suspended async function keeps its registers), and a previous
 * size's engine counted against the next one's baseline.
 */
async function measureSize(n, runLoadHours, { opts, config, ports, gcEntries }) {
  const out = [];
  const cyclesPerRound = Math.max(1, Math.round(opts.engineEventsPerRound / (n * 4)));
  // Plans with their route (as the sea router gives every plan in production), so ROUTE_DEVIATION runs too;
  // the compiled plans are the engine's, and count in its bytes per container.
  const plans = makePlans(n, { devicePrefix: 'eng', withRoute: true });
  const trips = newTripDirectory(config);
  for (const p of plans) trips.upsert(p);
  const alerts = {};
  // the bare baseline's memory: one Map entry per container, measured alone
  // (over at least 20,000 entries, so collector noise does not swamp a small run)
  const sample = Math.max(n, 20_000);
  const keys = Array.from({ length: sample }, (_, i) => (i < n ? plans[i].containerId : `sample-${i}`));
  const bareBefore = await memAfterGc();
  // biome-ignore lint/correctness/noUnusedVariables: never read; it holds the Map alive through the measurement below, then lets it go
  let sampleMap = new Map(keys.map((key) => [key, { n: 0, ts: 0 }]));
  const bytesBare = ((await memAfterGc()) - bareBefore) / sample;
  sampleMap = null;
  const bare = new Map(plans.map((p) => [p.containerId, { n: 0, ts: 0 }]));
  const heap0 = await memAfterGc();
  const engine = new RuleEngine({ config, trips, ports, rules: ALL_RULES, output: { alert: (a) => void (alerts[a.rule] = (alerts[a.rule] ?? 0) + 1), late: () => {} } });
  let k = 0;
  // loading, untimed: every rule's history filled (slots, rule states, plans compiled, baselines full)
  const loadHours = runLoadHours ?? opts.engineLoadHours ?? LOAD_HOURS;
  const fullHistory = loadHours >= LOAD_HOURS;
  const history = fullHistory ? '' : ` (short history: ${loadHours} h)`;
  const loadCycles = Math.round((loadHours * 3_600_000) / STEP_MS);
  const loadStart = Date.now();
  while (k < loadCycles) for (const r of cycle(plans, k++)) engine.ingest(r);
  const loadSeconds = (Date.now() - loadStart) / 1000;
  const bytesAtLoad = ((await memAfterGc()) - heap0) / n;
  progress(
    `engine ${n.toLocaleString('en')} containers: ${(k * STEP_MS) / 3_600_000} h loaded in ${Math.round(loadSeconds)} s, ${fmt(bytesAtLoad)} bytes per container; ${opts.warmup} warm-up + ${opts.rounds} rounds of ${(cyclesPerRound * n * 4).toLocaleString('en')} events`,
  );
  gcEntries.length = 0; // the loading's collections: only the rounds' count
  const s = [];
  const b = [];
  const engineWindows = []; // the engine's timed sections of the recorded rounds
  const bareWindows = [];
  let engineMs = 0;
  let bareMs = 0;
  for (let round = 0; round < opts.warmup + opts.rounds; round++) {
    let events = 0;
    let msS = 0;
    let msB = 0;
    for (let c = 0; c < cyclesPerRound; c++) {
      const batch = cycle(plans, k++); // generated outside the timed sections
      events += batch.length;
      const t0 = performance.now();
      for (const r of batch) engine.ingest(r);
      const t1 = performance.now();
      msS += t1 - t0;
      if (round >= opts.warmup) engineWindows.push([t0, t1]);
      const t2 = performance.now();
      msB += time(() => {
        for (const r of batch) {
          const e = bare.get(r.containerId);
          e.n++;
          e.ts = r.ts;
        }
      });
      if (round >= opts.warmup) bareWindows.push([t2, performance.now()]);
    }
    if (round < opts.warmup) continue;
    engineMs += msS;
    bareMs += msB;
    s.push((events * 1000) / msS);
    b.push((events * 1000) / msB);
    progress(`engine ${n.toLocaleString('en')}${history} round ${round - opts.warmup + 1}: ${fmt(s.at(-1))} vs ${fmt(b.at(-1))} events/s`);
  }
  const gcShare = (await gcMsWithin(gcEntries, engineWindows)) / engineMs;
  const gcShareBare = (await gcMsWithin(gcEntries, bareWindows)) / bareMs;
  gcEntries.length = 0;
  const bytesEngine = ((await memAfterGc()) - heap0) / n;
  const hours = (k * STEP_MS) / 3_600_000;
  progress(
    `engine ${n.toLocaleString('en')}${history}: ${fmt(bytesEngine)} heap bytes per container after ${hours} h (${fmt(bytesAtLoad)} after loading; bare Map entry ${fmt(bytesBare)}); ${engine.stats.processed.toLocaleString('en')} processed, alerts ${JSON.stringify(alerts)}; GC ${(gcShare * 100).toFixed(1)} % of the engine's timed time (bare loop ${(gcShareBare * 100).toFixed(1)} %)`,
  );
  const shortNote = fullHistory
    ? ''
    : `; SHORT HISTORY: ${loadHours} h loaded, not the ${LOAD_HOURS} h that fills every rule's window (TEMPERATURE_ANOMALY's 26 h baseline only partly filled), so less state per container than with the full history`;
  const note = `${n} containers, ${engine.stats.processed} events processed, ${engine.stats.timersFired} timers fired, alerts ${JSON.stringify(alerts)}; every rule on, plans with a route; measured after ${loadHours} h of readings (loaded in ${Math.round(loadSeconds)} s); garbage collection ${(gcShare * 100).toFixed(1)} % of the engine's timed rounds (V8 gc entries; the bare loop ${(gcShareBare * 100).toFixed(1)} %)${shortNote}`;
  const tags = { containers: n, loadHours, fullHistory, loadSeconds };
  out.push(
    figure({
      bench: `engine ${n.toLocaleString('en')} containers${history}`,
      unit: 'events/s/core',
      subject: summarise(s),
      baseline: summarise(b),
      baselineLabel: 'Map.get + counter update per event',
      target: '>= 1,000,000 events/s',
      meets: (f) => f.value >= 1_000_000,
      note,
    }),
  );
  Object.assign(out.at(-1), tags, { gcShare, gcShareBare });
  out.push(
    figure({
      bench: `engine ${n.toLocaleString('en')} heap (${hours} h${fullHistory ? '' : `, short history: ${loadHours} h loaded`})`,
      unit: 'bytes/container',
      subject: summarise([bytesEngine]),
      baseline: summarise([bytesBare]),
      baselineLabel: 'one Map entry {n, ts} per container',
      lowerIsBetter: true,
      target: n >= 100_000 ? (fullHistory ? '<= 2,048 bytes' : '(<= 2,048 bytes not judged: short history)') : '',
      meets: n >= 100_000 && fullHistory ? (f) => f.value <= 2048 : undefined,
      note: `heapUsed + arrayBuffers + the baselines' slab after a forced GC after ${hours} simulated hours (${k} cycles of 4 readings per container, ${fullHistory ? "every rule's history full" : `SHORT HISTORY: only ${loadHours} h loaded before measuring, not the ${LOAD_HOURS} h that fills every rule's window`}), minus before the engine; compiled plans included, the trip directory's parsed plans excluded; ${Math.round(bytesAtLoad)} bytes after ${loadHours} h`,
    }),
  );
  Object.assign(out.at(-1), tags, { bytesAtLoad });
  return out;
}

/**
 * What one trip with a route costs the engine once compiled, against the plan
 * as parsed from JSON. Plans with the same ports and route (a ship's
 * containers) share the compiled zones, track and index (plan.ts), so this is
 * mostly the plan's own record; at least 5,000 plans, so collector noise does
 * not swamp a figure of a hundred or two bytes.
 */
async function planFigure(planCount, config, ports) {
  const m = Math.max(planCount, 5000);
  const texts = makePlans(m, { devicePrefix: 'route', withRoute: true }).map((p) => JSON.stringify(p));
  const h0 = await memAfterGc();
  const parsed = texts.map((t) => JSON.parse(t));
  const h1 = await memAfterGc();
  let compiled;
  const ms = time(() => {
    compiled = parsed.map((p) => compilePlan(p, ports, config.trips));
  });
  const h2 = await memAfterGc();
  // keep the texts and parsed plans alive up to here (a collection may free what the code no longer reads)
  if (texts.length !== m || parsed.length !== m) throw new Error('plan figure: lost plans');
  // a route's index is built once and shared by every plan with the same track: its buffers count once
  const external = [...new Set(compiled.map((c) => c.routeIndex?.index?.data).filter(Boolean))].reduce((a, d) => a + d.byteLength, 0) / m;
  progress(`engine plan with route: ${fmt((h2 - h1) / m)} bytes per compiled plan (heap and array buffers; the shared route index ${fmt(external)} per plan), ${fmt(ms / m)} ms each; parsed plan ${fmt((h1 - h0) / m)} bytes`);
  return {
    ...figure({
      bench: 'engine plan with route (NLRTM-BRSSZ)',
      unit: 'bytes/plan',
      subject: summarise([(h2 - h1) / m]),
      baseline: summarise([(h1 - h0) / m]),
      baselineLabel: 'the plan as parsed from JSON',
      lowerIsBetter: true,
      target: '(adds to bytes/container: one trip per container)',
      note: `${m} plans with the same route compiled with compilePlan (geometry shared), ${(ms / m).toFixed(2)} ms each, the route's shared kdbush index ${Math.round(external)} bytes per plan; ${compiled[0].routeIndex ? 'route indexed' : 'no route'}`,
    }),
    compileMsPerPlan: ms / m,
    arrayBufferBytesPerPlan: external,
  };
}
