#!/usr/bin/env node
// `npm run bench`: decode, engine, replay, embedded/stack end-to-end and storm benchmarks, each figure a ratio
// against a raw component limit measured in the same run (never an absolute
// timed assertion). Each suite runs in its own node process with
// --expose-gc, so heap figures can force a collection and one suite's JIT and
// heap do not colour the next. Imports the compiled dist/ (built first).
//
//   node bench/run.mjs [--quick] [--only decode,engine,replay,embedded,stack,stack-split,storm,snapshot] [--no-stack] [--growth] [--rounds N] [--out-dir DIR] [--no-build]
//
// --growth adds 1,000,000 containers to the engine's 10,000 and 100,000 (the
// growth curve), with a short history (6 h, not 27 h) and 100,000 again with the
// same short history (see engineGrowthRuns), and a larger heap for the engine's process. Every run
// with the engine suite draws its curve, events/s/core and bytes/container
// against containers, in <out-dir>/<latest|quick>-growth.svg.
//
// The stack suite starts the local stack (scripts/stack.sh up) under the
// shared stack lock (flock /tmp/sealwatch-stack.lock; set
// SEALWATCH_STACK_LOCK_HELD=1 when the caller already holds it), stops it
// afterwards if it started it, and is skipped with a message when the stack
// cannot start. --no-stack skips it; --quick skips it too unless named in --only.
// The snapshot suite's real-process restore (a `sealwatch run` restoring the
// suite's snapshots from the stack's Kafka) follows the same rules and takes
// the same lock; without it the suite measures in-process only.
import { execFileSync, spawn } from 'node:child_process';
import { DEPLOYED_NODE_ARGS } from './lib/deployed.mjs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { writeGrowthSvg } from './lib/plot.mjs';
import { machine, tableText, writeResults } from './lib/report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const STACK_LOCK = '/tmp/sealwatch-stack.lock';
const root = join(here, '..');
const SUITES = ['decode', 'engine', 'replay', 'embedded', 'stack', 'stack-split', 'storm', 'snapshot'];
/** Suites on the local stack: skipped by --no-stack, and by --quick unless named. */
const STACK_SUITES = ['stack', 'stack-split'];

const FULL = {
  warmup: 1,
  rounds: 5,
  decodeDevices: 1000,
  decodeReadings: 200_000,
  batchSize: 100,
  engineContainers: [10_000, 100_000],
  engineEventsPerRound: 400_000,
  // --growth: 1M containers with 6 h of history, not the full 27 h (on our shared 2-core box 6 h
  // took 818-978 s to load at 1M, twice the 100k load's time per event, so 27 h would take
  // an hour or more), and 100k with the same
  // 6 h, so the step from 100k to 1M compares like with like; the heap limit is for 1M
  engineGrowthRuns: [
    { containers: 100_000, loadHours: 6 },
    { containers: 1_000_000, loadHours: 6 },
  ],
  engineGrowthMaxOldSpaceMb: 14_336,
  planCount: 1000,
  replayContainers: 60,
  replayHours: 0, // the simulator's whole voyages (about a month)
  e2eContainers: 2000,
  e2eCycles: 10,
  e2eLatencyCycles: 4,
  e2eClients: 8,
  e2eBreachEvery: 50,
  stackContainers: 5000,
  stackCycles: 4,
  stackLatencyCycles: 2,
  stackClients: 16,
  stackRate: 30_000,
  stormContainers: 5000,
  stormHours: 6,
  stormBatch: 500,
  stormBreachEvery: 400,
  snapshotContainers: 100_000,
  snapshotHours: 27,
  // the real-process restore: readings of the cycle after the snapshots on the telemetry topic, and a bound per process
  snapshotTailReadings: 24_000,
  snapshotProcessTimeoutMs: 600_000,
};
const QUICK = {
  warmup: 0,
  rounds: 1,
  decodeDevices: 20,
  decodeReadings: 400,
  batchSize: 100,
  engineContainers: [50, 200],
  engineEventsPerRound: 2000,
  engineGrowthRuns: [
    { containers: 200, loadHours: 6 },
    { containers: 1000, loadHours: 6 },
  ],
  engineGrowthMaxOldSpaceMb: 0,
  planCount: 300,
  replayContainers: 2,
  replayHours: 24,
  e2eContainers: 20,
  e2eCycles: 2,
  e2eLatencyCycles: 2,
  e2eClients: 2,
  e2eBreachEvery: 5,
  stackContainers: 100,
  stackCycles: 2,
  stackLatencyCycles: 2,
  stackClients: 2,
  stackRate: 2000,
  stormContainers: 20,
  stormHours: 6,
  stormBatch: 100,
  stormBreachEvery: 20,
  snapshotContainers: 200,
  snapshotHours: 27,
  snapshotTailReadings: 200,
  snapshotProcessTimeoutMs: 120_000,
};

