// `npm run evaluate`: the detection scores of WIRE section 5 on three kinds of fleet.
//
// Simulated: for each seed, `sealwatch simulate` writes a labelled corpus (full
// voyages, every breach kind, field faults on), `sealwatch replay` feeds its capture
// through the real decode and rule path. Recorded: each corpus given with
// `--recorded DIR` (a directory holding capture.ndjson.gz, trips/ and labels.ndjson;
// by default every directory under ../shared/corpora/ when that exists) is replayed
// the same way. The alerts of each kind are scored together against their labels
// (src/evaluate/score.ts): one per-rule table per kind (recall, expected-rule share,
// precision, median and p90 time to detect) plus the alerts on containers with no
// label, printed and written to bench/results/evaluation.md.
// Real tracks: the real-track corpora (simulators/real-tracks/README.md: real AIS
// movement, built into the cache by the same code as `npm run real-tracks`) are
// replayed the same way: false alerts per 1,000 container-days by rule and severity
// on the clean voyages and on the harbour craft, recall and precision per rule on the
// voyages with injected breaches. When they cannot be built (no python3 or pip to
// fetch the AIS data once), the report says so and the rest goes on.
//
// Options (after `--`): --seeds 1,2,3,4,5  --containers 200  --jobs 2
//                       --recorded DIR (repeatable; --recorded none: no recorded corpora)
//                       --skip-real-tracks (leave the real-track corpora out)
//                       --out bench/results/evaluation.md  --keep DIR (keep the simulated corpora there)
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
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
    recorded: { type: 'string', multiple: true },
    'skip-real-tracks': { type: 'boolean', default: false },
  },
});
const seeds = opt.seeds.split(',').map((s) => Number(s.trim()));
const containers = Number(opt.containers);
if (seeds.some((s) => !Number.isInteger(s)) || !(Number.isInteger(containers) && containers > 0) || (opt.jobs !== undefined && !(Number.isInteger(Number(opt.jobs)) && Number(opt.jobs) > 0))) {
  process.stderr.write('usage: npm run evaluate -- [--seeds 1,2,3] [--containers N] [--jobs N] [--recorded DIR]... [--skip-real-tracks] [--out FILE] [--keep DIR]\n');
  process.exit(2);
}
const sharedCorpora = join(root, '..', 'shared', 'corpora');
const recordedDirs = (
  opt.recorded ??
  (existsSync(sharedCorpora)
    ? readdirSync(sharedCorpora)
        .sort()
        .map((d) => join(sharedCorpora, d))
        .filter((d) => statSync(d).isDirectory())
    : [])
)
  .filter((d) => d !== 'none')
  .map((d) => resolve(d));
for (const d of recordedDirs) {
  for (const need of ['capture.ndjson.gz', 'trips', 'labels.ndjson']) {
    if (!existsSync(join(d, need))) {
      process.stderr.write(`evaluate: --recorded ${d}: no ${need} there (a recorded corpus holds capture.ndjson.gz, trips/ and labels.ndjson)\n`);
      process.exit(2);
    }
  }
}
const jobs = Math.max(1, Math.min(seeds.length, opt.jobs ? Number(opt.jobs) : Math.min(2, availableParallelism())));

execFileSync(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
const { readAlerts, readLabels, score } = await import(pathToFileURL(join(root, 'dist', 'src', 'evaluate', 'score.js')).href);
const { SEVERITIES } = await import(pathToFileURL(join(root, 'dist', 'src', 'model', 'alert.js')).href);
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

/** Replays a corpus directory's capture with its trip plans; the alerts, labels and clean containers. */
async function replayCorpus(dir, alertsFile) {
  const rep = await sealwatch(['replay', join(dir, 'capture.ndjson.gz'), '--trips', join(dir, 'trips'), '--alerts-out', alertsFile]);
  const labels = readLabels(join(dir, 'labels.ndjson'));
  const alerts = readAlerts(alertsFile);
  const all = readdirSync(join(dir, 'trips'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, 'trips', f), 'utf8')).containerId);
  const breached = new Set(labels.map((l) => l.containerId));
  const clean = new Set(all.filter((c) => !breached.has(c)));
  const onClean = alerts.filter((a) => clean.has(a.containerId));
  return { rep, labels, alerts, clean: clean.size, onClean };
}

async function runSeed(seed) {
  const dir = join(work, `seed-${seed}`);
  rmSync(dir, { recursive: true, force: true });
  const t0 = Date.now();
  const sim = await sealwatch(['simulate', '--out-dir', dir, '--seed', String(seed), '--containers', String(containers)]);
  const t1 = Date.now();
  const r = await replayCorpus(dir, join(dir, 'alerts.ndjson'));
  const t2 = Date.now();
  const s = score(r.labels, r.alerts);
  const line = `seed ${seed}: ${sim.trips} containers, ${sim.messages.toLocaleString('en')} messages, ${r.labels.length} labels, ${r.alerts.length} alerts (${r.onClean.length} on clean containers), recall ${fmt(s.recall)}, precision ${fmt(s.precision)}`;
  process.stdout.write(`${line}; simulate ${secs(t1 - t0)}, replay ${secs(t2 - t1)} (${r.rep.late} late readings)\n`);
  return { key: String(seed), ...r, messages: sim.messages, line };
}

