// `npm run evaluate`: the detection scores of WIRE section 5 on a large simulated corpus.
//
// For each seed: `sealwatch simulate` writes a labelled corpus (full voyages, every
// breach kind, field faults on), `sealwatch replay` feeds its capture through the
// real decode and rule path, then the alerts of all seeds are scored together
// against their labels (src/evaluate/score.ts) and the per-rule table is printed
// and written to bench/results/evaluation.md.
//
// Options (after `--`): --seeds 1,2,3,4,5  --containers 200  --jobs 2
//                       --out bench/results/evaluation.md  --keep DIR (keep the corpora there)
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const { values: opt } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4,5' },
    containers: { type: 'string', default: '200' },
    jobs: { type: 'string' },
    out: { type: 'string', default: join(root, 'bench', 'results', 'evaluation.md') },
    keep: { type: 'string' },
  },
});
const seeds = opt.seeds.split(',').map((s) => Number(s.trim()));
const containers = Number(opt.containers);
if (seeds.some((s) => !Number.isInteger(s)) || !(Number.isInteger(containers) && containers > 0)) {
  process.stderr.write('usage: npm run evaluate -- [--seeds 1,2,3] [--containers N] [--jobs N] [--out FILE] [--keep DIR]\n');
  process.exit(2);
}
const jobs = Math.max(1, Math.min(seeds.length, opt.jobs ? Number(opt.jobs) : Math.min(2, availableParallelism())));

execFileSync(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
const { readAlerts, readLabels, score } = await import(pathToFileURL(join(root, 'dist', 'src', 'evaluate', 'score.js')).href);
const cli = join(root, 'dist', 'src', 'cli.js');

const work = opt.keep ?? mkdtempSync(join(tmpdir(), 'sealwatch-eval-'));
mkdirSync(work, { recursive: true });

/** Runs the CLI; resolves with the JSON summary line it prints on stdout. */
function sealwatch(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`sealwatch ${args[0]} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      const line = out.trim().split('\n').pop() ?? '{}';
      resolve(JSON.parse(line));
    });
  });
}

const secs = (ms) => `${Math.round(ms / 1000)} s`;
const fmt = (x) => (x === null || x === undefined ? '-' : String(x));

async function runSeed(seed) {
  const dir = join(work, `seed-${seed}`);
  rmSync(dir, { recursive: true, force: true });
  const t0 = Date.now();
  const sim = await sealwatch(['simulate', '--out-dir', dir, '--seed', String(seed), '--containers', String(containers)]);
  const t1 = Date.now();
  const alertsFile = join(dir, 'alerts.ndjson');
  const rep = await sealwatch(['replay', join(dir, 'capture.ndjson.gz'), '--trips', join(dir, 'trips'), '--alerts-out', alertsFile]);
  const t2 = Date.now();
  const labels = readLabels(join(dir, 'labels.ndjson'));
  const alerts = readAlerts(alertsFile);
  const all = readdirSync(join(dir, 'trips')).map((f) => JSON.parse(readFileSync(join(dir, 'trips', f), 'utf8')).containerId);
  const breached = new Set(labels.map((l) => l.containerId));
  const clean = new Set(all.filter((c) => !breached.has(c)));
  const onClean = alerts.filter((a) => clean.has(a.containerId));
  const s = score(labels, alerts);
  const line = `seed ${seed}: ${sim.trips} containers, ${sim.messages.toLocaleString('en')} messages, ${labels.length} labels, ${alerts.length} alerts (${onClean.length} on clean containers), recall ${fmt(s.recall)}, precision ${fmt(s.precision)}`;
  process.stdout.write(`${line}; simulate ${secs(t1 - t0)}, replay ${secs(t2 - t1)} (${rep.late} late readings)\n`);
  return { seed, labels, alerts, clean: clean.size, onClean, messages: sim.messages, line };
}

const started = Date.now();
process.stdout.write(`evaluating ${seeds.length} seeds x ${containers} containers, ${jobs} at a time, in ${work}\n`);
const results = [];
const queue = [...seeds];
await Promise.all(
  Array.from({ length: jobs }, async () => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) results.push(await runSeed(seed));
  }),
);
results.sort((a, b) => a.seed - b.seed);

// pooled: container numbers are only unique within a seed
const tag = (seed, id) => `${seed}:${id}`;
const labels = results.flatMap((r) => r.labels.map((l) => ({ ...l, containerId: tag(r.seed, l.containerId) })));
const alerts = results.flatMap((r) => r.alerts.map((a) => ({ ...a, containerId: tag(r.seed, a.containerId), alertId: tag(r.seed, a.alertId) })));
const s = score(labels, alerts);
const onClean = results.flatMap((r) => r.onClean);
const cleanCount = results.reduce((n, r) => n + r.clean, 0);
const messages = results.reduce((n, r) => n + r.messages, 0);

const table = [
  '| rule | labels | recall | expected rule | alerts | precision | median min to detect | p90 min |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...Object.entries(s.perRule).map(([rule, r]) => `| ${rule} | ${r.labels} | ${fmt(r.recall)} | ${fmt(r.expectedRuleShare)} | ${r.alerts} | ${fmt(r.precision)} | ${fmt(r.medianMinutesToDetect)} | ${fmt(r.p90MinutesToDetect)} |`),
  `| **all** | ${s.labels} | ${fmt(s.recall)} | ${fmt(s.expectedRuleShare)} | ${s.alerts} | ${fmt(s.precision)} | ${fmt(s.medianMinutesToDetect)} | ${fmt(s.p90MinutesToDetect)} |`,
].join('\n');
const cleanLine = `Alerts on the ${cleanCount} containers with no injected breach: ${onClean.length}${onClean.length ? ` (${Object.entries(onClean.reduce((m, a) => ((m[a.rule] = (m[a.rule] ?? 0) + 1), m), {})).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}.`;
const md = [
  '# Detection evaluation',
  '',
  `Seeds ${seeds.join(', ')}, ${containers} containers each (${seeds.length * containers} container voyages, ${messages.toLocaleString('en')} MQTT messages), full voyages, every breach kind injected into half of the containers, field faults on (duplicates, reordering, store-and-forward backlogs, clock skew, garbage), default configuration. Generated by \`npm run evaluate\`: \`sealwatch simulate\`, \`sealwatch replay\`, then WIRE section 5 scoring of all seeds together (an alert detects a label of its container when its startedAt lies within [from - 10 min, to + 10 min]; "expected rule" is the share of labels that the label's own rule detected).`,
  '',
  table,
  '',
  cleanLine,
  '',
  'Per seed:',
  '',
  ...results.map((r) => `- ${r.line}`),
  '',
].join('\n');
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, md);
process.stdout.write(`\n${table}\n\n${cleanLine}\n\nwritten to ${relative(process.cwd(), opt.out) || opt.out} in ${secs(Date.now() - started)}\n`);
if (!opt.keep) rmSync(work, { recursive: true, force: true });
