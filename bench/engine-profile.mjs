// The engine's steady state under a CPU profile: N containers (default
// 20,000) loaded for H hours (default 27, every rule's history full) untimed,
// then R more hours (default 6) inside the profile. Every rule on, plans with
// a route, the engine suite's readings.
//
//   npm run build && node bench/engine-profile.mjs [containers] [hours] [profiled hours] --out DIR
//   node bench/profile-top.mjs DIR/engine.cpuprofile 30
//
// --time runs the profiled hours without a profiler and prints events/s
// (for comparing two builds on the same box, one run after the other).
// --no-rules runs the engine with no rule at all: what its own record
// keeping (holds, release, timers, the container's record) costs per event.
// --noop-rules runs every rule with hooks that do nothing: what handing a
// reading to the rules costs (dispatch, states, cells, idle checks) without
// the rules' own work.
// --without ID[,ID] leaves those rules out: what each costs at the margin.
// --make-only makes the profiled hours' readings and hands none of them to
// the engine: what making them costs (engine-pair.mjs --instructions takes
// it off its counts).
// bench/engine-pair.mjs runs two of these side by side to compare them.
// --alloc samples allocations instead (V8's sampling heap profiler, every
// 4 KB on average) and prints the sites that allocated most during the
// profiled hours, garbage or not.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { loadConfig } from '../dist/src/config/load.js';
import { defaultPorts } from '../dist/src/geo/ports.js';
import { newTripDirectory } from '../dist/src/pipeline/app.js';
import { RuleEngine } from '../dist/src/rules/engine.js';
import { ALL_RULES } from '../dist/src/rules/index.js';
import { makePlans } from './lib/fleet.mjs';
import { cycle } from './suites/engine.mjs';

const argv = process.argv.slice(2);
/** Whether the option `name` was given (taken out of argv, which then holds the numbers and --out/--without). */
const flag = (name) => {
  const at = argv.indexOf(name);
  if (at >= 0) argv.splice(at, 1);
  return at >= 0;
};
const alloc = flag('--alloc');
const timeOnly = flag('--time');
const noRules = flag('--no-rules');
const makeOnly = flag('--make-only');
const noopRules = flag('--noop-rules');
if (noRules && noopRules) throw new Error('--no-rules and --noop-rules: one or the other');
const withoutAt = argv.indexOf('--without');
if (withoutAt >= 0 && !argv[withoutAt + 1]) throw new Error('--without: expected rule ids, comma-separated');
const without = withoutAt < 0 ? [] : argv[withoutAt + 1].split(',');
if (withoutAt >= 0) argv.splice(withoutAt, 2);
for (const id of without) if (!ALL_RULES.some((r) => r.id === id)) throw new Error(`--without ${id}: no such rule`);
const outAt = argv.indexOf('--out');
if (!timeOnly && (outAt < 0 || !argv[outAt + 1])) throw new Error('usage: engine-profile.mjs [containers] [hours] [profiled hours] --out DIR');
const outDir = outAt < 0 ? null : argv[outAt + 1];
if (outAt >= 0) argv.splice(outAt, 2);
if (outDir) mkdirSync(outDir, { recursive: true }); // (made up front: an hour of loading is not lost to a missing folder at the end)
const [n = 20_000, hours = 27, profiled = 6] = argv.map(Number);
if (!(n > 0) || !(hours > 0) || !(profiled > 0)) throw new Error('containers, hours and profiled hours must be > 0');

const config = loadConfig({ env: {} });
const trips = newTripDirectory(config);
const plans = makePlans(n, { devicePrefix: 'eng', withRoute: true });
for (const p of plans) trips.upsert(p);
const nothing = () => {};
const noop = (r) => ({ ...r, learn: r.learn && nothing, onReading: nothing, onTimer: r.onTimer && nothing });
const rules = noRules ? [] : ALL_RULES.filter((r) => !without.includes(r.id)).map((r) => (noopRules ? noop(r) : r));
const engine = new RuleEngine({ config, trips, ports: defaultPorts(), rules, output: { alert: () => {}, late: () => {} } });
const perHour = 4;
let k = 0;
for (; k < hours * perHour; k++) for (const r of cycle(plans, k)) engine.ingest(r);
process.stderr.write(`${n} containers, ${hours} h loaded; profiling ${profiled} h\n`);
const batches = [];
for (let i = 0; i < profiled * perHour; i++) batches.push(cycle(plans, k + i));
const session = new Session();
session.connect();
if (alloc) {
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
} else if (!timeOnly) {
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let events = 0;
const rates = [];
for (let h = 0; h < profiled; h++) {
  const h0 = performance.now();
  let e = 0;
  for (const batch of batches.slice(h * perHour, (h + 1) * perHour)) {
    if (!makeOnly) for (const r of batch) engine.ingest(r);
    e += batch.length;
  }
  rates.push((e * 1000) / (performance.now() - h0));
  events += e;
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
if (timeOnly) {
  process.stdout.write(`${Math.round((events * 1e6) / (cpu.user + cpu.system))} events per CPU-second of the process (every thread, the collector's too)\n`);
  const sorted = [...rates].sort((a, b) => a - b);
  process.stdout.write(`events/s per hour of readings: ${rates.map((x) => Math.round(x)).join(' ')}; median ${Math.round(sorted[sorted.length >> 1])}\n`);
}
process.stderr.write(`${events} events in ${Math.round(ms)} ms: ${Math.round((events * 1000) / ms)} events/s${timeOnly ? '' : ' under the profiler'}\n`);
if (alloc) {
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(join(outDir, 'engine.heapprofile'), JSON.stringify(profile));
  // self bytes per function and line, largest first
  const sites = new Map();
  let total = 0;
  const walk = (node) => {
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  for (const [key, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`${(bytes / events).toFixed(1).padStart(7)} B/event  ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${key}\n`);
  process.stdout.write(`${(total / events).toFixed(1)} bytes allocated per event in all\n`);
} else if (!timeOnly) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(join(outDir, 'engine.cpuprofile'), JSON.stringify(profile));
}