async function runRecorded(dir) {
  const name = basename(dir);
  const out = join(work, `recorded-${name}`);
  mkdirSync(out, { recursive: true });
  const t0 = Date.now();
  const r = await replayCorpus(dir, join(out, 'alerts.ndjson'));
  const s = score(r.labels, r.alerts);
  const line = `${name}: ${r.clean + new Set(r.labels.map((l) => l.containerId)).size} containers, ${r.rep.messages?.toLocaleString('en') ?? '?'} messages, ${r.labels.length} labels, ${r.alerts.length} alerts (${r.onClean.length} on clean containers), recall ${fmt(s.recall)}, precision ${fmt(s.precision)}`;
  process.stdout.write(`${line}; replay ${secs(Date.now() - t0)} (${r.rep.late} late readings)\n`);
  return { key: name, ...r, messages: r.rep.messages ?? 0, line };
}

/** One kind of fleet, its corpora pooled (container numbers are only unique within a corpus): the per-rule table and the line on clean containers. */
function report(results) {
  const tag = (key, id) => `${key}:${id}`;
  const labels = results.flatMap((r) => r.labels.map((l) => ({ ...l, containerId: tag(r.key, l.containerId) })));
  const alerts = results.flatMap((r) => r.alerts.map((a) => ({ ...a, containerId: tag(r.key, a.containerId), alertId: tag(r.key, a.alertId) })));
  const s = score(labels, alerts);
  const onClean = results.flatMap((r) => r.onClean);
  const cleanCount = results.reduce((n, r) => n + r.clean, 0);
  const table = [
    '| rule | labels | recall | expected rule | alerts | precision | median min to detect | p90 min |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(s.perRule).map(([rule, r]) => `| ${rule} | ${r.labels} | ${fmt(r.recall)} | ${fmt(r.expectedRuleShare)} | ${r.alerts} | ${fmt(r.precision)} | ${fmt(r.medianMinutesToDetect)} | ${fmt(r.p90MinutesToDetect)} |`),
    `| **all** | ${s.labels} | ${fmt(s.recall)} | ${fmt(s.expectedRuleShare)} | ${s.alerts} | ${fmt(s.precision)} | ${fmt(s.medianMinutesToDetect)} | ${fmt(s.p90MinutesToDetect)} |`,
  ].join('\n');
  const perRule = {};
  for (const a of onClean) perRule[a.rule] = (perRule[a.rule] ?? 0) + 1;
  const byRule = Object.entries(perRule);
  const cleanLine = `False alerts on the ${cleanCount} containers with no labelled breach: ${onClean.length}${onClean.length ? ` (${byRule.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}.`;
  return { table, cleanLine, messages: results.reduce((n, r) => n + r.messages, 0) };
}

/** Alerts on a clean set by rule and severity, per 1,000 container-days. */
function falseAlertTable(alerts, containerDays) {
  const sev = SEVERITIES.filter((x) => x !== 'info');
  const rate = (n) => (containerDays > 0 ? ((1000 * n) / containerDays).toFixed(1) : '-');
  const row = (name, list) => `| ${name} | ${list.length} | ${sev.map((x) => list.filter((a) => a.severity === x).length).join(' | ')} | ${rate(list.length)} | ${new Set(list.map((a) => a.containerId)).size} |`;
  const rules = [...new Set(alerts.map((a) => a.rule))].sort();
  return [
    `| rule | alerts | ${sev.join(' | ')} | per 1,000 container-days | containers |`,
    `| --- | ---: | ${sev.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...rules.map((r) =>
      row(
        r,
        alerts.filter((a) => a.rule === r),
      ),
    ),
    row('**all**', alerts),
  ].join('\n');
}

/** The real-track corpora: built (or taken from the cache), replayed, scored; null with the reason when they cannot be had. */
async function runRealTracks() {
  const { ensureRealTrackCorpus } = await import(pathToFileURL(join(root, 'dist', 'simulators', 'real-tracks', 'cache.js')).href);
  const corpus = await ensureRealTrackCorpus({ log: (line) => process.stderr.write(`${line}\n`) });
  const out = {};
  for (const variant of ['clean', 'harbour', 'breaches']) {
    const dir = join(work, `real-tracks-${variant}`);
    mkdirSync(dir, { recursive: true });
    const t0 = Date.now();
    out[variant] = await replayCorpus(corpus[variant], join(dir, 'alerts.ndjson'));
    process.stdout.write(
      `real tracks, ${variant}: ${out[variant].rep.messages?.toLocaleString('en') ?? '?'} messages, ${out[variant].labels.length} labels, ${out[variant].alerts.length} alerts; replay ${secs(Date.now() - t0)} (${out[variant].rep.late} late readings)\n`,
    );
  }
  return { corpus, ...out };
}

const started = Date.now();
process.stdout.write(`evaluating ${seeds.length} simulated seeds x ${containers} containers (${jobs} at a time) and ${recordedDirs.length} recorded corpora, in ${work}\n`);
const simulated = [];
const queue = [...seeds];
await Promise.all(
  Array.from({ length: jobs }, async () => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) simulated.push(await runSeed(seed));
  }),
);
simulated.sort((a, b) => Number(a.key) - Number(b.key));
const recorded = [];
for (const d of recordedDirs) recorded.push(await runRecorded(d));

