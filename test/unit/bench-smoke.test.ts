import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';

// The benchmark runner in its tiny mode: tiny sizes, one round. Checks the
// shape of what it reports, never how fast anything was.
describe('npm run bench (quick mode)', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'sw-bench-smoke-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('prints the table and writes JSON with a positive value, baseline and ratio for every figure', () => {
    const r = spawnSync(process.execPath, [packagePath('bench', 'run.mjs'), '--quick', '--out-dir', outDir], { encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^benchmark\s+figure\s+baseline\s+ratio\s+median\s+spread \(min-max\)\s+target$/m);
    for (const bench of [
      'decode json-v1',
      'decode csv-v1',
      'decode batch-v1',
      'engine 50 containers',
      'engine 200 containers',
      'replay (max speed)',
      'embedded e2e',
      'embedded e2e latency p99',
      'storm drain',
      'storm peak RSS',
      'storm alerts',
      'snapshot restore per 100,000 containers',
      'snapshot size',
    ])
      expect(r.stdout).toContain(bench);
    expect(r.stderr).toContain('[bench] decode json-v1 round 1');
    expect(r.stderr).toContain('[bench] embedded e2e round 1');
    // quick mode runs without the local stack
    expect(r.stdout).not.toContain('stack e2e');

    const record = JSON.parse(readFileSync(join(outDir, 'quick.json'), 'utf8'));
    expect(record.mode).toBe('quick');
    expect(record.machine.cpuCount).toBeGreaterThan(0);
    expect(record.machine.totalMemoryBytes).toBeGreaterThan(0);
    expect(record.machine.node).toBe(process.version);
    expect(Number.isNaN(Date.parse(record.machine.date))).toBe(false);
    expect(record.figures.length).toBeGreaterThanOrEqual(16);
    // the storm's alerts are those of the in-order run of the same data, and the embedded run timed its breach alerts
    const storm = record.figures.find((f: { bench: string }) => f.bench === 'storm alerts');
    expect(storm.value).toBe(storm.baseline);
    expect(storm.targetMet).toBe(true);
    expect(record.figures.find((f: { bench: string }) => f.bench === 'embedded e2e latency p99').note).toMatch(/ [1-9]\d* breach alerts timed, 0 openings without an alert/);
    for (const f of record.figures) {
      for (const k of ['value', 'baseline', 'ratio']) {
        expect(Number.isFinite(f[k]), `${f.bench} ${k}`).toBe(true);
        expect(f[k], `${f.bench} ${k}`).toBeGreaterThan(0);
      }
      expect(f.ratio).toBeCloseTo(f.value / f.baseline, 6);
      expect(typeof f.unit).toBe('string');
      expect(typeof f.baselineLabel).toBe('string');
    }
    expect(readFileSync(join(outDir, 'quick.md'), 'utf8')).toContain('| benchmark | figure | baseline | ratio | median |');
    // the engine's growth curve: one point per size in each panel, at the figures of the record
    const svg = readFileSync(join(outDir, 'quick-growth.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const n of [50, 200]) {
      const rate = record.figures.find((f: { bench: string }) => f.bench === `engine ${n} containers`);
      expect(rate.containers).toBe(n);
      expect(svg).toContain(`<circle class="point events" data-series="full history" data-containers="${n}" data-value="${rate.value}"`);
      expect(svg.match(new RegExp(`<circle class="point bytes"[^>]* data-containers="${n}"`, 'g'))).toHaveLength(1);
    }
  }, 300_000);
});
