// `npm run robustness`: do the rules hold under noise they were not tuned on?
// A recorded corpus (fleet-x by default: another fleet's capture, trip plans
// and labels) is replayed as recorded and then once per perturbation of
// src/evaluate/perturb.ts (GNSS error, multipath, half-rate fixes, no speed,
// clock jitter, temperature noise and resolution, light sensor dark current,
// late delivery, duplicates), each alone, seeded. For each: recall and
// precision against the corpus's labels (src/evaluate/score.ts), the alerts
// on containers with no label, and the alerts that appear or go against the
// unperturbed replay, by rule. Written to bench/results/robustness.md.
//
// Options (after `--`): --corpus DIR (default ../shared/corpora/fleet-x)
//                       --seed N (default 1)  --only NAME,NAME
//                       --out FILE (default bench/results/robustness.md)  --keep DIR
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const { values: opt } = parseArgs({
  options: {
    corpus: { type: 'string', default: join(root, '..', 'shared', 'corpora', 'fleet-x') },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    out: { type: 'string', default: join(root, 'bench', 'results', 'robustness.md') },
    keep: { type: 'string' },
  },
});
const corpus = resolve(opt.corpus);
const seed = Number(opt.seed);
if (!Number.isInteger(seed) || !['capture.ndjson.gz', 'trips', 'labels.ndjson'].every((f) => existsSync(join(corpus, f)))) {
  process.stderr.write('usage: npm run robustness -- [--corpus DIR holding capture.ndjson.gz, trips/ and labels.ndjson] [--seed N] [--only NAME,...] [--out FILE] [--keep DIR]\n');
  process.exit(2);
}

