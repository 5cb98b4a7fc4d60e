// Two engine runs side by side, for changes smaller than this box's noise.
// Runs bench/engine-profile.mjs --time in two checkouts (or one checkout
// with two sets of options) at the same time, each pinned to a core of its
// own with taskset, the cores swapped every round; prints each round's
// events per CPU-second and the ratio B/A, then the median ratio. Whatever
// slows the box slows both runs of a round, so the ratio varies far less
// than the runs do one after the other (a build against itself: 0.96-1.04;
// the same build in runs one after the other: 0.5-1.3).
//
//   node bench/engine-pair.mjs --a "/tmp/wt-before" --b "." [--rounds 4] -- 100000 8 4
//   node bench/engine-pair.mjs --a ". --no-rules" --b ". --noop-rules" -- 100000 8 4
//
// --a and --b: a checkout (built: dist/ current) and options of its own for
// engine-profile.mjs (an option written node:OPTION goes to node itself,
// e.g. node:--max-semi-space-size=64); what follows -- is given to both.
// Each checkout runs its own engine-profile.mjs.
//
// --instructions counts instead of timing: each side runs under valgrind
// (cachegrind, no cache simulation; Debian's valgrind package) with node's
// --predictable --single-threaded, once with the timed hours given and once
// with SHORT_HOURS (2), and the difference of the two runs' instructions over
// the difference of their events is the instructions per event of the hours
// between: start-up, loading and compiling cancel out. engine-profile.mjs
// makes those hours' readings before it times them; two more runs of this
// checkout with --make-only count that, and it is taken off both sides.
// Not time (a wait for memory costs no instruction), but not swayed by the
// box either: the same
// build counted twice agreed within about 3 %, while timed rounds on a noisy
// evening spread from 0.85 to 1.66. Some 60 times slower than --time: use
// 1,000 or so containers.
//
//   node bench/engine-pair.mjs --instructions --a "/tmp/wt-before" --b "." --rounds 1 -- 1000 27 26
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { summarise } from './lib/measure.mjs';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const common = dash < 0 ? [] : argv.slice(dash + 1);
const own = dash < 0 ? argv : argv.slice(0, dash);
const opt = (name, fallback) => {
  const at = own.indexOf(name);
  if (at < 0 || own[at + 1] === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`usage: engine-pair.mjs --a "DIR [options]" --b "DIR [options]" [--rounds N] -- [engine-profile arguments]; ${name} missing`);
  }
  return own[at + 1];
};
const side = (spec) => {
  const [dir, ...extra] = spec.trim().split(/\s+/);
  const node = extra.filter((x) => x.startsWith('node:')).map((x) => x.slice(5));
  return { dir: resolve(dir), node, args: [...common, ...extra.filter((x) => !x.startsWith('node:')), '--time'] };
};
const counting = own.includes('--instructions');
const SHORT_HOURS = 2;
const a = side(opt('--a'));
const b = side(opt('--b'));
const rounds = Number(opt('--rounds', '4'));
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${rounds}: expected a whole number >= 1`);
if (availableParallelism() < 2) throw new Error('engine-pair.mjs needs two cores: one for each run');

if (counting) {
  if (!(Number(common[2]) > SHORT_HOURS)) throw new Error(`--instructions: give containers, hours and profiled hours (more than ${SHORT_HOURS}) after --`);
  if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('--instructions needs valgrind (apt-get install valgrind)');
}

/** Runs `taskset -c core ...command` in `dir`: its exit code and what it wrote (stdout, stderr). */
function pinned(core, command, dir) {
  return new Promise((done, fail) => {
    const child = spawn('taskset', ['-c', String(core), ...command], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
  });
}
const tail = (text) => text.trim().split('\n').slice(-3).join(' | ');

/** One engine-profile run under cachegrind on `core`, with `hours` timed: its instructions and timed events. */
async function countOn(core, { dir, node, args }, hours) {
  const given = args.filter((x) => x !== '--time');
  const withHours = [given[0], given[1], String(hours), ...given.slice(3), '--time'];
  const valgrind = ['valgrind', '--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null'];
  const { code, out, err } = await pinned(core, [...valgrind, process.execPath, '--predictable', '--single-threaded', ...node, 'bench/engine-profile.mjs', ...withHours], dir);
  const refs = /I\s+refs:\s+([\d,]+)/.exec(err);
  const events = /^(\d+) events in/m.exec(out + err);
  if (code !== 0 || !refs || !events) throw new Error(`valgrind engine-profile.mjs in ${dir} exited ${code}: ${tail(err)}`);
  return { instructions: Number(refs[1].replaceAll(',', '')), events: Number(events[1]) };
}

/** Instructions per event of the hours between a short run and a long one. */
const between = (short, long) => (long.instructions - short.instructions) / (long.events - short.events);

/** Instructions per event of a side over the hours between SHORT_HOURS and the hours given, its two runs on `core`. */
async function perEvent(core, x) {
  const short = await countOn(core, x, SHORT_HOURS);
  return between(short, await countOn(core, x, Number(common[2])));
}

/** One engine-profile run on `core`: its events per CPU-second. */
async function runOn(core, { dir, node, args }) {
  const { code, out, err } = await pinned(core, [process.execPath, ...node, 'bench/engine-profile.mjs', ...args], dir);
  const m = /^(\d+) events per CPU-second/m.exec(out);
  if (code !== 0 || !m) throw new Error(`engine-profile.mjs in ${dir} (${[...node, ...args].join(' ')}) exited ${code}: ${tail(err)}`);
  return Number(m[1]);
}

const ratios = [];
const show = (x) => `${x.dir} ${[...x.node.map((o) => `node:${o}`), ...x.args].join(' ')}`;
process.stdout.write(`A: ${show(a)}\nB: ${show(b)}\n`);
let making = 0;
if (counting) {
  // what making the readings costs, counted once with this checkout's engine-profile.mjs and no rule (its two runs side by side)
  const maker = { dir: resolve('.'), node: [], args: [...common, '--no-rules', '--make-only'] };
  making = between(...(await Promise.all([countOn(0, maker, SHORT_HOURS), countOn(1, maker, Number(common[2]))])));
  process.stdout.write(`making the readings: ${Math.round(making).toLocaleString('en')} instructions per event, taken off both sides\n`);
}
for (let i = 0; i < rounds && counting; i++) {
  const [ia, ib] = (await Promise.all([perEvent(0, a), perEvent(1, b)])).map((x) => x - making);
  ratios.push(ia / ib);
  process.stdout.write(`round ${i + 1}/${rounds}: A ${Math.round(ia).toLocaleString('en')}, B ${Math.round(ib).toLocaleString('en')} instructions per event, A/B ${(ia / ib).toFixed(3)}\n`);
}
for (let i = 0; i < rounds && !counting; i++) {
  const [ca, cb] = i % 2 === 0 ? [0, 1] : [1, 0];
  const [ra, rb] = await Promise.all([runOn(ca, a), runOn(cb, b)]);
  ratios.push(rb / ra);
  process.stdout.write(`round ${i + 1}/${rounds}: A ${ra.toLocaleString('en')} (core ${ca}), B ${rb.toLocaleString('en')} (core ${cb}) events per CPU-second, B/A ${(rb / ra).toFixed(3)}\n`);
}
const { median, min, max } = summarise(ratios);
process.stdout.write(`${counting ? 'A/B instructions' : 'B/A'} median ${median.toFixed(3)} (${min.toFixed(3)}-${max.toFixed(3)}) over ${rounds} rounds\n`);