let real = null;
let realError = opt['skip-real-tracks'] ? 'left out (--skip-real-tracks)' : null;
if (!realError) {
  try {
    real = await runRealTracks();
  } catch (e) {
    realError = `could not be built: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`evaluate: the real-track corpora ${realError}\n`);
  }
}

const sim = report(simulated);
const rec = recorded.length ? report(recorded) : null;
const realMd = [];
let realText = '';
if (real) {
  const st = real.corpus.stats;
  const breach = report([{ key: 'real', ...real.breaches, messages: real.breaches.rep.messages ?? 0 }]);
  const cleanTable = falseAlertTable(real.clean.alerts, st.containerDays);
  const harbourTable = falseAlertTable(real.harbour.alerts, st.harbour.containerDays);
  realMd.push(
    `Real AIS movement (tracktable-data, US coastal and harbour traffic in 2020; simulators/real-tracks/README.md) turned into container trips as a new user plans them, default configuration, no field faults. Voyages (tracks that leave their port's waters): ${st.vessels} vessels carrying ${st.containers} monitored containers (2-6 each, every one its own device following the ship's recorded positions), ${st.containerDays} container-days. Harbour craft (tracks that never leave their port's waters): ${st.harbour.containers} containers, ${st.harbour.containerDays} container-days. Boxes on one ship share its movement, so their alerts come in groups: the voyages hold ${st.vessels} independent tracks.`,
    '',
    `### Clean voyages: false alerts (${st.containers} containers, ${st.containerDays} container-days)`,
    '',
    cleanTable,
    '',
    `### Harbour craft: false alerts (${st.harbour.containers} containers, ${st.harbour.containerDays} container-days)`,
    '',
    harbourTable,
    '',
    `### Voyages with injected breaches (${real.breaches.labels.length} labels on ${st.containers} containers)`,
    '',
    breach.table,
    '',
    breach.cleanLine,
  );
  realText = `\nReal tracks, clean voyages (${st.containerDays} container-days)\n\n${cleanTable}\n\nReal tracks, harbour craft (${st.harbour.containerDays} container-days)\n\n${harbourTable}\n\nReal tracks, injected breaches\n\n${breach.table}\n\n${breach.cleanLine}\n`;
} else {
  realMd.push(`Not evaluated: the real-track corpora ${realError}.`);
}
const md = [
  '# Detection evaluation',
  '',
  'WIRE section 5 scoring, default configuration, through `sealwatch replay` (the real decode and rule path): an alert detects a label of its container when its startedAt lies within [from - 10 min, to + 10 min]; "expected rule" is the share of labels that the label\'s own rule detected; time to detect is detectedAt - from. Generated by `npm run evaluate`.',
  '',
  '## Simulated fleets',
  '',
  `Seeds ${seeds.join(', ')}, ${containers} containers each (${seeds.length * containers} container voyages, ${sim.messages.toLocaleString('en')} MQTT messages), full voyages, every breach kind and its variants injected into half of the containers, the field's normal behaviour and faults on (simulators/fleet.ts's header), all seeds scored together.`,
  '',
  sim.table,
  '',
  sim.cleanLine,
  '',
  'Per seed:',
  '',
  ...simulated.map((r) => `- ${r.line}`),
  '',
  '## Recorded corpora',
  '',
  ...(rec
    ? [
        `${recorded.map((r) => r.key).join(', ')}: recorded trips from other fleets, replayed with their trip plans and scored together against their labels (${rec.messages.toLocaleString('en')} MQTT messages).`,
        '',
        rec.table,
        '',
        rec.cleanLine,
        '',
        'Per corpus:',
        '',
        ...recorded.map((r) => `- ${r.line}`),
      ]
    : ['None given (`--recorded DIR`; by default every directory under ../shared/corpora/).']),
  '',
  '## Real vessel tracks',
  '',
  ...realMd,
  '',
].join('\n');
mkdirSync(dirname(opt.out), { recursive: true });
writeFileSync(opt.out, md);
process.stdout.write(`\nSimulated fleets\n\n${sim.table}\n\n${sim.cleanLine}\n`);
if (rec) process.stdout.write(`\nRecorded corpora (${recorded.map((r) => r.key).join(', ')})\n\n${rec.table}\n\n${rec.cleanLine}\n`);
process.stdout.write(realText || `\nReal tracks: ${realError}\n`);
process.stdout.write(`\nwritten to ${relative(process.cwd(), opt.out) || opt.out} in ${secs(Date.now() - started)}\n`);
if (!opt.keep) rmSync(work, { recursive: true, force: true });
