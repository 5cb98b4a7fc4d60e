import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';

// `npm run fuzz` in a small size: it runs every generator on every format,
// counts what came out, finds no crash and can replay one case from its seed.
// Counts only, never speed.
describe('npm run fuzz (small)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-fuzz-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs N cases per format with no crash and writes the summary', () => {
    const out = join(dir, 'summary.json');
    const r = spawnSync(process.execPath, [packagePath('scripts', 'fuzz.mjs'), '--cases', '1500', '--seed', '7', '--out', out], { encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/json-v1 1,500 cases, 0 crash\(es\); csv-v1 1,500 cases, 0 crash\(es\); batch-v1 1,500 cases, 0 crash\(es\)/);
    expect(r.stderr).toMatch(/\[fuzz\] json-v1: 1,500\/1,500 cases, [\d,]+ cases\/s, 0 crash\(es\)/);
    const s = JSON.parse(readFileSync(out, 'utf8'));
    expect(s.casesPerFormat).toBe(1500);
    expect(s.seed).toBe(7);
    expect(s.crashes).toBe(0);
    for (const f of ['json-v1', 'csv-v1', 'batch-v1']) {
      const x = s.formats[f];
      expect(x.cases).toBe(1500);
      expect(x.crashes).toBe(0);
      expect(x.crashCases).toEqual([]);
      // every generator ran, and the payloads reached both outcomes
      for (const g of ['random-bytes', 'near-valid', 'corpus-mutation']) expect(x.generators[g], `${f} ${g}`).toBeGreaterThan(300);
      expect(Object.values(x.generators).reduce((a: number, b) => a + (b as number), 0)).toBe(1500);
      expect(x.readings, f).toBeGreaterThan(50);
      for (const reason of ['not-utf8', 'schema-violation', 'clock-skew']) expect(x.deadLetters[reason], `${f} ${reason}`).toBeGreaterThan(0);
    }
    expect(s.formats['json-v1'].deadLetters['invalid-json']).toBeGreaterThan(0);
    expect(s.formats['csv-v1'].deadLetters['invalid-csv']).toBeGreaterThan(0);
    expect(s.formats['batch-v1'].deadLetters['bad-container-number']).toBeGreaterThan(0);
  }, 300_000);

  it('the same seed gives the same counts; --replay regenerates one case', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    for (const out of [a, b])
      expect(spawnSync(process.execPath, [packagePath('scripts', 'fuzz.mjs'), '--cases', '300', '--seed', '11', '--formats', 'csv-v1', '--no-build', '--out', out], { encoding: 'utf8', timeout: 120_000 }).status).toBe(0);
    const [sa, sb] = [a, b].map((p) => JSON.parse(readFileSync(p, 'utf8')).formats['csv-v1']);
    expect({ ...sa, durationMs: 0, casesPerSecond: 0 }).toEqual({ ...sb, durationMs: 0, casesPerSecond: 0 });
    const r = spawnSync(process.execPath, [packagePath('scripts', 'fuzz.mjs'), '--replay', 'csv-v1:12345', '--no-build'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown).toMatchObject({ format: 'csv-v1', caseSeed: 12345, problem: null });
    expect(shown.topic).toMatch(/^ssd\/csv\//);
    expect(shown.result.readings.length + shown.result.deadLetters.length + shown.result.duplicates).toBe(1);
  }, 200_000);
});