execFileSync(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
const dist = (p) => import(pathToFileURL(join(root, 'dist', 'src', p)).href);
const { PERTURBATIONS, seededRng } = await dist('evaluate/perturb.js');
const { readAlerts, readLabels, score } = await dist('evaluate/score.js');
const cli = join(root, 'dist', 'src', 'cli.js');
const chosen = opt.only ? opt.only.split(',') : PERTURBATIONS.map((p) => p.name);
for (const name of chosen)
  if (!PERTURBATIONS.some((p) => p.name === name)) {
    process.stderr.write(`robustness: --only: unknown perturbation ${name}; expected some of ${PERTURBATIONS.map((p) => p.name).join(', ')}\n`);
    process.exit(2);
  }

const work = opt.keep ?? mkdtempSync(join(tmpdir(), 'sealwatch-robust-'));
mkdirSync(work, { recursive: true });

function replay(dir) {
  return new Promise((res, rej) => {
    const alertsFile = join(dir, 'alerts.ndjson');
    const child = spawn(process.execPath, [cli, '--log-level', 'warn', 'replay', join(dir, 'capture.ndjson.gz'), '--trips', join(dir, 'trips'), '--alerts-out', alertsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? res({ summary: JSON.parse(out.trim().split('\n').pop()), alerts: readAlerts(alertsFile) }) : rej(new Error(`replay exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))));
  });
}

const lines = gunzipSync(readFileSync(join(corpus, 'capture.ndjson.gz')))
  .toString('utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));
const labels = readLabels(join(corpus, 'labels.ndjson'));
const containers = readdirSync(join(corpus, 'trips'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(corpus, 'trips', f), 'utf8')).containerId);
const breached = new Set(labels.map((l) => l.containerId));
const clean = new Set(containers.filter((c) => !breached.has(c)));

async function runOne(name, capture) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'capture.ndjson.gz'), gzipSync(`${capture.map((l) => JSON.stringify(l)).join('\n')}\n`));
  symlinkSync(join(corpus, 'trips'), join(dir, 'trips'));
  const { summary, alerts } = await replay(dir);
  const s = score(labels, alerts);
  const onClean = alerts.filter((a) => clean.has(a.containerId));
  return { name, messages: capture.length, summary, alerts, score: s, onClean };
}

/** The alerts of `a` with no alert of the same rule and container in `b` starting within an hour of theirs (each of `b` matched once). */
function unmatched(a, b) {
  const pool = new Map();
  for (const x of b) {
    const k = `${x.rule} ${x.containerId}`;
    pool.set(k, [...(pool.get(k) ?? []), Date.parse(x.startedAt)]);
  }
  return a.filter((x) => {
    const starts = pool.get(`${x.rule} ${x.containerId}`) ?? [];
    const t = Date.parse(x.startedAt);
    const i = starts.findIndex((s) => Math.abs(s - t) <= 3_600_000);
    if (i < 0) return true;
    starts.splice(i, 1);
    return false;
  });
}
const byRule = (alerts) => {
  const m = new Map();
  for (const a of alerts) m.set(a.rule, (m.get(a.rule) ?? 0) + 1);
  return [...m].map(([r, k]) => `${r} ${k}`).join(', ') || 'none';
};

process.stdout.write(`robustness: ${relative(process.cwd(), corpus)} (${lines.length.toLocaleString('en')} messages, ${labels.length} labels, ${clean.size} clean containers), seed ${seed}, ${chosen.length} perturbations, in ${work}\n`);
const base = await runOne('as-recorded', lines);
process.stdout.write(`as recorded: ${base.alerts.length} alerts, recall ${base.score.recall}, precision ${base.score.precision}, ${base.onClean.length} on clean containers\n`);
const rows = [];
for (const p of PERTURBATIONS.filter((x) => chosen.includes(x.name))) {
  // one generator per perturbation, from the seed and its name: adding one does not move the others
  let h = seed >>> 0;
  for (const c of p.name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const r = await runOne(p.name, p.apply(lines, seededRng(h)));
  const added = unmatched(r.alerts, base.alerts);
  const gone = unmatched(base.alerts, r.alerts);
  rows.push({ p, r, added, gone });
  process.stdout.write(`${p.name}: ${r.alerts.length} alerts, recall ${r.score.recall}, precision ${r.score.precision}, ${r.onClean.length} on clean containers; new ${byRule(added)}; gone ${byRule(gone)}\n`);
}

const fmt = (x) => (x === null || x === undefined ? '-' : String(Math.round(x * 1000) / 1000));
const md = [
  '# Robustness: the rules under noise they were not tuned on',
  '',
  `The recorded corpus \`${relative(root, corpus)}\` (${lines.length.toLocaleString('en')} MQTT messages, ${labels.length} labels, ${clean.size} containers with no labelled breach) replayed as recorded and once per perturbation, each alone (seed ${seed}; \`src/evaluate/perturb.ts\`), default configuration, through \`sealwatch replay\`. Scored as \`npm run evaluate\` scores (WIRE section 5). "New" and "gone": alerts that appear or disappear against the replay as recorded (the same rule and container, starting within an hour, is the same alert). Generated by \`npm run robustness\`.`,
  '',
  '| perturbation | what it stands for | alerts | recall | precision | on clean containers | new alerts | gone alerts |',
  '| --- | --- | ---: | ---: | ---: | ---: | --- | --- |',
  `| as recorded | | ${base.alerts.length} | ${fmt(base.score.recall)} | ${fmt(base.score.precision)} | ${base.onClean.length} | | |`,
  ...rows.map(({ p, r, added, gone }) => `| ${p.name} | ${p.what} | ${r.alerts.length} | ${fmt(r.score.recall)} | ${fmt(r.score.precision)} | ${r.onClean.length} | ${byRule(added)} | ${byRule(gone)} |`),
  '',
];
mkdirSync(join(opt.out, '..'), { recursive: true });
writeFileSync(opt.out, `${md.join('\n')}\n`);
process.stdout.write(`written: ${relative(process.cwd(), opt.out)}\n`);
if (!opt.keep) rmSync(work, { recursive: true, force: true });
