import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { captureJson } from '../../simulators/corpus.js';
import { simulateFleet } from '../../simulators/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import { type CaptureLine, type EditableReading, editReadings, PERTURBATIONS, seededRng } from '../../src/evaluate/perturb.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { Alert } from '../../src/model/alert.js';
import { newTripDirectory } from '../../src/pipeline/app.js';
import { replayCapture } from '../../src/replay/replay.js';

// The robustness perturbations (src/evaluate/perturb.ts, `npm run robustness`):
// each does to a capture what it says and nothing else, the same way for the
// same seed; and on a simulated fleet (every wire format, field faults on)
// none of them makes a container with no breach raise an alert.
const sim = simulateFleet({ seed: 404, containers: 30, start: Date.parse('2026-01-05T00:00:00Z'), voyageHours: 132, breachShare: 0.5 });
const lines: CaptureLine[] = sim.messages.map((m) => JSON.parse(captureJson(m)));
const byName = (name: string) => PERTURBATIONS.find((p) => p.name === name)!;
const work = mkdtempSync(join(tmpdir(), 'sealwatch-perturb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every reading of a capture, in order, with the index of its line. */
function readingsOf(capture: CaptureLine[]): Array<EditableReading & { line: number }> {
  const out: Array<EditableReading & { line: number }> = [];
  for (const [line, l] of capture.entries())
    editReadings(l, (r) => {
      out.push({ ...r, line });
      return r;
    });
  return out;
}

const metres = (a: EditableReading, b: EditableReading): number => {
  const dy = (a.lat! - b.lat!) * 111_320;
  const dx = (a.lon! - b.lon!) * 111_320 * Math.cos((a.lat! * Math.PI) / 180);
  return Math.hypot(dx, dy);
};

describe('robustness perturbations', () => {
  const before = readingsOf(lines);

  it('reads the readings of every wire format, and an edit that changes nothing gives the same readings back', () => {
    const withReadings = new Set(before.map((r) => r.line));
    const formats = new Set(lines.filter((_, i) => withReadings.has(i)).map((l) => l.topic.split('/')[1]));
    expect([...formats].sort()).toEqual(['batch', 'csv', 'json']);
    const again = readingsOf(lines.map((l) => editReadings(l, (r) => r)!));
    const fields = (rs: EditableReading[]) => rs.map((r) => [r.kind, r.device, r.ts, r.celsius, r.lux, r.speedKn]);
    expect(fields(again)).toEqual(fields(before));
    const worst = Math.max(...again.map((r, i) => (r.kind === 'location' ? metres(r, before[i]!) : 0)));
    expect(worst).toBeLessThan(1);
  });

  it('gives the same capture for the same seed', () => {
    for (const p of PERTURBATIONS) expect(JSON.stringify(p.apply(lines, seededRng(9)))).toBe(JSON.stringify(p.apply(lines, seededRng(9))));
  });

  it('moves fixes by a GNSS error of about 30 m and leaves the other readings alone', () => {
    const after = readingsOf(byName('gps-noise-30m').apply(lines, seededRng(1)));
    expect(after.length).toBe(before.length);
    const moved = after.flatMap((r, i) => (r.kind === 'location' ? [metres(r, before[i]!)] : [])).sort((a, b) => a - b);
    // the median of a 2-D normal error of 30 m per axis is 30 x sqrt(2 ln 2) = 35 m
    expect(moved[moved.length >> 1]).toBeGreaterThan(25);
    expect(moved[moved.length >> 1]).toBeLessThan(45);
    expect(after.filter((r) => r.kind !== 'location')).toEqual(before.filter((r) => r.kind !== 'location'));
  });

  it('keeps every other fix of each device, takes speed and heading away, and offsets each device clock by one constant', () => {
    const count = (rs: EditableReading[], dev: string) => rs.filter((r) => r.kind === 'location' && r.device === dev).length;
    const half = readingsOf(byName('half-rate-fixes').apply(lines, seededRng(1)));
    const devices = [...new Set(before.filter((r) => r.kind === 'location').map((r) => r.device))];
    for (const d of devices) expect(count(half, d)).toBe(Math.ceil(count(before, d) / 2));
    const noSpeed = readingsOf(byName('no-speed').apply(lines, seededRng(1)));
    expect(noSpeed.filter((r) => r.kind === 'location' && (r.speedKn !== undefined || r.headingDeg !== undefined))).toEqual([]);
    expect(before.filter((r) => r.kind === 'location' && r.speedKn !== undefined).length).toBeGreaterThan(0);
    const shifted = readingsOf(byName('clock-offset-90s').apply(lines, seededRng(1)));
    const offset = new Map<string, Set<number>>();
    for (const [i, r] of shifted.entries()) offset.set(r.device, (offset.get(r.device) ?? new Set()).add(r.ts - before[i]!.ts));
    const all = [...offset.values()].flatMap((s) => [...s]);
    // csv-v1 carries whole seconds, so its readings round to the second: one offset per device within a second
    for (const s of offset.values()) expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1000);
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(91_000);
    expect(all.some((o) => Math.abs(o) > 10_000)).toBe(true);
  });

  it('redelivers or holds back messages without changing them, in arrival order', () => {
    const key = (l: CaptureLine) => `${l.topic} ${l.payload}`;
    const inOrder = (c: CaptureLine[]) => c.every((l, i) => i === 0 || Date.parse(c[i - 1]!.t) <= Date.parse(l.t));
    const dup = byName('duplicates').apply(lines, seededRng(1));
    const original = new Set(lines.map(key));
    expect(dup.every((l) => original.has(key(l)))).toBe(true);
    expect(dup.length / lines.length).toBeGreaterThan(1.02);
    expect(dup.length / lines.length).toBeLessThan(1.09);
    expect(inOrder(dup)).toBe(true);
    const held = byName('store-and-forward').apply(lines, seededRng(1));
    expect(held.map(key).sort()).toEqual(lines.map(key).sort());
    expect(inOrder(held)).toBe(true);
    expect(held.filter((l, i) => l.t !== lines[i]!.t).length).toBeGreaterThan(0);
  });

  it('makes no container without a breach raise an alert, whichever noise is added', async () => {
    const config = loadConfig({ env: {} });
    const clean = new Set(sim.cleanContainers);
    expect(clean.size).toBeGreaterThan(5);
    const onClean: string[] = [];
    for (const p of PERTURBATIONS) {
      const file = join(work, `${p.name}.ndjson.gz`);
      writeFileSync(
        file,
        gzipSync(
          `${p
            .apply(lines, seededRng(3))
            .map((l) => JSON.stringify(l))
            .join('\n')}\n`,
        ),
      );
      const trips = newTripDirectory(config);
      for (const plan of sim.trips) trips.upsert(plan);
      const got: Alert[] = [];
      await replayCapture(file, config, trips, defaultPorts(), { name: 'collect', write: async (a) => void got.push(...a), close: async () => {} }, { speed: 'max' });
      expect(got.length).toBeGreaterThan(0);
      for (const a of got) if (clean.has(a.containerId)) onClean.push(`${p.name}: ${a.rule} ${a.containerId} ${a.summary}`);
    }
    expect(onClean).toEqual([]);
  }, 120_000);
});