function parseArgs(argv) {
  const a = { opts: {}, quick: false, only: null, stack: true, growth: false, rounds: null, outDir: join(here, 'results'), build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${arg}: missing value`);
      return v;
    };
    if (arg === '--quick') a.quick = true;
    else if (arg === '--no-build') a.build = false;
    else if (arg === '--no-stack') a.stack = false;
    else if (arg === '--growth') a.growth = true;
    else if (arg.startsWith('--only')) a.only = value().split(',');
    else if (arg.startsWith('--rounds')) a.rounds = Number(value());
    else if (arg.startsWith('--opt')) {
      // ad-hoc sizes for profiling: --opt stackContainers=1000
      const [k, v] = value().split('=');
      a.opts[k] = Number(v);
    } else if (arg.startsWith('--out-dir')) a.outDir = value();
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: node bench/run.mjs [--quick] [--only decode,engine,replay,embedded,stack,stack-split,storm,snapshot] [--no-stack] [--growth] [--rounds N] [--out-dir DIR] [--no-build]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  const named = a.only !== null;
  a.only ??= SUITES.filter((s) => !STACK_SUITES.includes(s) || !a.quick);
  // the snapshot suite's real-process restore needs the local stack: as the stack suite, not with --no-stack, nor --quick unless named
  a.snapshotRealProcess = a.stack && (!a.quick || (named && a.only.includes('snapshot')));
  if (!a.stack) a.only = a.only.filter((s) => !STACK_SUITES.includes(s));
  for (const s of a.only) if (!SUITES.includes(s)) throw new Error(`--only: unknown suite ${s}; expected some of ${SUITES.join(', ')}`);
  if (a.rounds !== null && !(Number.isInteger(a.rounds) && a.rounds > 0)) throw new Error('--rounds: expected a whole number > 0');
  return a;
}

function runSuite(suite, opts) {
  return new Promise((resolve, reject) => {
    const heap = suite === 'engine' && opts.engineMaxOldSpaceMb > 0 ? [`--max-old-space-size=${opts.engineMaxOldSpaceMb}`] : [];
    // the engine runs in the rules stage's process: measured with the Node options a deployment gives it
    const deployed = suite === 'engine' ? DEPLOYED_NODE_ARGS : [];
    const argv = [process.execPath, '--expose-gc', ...deployed, ...heap, join(here, 'lib', 'child.mjs'), suite, JSON.stringify(opts)];
    // the stack suite holds the shared stack lock for its whole run (stack up, benchmark, stack down);
    // -o: what it starts (the stack's services) must not inherit the lock and hold it after the run
    const usesStack = STACK_SUITES.includes(suite) || (suite === 'snapshot' && opts.snapshotRealProcess);
    if (usesStack && process.env.SEALWATCH_STACK_LOCK_HELD !== '1') argv.unshift('flock', '-o', '-w', '3600', STACK_LOCK);
    const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench suite ${suite} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)));
      } catch (err) {
        reject(new Error(`bench suite ${suite}: no result (${err.message})`));
      }
    });
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.build) execFileSync(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const opts = { ...(args.quick ? QUICK : FULL), snapshotRealProcess: args.snapshotRealProcess, ...(args.rounds ? { rounds: args.rounds } : {}), ...args.opts };
  if (args.growth) {
    opts.engineExtraRuns = opts.engineGrowthRuns;
    opts.engineMaxOldSpaceMb = opts.engineGrowthMaxOldSpaceMb;
  }
  const m = machine(root);
  process.stderr.write(`[bench] ${args.quick ? 'quick' : 'full'} run on ${m.cpuCount} x ${m.cpuModel}, Node ${m.node}, load average ${m.loadAverage.map((x) => x.toFixed(2)).join(' ')}\n`);
  const started = Date.now();
  const figures = [];
  for (const suite of SUITES.filter((s) => args.only.includes(s))) figures.push(...(await runSuite(suite, opts)));
  const record = { machine: m, mode: args.quick ? 'quick' : 'full', growth: args.growth, options: opts, durationMs: Date.now() - started, figures };
  const name = args.quick ? 'quick' : 'latest';
  const files = writeResults(args.outDir, name, record);
  const written = [files.json, files.md];
  const svg = join(args.outDir, `${name}-growth.svg`);
  if (writeGrowthSvg(svg, record)) written.push(svg);
  process.stdout.write(`\n${tableText(figures)}\n\nwritten: ${written.map((f) => relative(process.cwd(), f)).join(', ')} (${Math.round(record.durationMs / 1000)} s)\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});
