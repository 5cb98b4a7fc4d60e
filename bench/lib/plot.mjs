// The engine's growth curve as an SVG: events/s/core and bytes/container
// against the number of containers (log scale), one panel each, every point
// labelled with its value. Plain string building, no dependency.
//
// bench/run.mjs writes it after every run with the engine suite;
// `node bench/lib/plot.mjs RECORD.json [OUT.svg]` draws it again from a
// recorded run (default OUT: RECORD's name with -growth.svg).
import { writeFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const W = 1000;
const H = 470;
const PANEL = { w: 360, h: 300, top: 92 };
const LEFTS = [95, 610];

/** The figure as the table prints it: thousands separated, three significant digits below 100. */
export const label = (n) => (n === 0 ? '0' : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : n.toPrecision(3));

/** 10000 -> '10k', 1000000 -> '1M', 200 -> '200'. */
export function sizeLabel(n) {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** A round step giving about `count` intervals over 0..max. */
function niceStep(max, count) {
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

/**
 * One panel: log-x axis over whole decades around the sizes, linear y from 0.
 * `series` are { name, points: [{ x, y, lo?, hi?, hollow?, text }] }.
 */
function panel({ left, title, yLabel, xs, series, kind }) {
  const { w, h, top } = PANEL;
  const lx0 = Math.floor(Math.log10(Math.min(...xs)));
  let lx1 = Math.ceil(Math.log10(Math.max(...xs)));
  if (lx1 === lx0) lx1 = lx0 + 1;
  const pad = 0.25; // of a decade, either side, so the end points and their labels stay inside
  const X = (x) => left + ((Math.log10(x) - lx0 + pad) / (lx1 - lx0 + 2 * pad)) * w;
  const all = series.flatMap((s) => s.points.flatMap((p) => [p.y, p.hi ?? p.y]));
  const step = niceStep(Math.max(...all) * 1.15 || 1, 5);
  const yMax = Math.ceil((Math.max(...all) * 1.15 || 1) / step) * step;
  const Y = (y) => top + h - (y / yMax) * h;
  const out = [`<g class="panel ${kind}">`];
  out.push(`<text x="${left + w / 2}" y="${top - 14}" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // grid and y ticks
  for (let v = 0; v <= yMax + step / 2; v += step) {
    const y = num(Y(v));
    out.push(`<line x1="${left}" y1="${y}" x2="${left + w}" y2="${y}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="#555">${esc(label(v))}</text>`);
  }
  // x ticks: decades labelled, minor ticks between
  for (let d = lx0; d <= lx1; d++) {
    const x = num(X(10 ** d));
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + h}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${x}" y="${top + h + 16}" text-anchor="middle" font-size="11" fill="#555">${esc(sizeLabel(10 ** d))}</text>`);
    if (d < lx1)
      for (let m = 2; m <= 9; m++) {
        const xm = num(X(m * 10 ** d));
        out.push(`<line x1="${xm}" y1="${top + h}" x2="${xm}" y2="${top + h + 4}" stroke="#999"/>`);
      }
  }
  out.push(`<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${left + w / 2}" y="${top + h + 36}" text-anchor="middle" font-size="12">containers (log scale)</text>`);
  out.push(`<text transform="translate(${left - 62} ${top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`);
  for (const [si, s] of series.entries()) {
    const colour = s.colour;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (pts.length > 1 && s.line !== false)
      out.push(`<polyline class="curve" fill="none" stroke="${colour}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 4"' : ''} points="${pts.map((p) => `${num(X(p.x))},${num(Y(p.y))}`).join(' ')}"/>`);
    for (const p of pts) {
      const x = num(X(p.x));
      if (p.lo !== undefined && p.hi !== undefined && p.hi > p.lo) {
        const [ylo, yhi] = [num(Y(p.lo)), num(Y(p.hi))];
        out.push(`<path class="spread" d="M${x},${ylo}V${yhi}M${num(X(p.x) - 4)},${ylo}h8M${num(X(p.x) - 4)},${yhi}h8" stroke="${colour}" fill="none"/>`);
      }
      out.push(`<circle class="point ${kind}" data-series="${esc(s.name)}" data-containers="${p.x}" data-value="${p.y}" cx="${x}" cy="${num(Y(p.y))}" r="4.5" fill="${p.hollow ? 'white' : colour}" stroke="${colour}" stroke-width="1.8"/>`);
      // labels alternate above and below across series, so two series at one size do not overprint
      const dy = si % 2 === 0 ? -10 : 18;
      const yText = Math.max(top + 12, Math.min(top + h - 4, Y(p.y) + dy));
      // in the right third of the panel the label goes left of its point, so it stays inside
      const right = X(p.x) > left + (w * 2) / 3;
      out.push(`<text class="label ${kind}" data-containers="${p.x}" x="${num(X(p.x) + (right ? -7 : 7))}" y="${num(yText)}"${right ? ' text-anchor="end"' : ''} font-size="11" fill="${colour}">${esc(p.text)}</text>`);
    }
  }
  out.push('</g>');
  return out.join('\n');
}

/**
 * The growth curve of one bench run. `points`: one per measured size and history, in any order:
 *   { containers, eventsPerSec, eventsMin, eventsMax, baselineEventsPerSec, gcShare, bytesPerContainer, historyHours, fullHistory }
 * (gcShare: the part of the engine's timed rounds spent in garbage collection, 0..1, shown in the label when given).
 * Points are drawn as one series per history: full histories filled and joined
 * by a solid line, each shorter history (`fullHistory: false`, loaded with
 * fewer hours than the rules' longest window) hollow on a dashed line, named
 * under the panels.
 * `subtitle`: the machine and run, one line.
 */
export function growthSvg({ points, subtitle = '' }) {
  if (points.length === 0) throw new Error('growthSvg: no points');
  for (const p of points)
    for (const k of ['containers', 'eventsPerSec', 'bytesPerContainer']) if (!(Number.isFinite(p[k]) && p[k] > 0)) throw new Error(`growthSvg: ${k} of ${p.containers} containers is ${p[k]}, expected a positive number`);
  const xs = points.map((p) => p.containers);
  const short = (p) => p.fullHistory === false;
  const groups = new Map();
  for (const p of points) {
    const key = short(p) ? `short ${p.historyHours}` : 'full';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(p);
  }
  const hours = (ps) => [...new Set(ps.map((p) => p.historyHours).filter((h) => h !== undefined))].join(', ');
  const keys = [...groups.keys()].sort((a, b) => (a === 'full' ? -1 : b === 'full' ? 1 : a.localeCompare(b)));
  const seriesName = (key) => (key === 'full' ? 'full history' : `short history (${hours(groups.get(key))} h)`);
  const series = (colours, make) => keys.map((key, i) => ({ name: seriesName(key), colour: colours[i % colours.length], dashed: key !== 'full', points: groups.get(key).map((p) => ({ ...make(p), x: p.containers, hollow: short(p) })) }));
  const events = panel({
    left: LEFTS[0],
    kind: 'events',
    title: 'Throughput',
    yLabel: 'events/s/core (median, bar: min-max)',
    xs,
    series: series(['#1f5fa8', '#5b9bd5', '#7f7f7f'], (p) => ({
      y: p.eventsPerSec,
      lo: p.eventsMin,
      hi: p.eventsMax,
      text: label(p.eventsPerSec) + (p.baselineEventsPerSec ? ` (${(p.eventsPerSec / p.baselineEventsPerSec).toFixed(3)} of bare${Number.isFinite(p.gcShare) ? `, GC ${Math.round(p.gcShare * 100)} %` : ''})` : ''),
    })),
  });
  const bytes = panel({
    left: LEFTS[1],
    kind: 'bytes',
    title: 'Memory',
    yLabel: 'bytes/container (heap + array buffers, after GC)',
    xs,
    series: series(['#b3541e', '#e08a4f', '#7f7f7f'], (p) => ({ y: p.bytesPerContainer, text: label(p.bytesPerContainer) })),
  });
  const legend = keys
    .map((key) => {
      const ps = groups.get(key);
      const sizes = ps
        .map((p) => p.containers)
        .sort((a, b) => a - b)
        .map(sizeLabel)
        .join(', ');
      return key === 'full' ? `filled, solid: full history, every rule's window full (${hours(ps)} h loaded; ${sizes})` : `hollow, dashed: SHORT HISTORY, ${hours(ps)} h loaded, not every rule's window full (${sizes})`;
    })
    .join('; ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    '<title>sealwatch rule engine: growth with the number of containers</title>',
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">Rule engine growth: events/s/core and bytes/container by containers monitored</text>`,
    `<text x="${W / 2}" y="50" text-anchor="middle" font-size="12" fill="#444">${esc(subtitle)}</text>`,
    events,
    bytes,
    `<text class="legend" x="${W / 2}" y="${H - 14}" text-anchor="middle" font-size="11" fill="#444">${esc(legend)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * The points of the growth curve from a run's engine figures: the
 * `engine N containers` rate and `engine N heap (...)` bytes, paired by the
 * container count and history each carries.
 */
export function growthPoints(figures) {
  const byRun = new Map();
  for (const f of figures) {
    if (!Number.isFinite(f.containers)) continue;
    const key = `${f.containers} ${f.loadHours}`;
    const p = byRun.get(key) ?? { containers: f.containers, historyHours: f.loadHours, fullHistory: f.fullHistory };
    if (f.unit === 'events/s/core') Object.assign(p, { eventsPerSec: f.value, eventsMin: f.spread.min, eventsMax: f.spread.max, baselineEventsPerSec: f.baseline, ...(Number.isFinite(f.gcShare) ? { gcShare: f.gcShare } : {}) });
    else if (f.unit === 'bytes/container') p.bytesPerContainer = f.value;
    byRun.set(key, p);
  }
  return [...byRun.values()].filter((p) => p.eventsPerSec !== undefined && p.bytesPerContainer !== undefined).sort((a, b) => (a.fullHistory === b.fullHistory ? 0 : a.fullHistory === false ? 1 : -1) || a.containers - b.containers);
}

/** The subtitle for a run's record: when, where, which commit, how many rounds. */
export function growthSubtitle(record) {
  const m = record.machine;
  return `${m.date.slice(0, 10)}, ${m.cpuCount} x ${m.cpuModel}, Node ${m.node}${m.commit ? `, commit ${m.commit}` : ''}; median of ${record.options.rounds} rounds; ratio: share of a bare Map loop`;
}

/** Writes the growth curve of a run's record to `file`; false (nothing written) when the run has no engine sizes. */
export function writeGrowthSvg(file, record) {
  const points = growthPoints(record.figures);
  if (points.length === 0) return false;
  writeFileSync(file, growthSvg({ points, subtitle: growthSubtitle(record) }));
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [recordFile, out = recordFile.replace(/\.json$/, '') + '-growth.svg'] = process.argv.slice(2);
  if (!recordFile) throw new Error('usage: node bench/lib/plot.mjs RECORD.json [OUT.svg]');
  if (!writeGrowthSvg(out, JSON.parse(readFileSync(recordFile, 'utf8')))) throw new Error(`${recordFile}: no engine sizes to plot`);
  process.stdout.write(`written: ${out}\n`);
}
