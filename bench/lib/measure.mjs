// Rounds, medians and spreads. Every figure is compared with a baseline
// measured in the same process and the same run, round by round (subject and
// baseline alternate), so a noisy 2-core machine slows both alike.
import { performance } from 'node:perf_hooks';

export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarise(values) {
  const s = [...values].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), min: s[0], max: s[s.length - 1], q1: quantile(s, 0.25), q3: quantile(s, 0.75), rounds: values };
}

/** Runs `fn` and returns elapsed milliseconds. */
export function time(fn) {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

export async function timeAsync(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * `warmup` unrecorded rounds, then `rounds` recorded ones; each round runs the
 * subject then the baseline. A round function returns `{ units, ms }` (or a
 * promise of it); rates are units per second.
 */
export async function compare({ warmup, rounds, subject, baseline, onRound }) {
  const s = [];
  const b = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const rs = await subject(i);
    const rb = await baseline(i);
    if (i < warmup) continue;
    s.push((rs.units * 1000) / rs.ms);
    b.push((rb.units * 1000) / rb.ms);
    onRound?.(i - warmup + 1, s[s.length - 1], b[b.length - 1]);
  }
  return { subject: summarise(s), baseline: summarise(b) };
}

/** Heap in use after a full collection (needs node --expose-gc). */
export function heapAfterGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('run node with --expose-gc (bench/run.mjs does)');
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

export function progress(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

export const fmt = (n) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : n.toPrecision(3));

/** A figure in the shape the runner reports: higher is better unless `lowerIsBetter`. */
export function figure({ bench, unit, subject, baseline, target, meets, note, lowerIsBetter = false, baselineLabel, logLines }) {
  const f = {
    bench,
    unit,
    value: subject.median,
    baseline: baseline.median,
    ratio: subject.median / baseline.median,
    spread: { min: subject.min, max: subject.max, q1: subject.q1, q3: subject.q3 },
    baselineSpread: { min: baseline.min, max: baseline.max },
    rounds: subject.rounds,
    baselineRounds: baseline.rounds,
    baselineLabel,
    lowerIsBetter,
    target,
    note,
    // lines a process logged that the figure is taken from (the report prints them under the note)
    ...(logLines?.length ? { logLines } : {}),
  };
  f.targetMet = meets ? meets(f) : null;
  return f;
}
