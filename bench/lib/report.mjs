// The results table (console and Markdown) and the JSON record of a run.
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fmt } from './measure.mjs';

export function machine(root) {
  const cpus = os.cpus();
  let commit = null;
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a git checkout: the record simply has no commit
  }
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg(),
    date: new Date().toISOString(),
    commit,
  };
}

const COLUMNS = ['benchmark', 'figure', 'baseline', 'ratio', 'median', 'spread (min-max)', 'target'];

function row(f) {
  const target = f.target ? `${f.target}${f.targetMet === null ? '' : f.targetMet ? ': met' : ': not met'}` : '';
  const spread = f.rounds.length > 1 ? `${fmt(f.spread.min)}-${fmt(f.spread.max)}` : '(1 sample)';
  return [f.bench, f.unit, fmt(f.baseline), `${f.ratio.toFixed(f.ratio < 0.1 ? 4 : 3)}`, fmt(f.value), spread, target];
}

export function tableText(figures) {
  const rows = [COLUMNS, ...figures.map(row)];
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) =>
    r
      .map((cell, c) => (c >= 2 && c <= 5 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function tableMarkdown(figures, m) {
  const esc = (s) => s.replace(/\|/g, '\\|');
  const lines = [
    `Benchmarks of ${m.date} on ${m.cpuCount} x ${m.cpuModel}, ${(m.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${m.node}${m.commit ? `, commit ${m.commit}` : ''}.`,
    '',
    `| ${COLUMNS.join(' | ')} |`,
    `| ${COLUMNS.map((_, c) => (c >= 2 && c <= 5 ? '---:' : '---')).join(' | ')} |`,
    ...figures.map((f) => `| ${row(f).map(esc).join(' | ')} |`),
    '',
    'Ratio = median / baseline median (rates: share of the raw component limit; bytes: multiple of the bare minimum). Baselines:',
    '',
    ...figures.flatMap((f) => [`- ${f.bench}: ${f.baselineLabel}. ${f.note}`, ...(f.logLines?.length ? ['', '  ```', ...f.logLines.map((l) => `  ${l}`), '  ```', ''] : [])]),
    '',
  ];
  return lines.join('\n');
}

export function writeResults(dir, name, record) {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const md = join(dir, `${name}.md`);
  writeFileSync(json, JSON.stringify(record, null, 2) + '\n');
  writeFileSync(md, tableMarkdown(record.figures, record.machine));
  return { json, md };
}
