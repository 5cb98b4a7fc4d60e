import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_FILE, LABELS_FILE, TRIPS_DIR, writeCorpus } from '../../simulators/corpus.js';
import { simulateFleet } from '../../simulators/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import type { Item } from '../../src/evaluate/explain/diagnose.js';
import { detects, type Label } from '../../src/evaluate/score.js';
import type { Alert } from '../../src/model/alert.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { Reading } from '../../src/model/reading.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { packagePath } from '../../src/paths.js';
import { newTripDirectory } from '../../src/pipeline/app.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';
import { readCapture } from '../../src/replay/capture.js';
import { replayCapture } from '../../src/replay/replay.js';

/**
 * `sealwatch evaluate --explain` end to end: a small simulated corpus replayed
 * through the real path, one label made a miss by taking its alerts out of
 * the alerts file, one alert added on a clean container; the diagnosis must
 * name that label with its own rule's probe first, and explain the added alert
 * from the readings behind it.
 */
const cli = packagePath('dist', 'src', 'cli.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, SEALWATCH_LOG_LEVEL: 'error' }, timeout: 120_000 });

let dir = '';
let missed: Label;
let extra: Alert;
let evidence: Reading;

describe('sealwatch evaluate --explain', () => {
  beforeAll(async () => {
    execFileSync(process.execPath, [packagePath('scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
    dir = mkdtempSync(join(tmpdir(), 'sw-explain-'));
    const sim = simulateFleet({ seed: 17, containers: 10, start: Date.parse('2026-01-05T00:00:00Z'), voyageHours: 132, breachShare: 0.6, scenarios: ['UNSCHEDULED_STOP', 'LOCATION_JUMP', 'DOOR_OPEN_IN_TRANSIT'] });
    await writeCorpus(dir, sim);
    const config = loadConfig({ env: {} });
    const trips = newTripDirectory(config);
    for (const f of readdirSync(join(dir, TRIPS_DIR))) trips.upsert(JSON.parse(readFileSync(join(dir, TRIPS_DIR, f), 'utf8')) as TripPlan);
    const alerts: Alert[] = [];
    await replayCapture(join(dir, CAPTURE_FILE), config, trips, defaultPorts(), { name: 'collect', write: async (a) => void alerts.push(...a), close: async () => {} }, { speed: 'max' });

    // a stop that its own rule found: take every alert that detects it out
    missed = sim.labels.find((l) => l.rule === 'UNSCHEDULED_STOP' && alerts.some((a) => a.rule === l.rule && detects(a, l)))!;
    expect(missed, 'a detected UNSCHEDULED_STOP label in the corpus').toBeDefined();
    const kept = alerts.filter((a) => !detects(a, missed));

    // an alert on a clean container, a day into its trip, with one of its real fixes as evidence
    const clean = sim.cleanContainers[0]!;
    const plan = sim.trips.find((p) => p.containerId === clean)!;
    const normaliser = buildNormaliser(config, trips);
    const fixes: Reading[] = [];
    for await (const m of readCapture(join(dir, CAPTURE_FILE))) for (const r of normaliser.normalise(m.topic, m.payload, m.t).readings) if (r.containerId === clean && r.kind === 'location') fixes.push(r);
    evidence = fixes.find((r) => r.ts >= Date.parse(plan.departure) + 24 * 3_600_000)!;
    expect(evidence, "a fix a day into the clean container's trip").toBeDefined();
    const at = new Date(evidence.ts).toISOString();
    extra = {
      alertId: 'added-for-explain-test',
      rule: 'LOCATION_JUMP',
      severity: 'high',
      containerId: clean,
      tripId: plan.tripId,
      deviceId: plan.deviceId,
      startedAt: at,
      detectedAt: at,
      location: null,
      summary: 'added by the test',
      evidence: [evidence.eventId],
    };
    writeFileSync(join(dir, 'alerts.ndjson'), [...kept, extra].map((a) => JSON.stringify(a)).join('\n') + '\n');
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const args = () => ['evaluate', '--labels', join(dir, LABELS_FILE), '--alerts', join(dir, 'alerts.ndjson'), '--explain', '--capture', join(dir, CAPTURE_FILE), '--trips', join(dir, TRIPS_DIR)];

  it("--json: the missed label with its own rule's probe first, and the added alert with the readings behind it", () => {
    const r = run([...args(), '--json', '--context-min', '30']);
    expect(r.status, r.stderr).toBe(0);
    const items = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Item);
    const miss = items.find((it) => it.kind === 'missed' && it.label.containerId === missed.containerId && it.label.from === missed.from);
    expect(miss, 'the label whose alerts were taken out').toBeDefined();
    if (miss?.kind !== 'missed') throw new Error('not a missed item');
    expect(miss.probes[0]!.rule).toBe('UNSCHEDULED_STOP');
    expect(miss.probes[0]!.score).toBeGreaterThanOrEqual(1);
    // the threshold as the configuration has it (the reason names it)
    const minStopH = (loadConfig({ env: {} }).rules.unscheduledStop.minStopMs / 3_600_000).toFixed(1).replace('.', '\\.');
    expect(miss.probes[0]!.reason).toMatch(new RegExp(`^stop .* \\(minStopMs ${minStopH} h\\); outside every zone and excuse`));
    expect(miss.probes).toHaveLength(11);
    // the readings around it: the stop's fixes, within the label window widened by --context-min
    // (the simulated trackers fix every hour or two: a stop of four is a handful of fixes; its start may be
    // dated from the fix before it, a tracker interval earlier)
    const fixTimes = miss.readings.fixes.map((f) => Date.parse(f.t));
    expect(fixTimes.length).toBeGreaterThanOrEqual(2);
    expect(Date.parse(miss.probes[0]!.at!)).toBeGreaterThanOrEqual(Math.min(...fixTimes) - 2 * 3_600_000);
    expect(Date.parse(miss.probes[0]!.at!)).toBeLessThanOrEqual(Math.max(...fixTimes));
    expect(fixTimes.every((t) => t >= Date.parse(missed.from) - 30 * 60_000 && t <= Date.parse(missed.to) + 30 * 60_000)).toBe(true);
    expect(Date.parse(miss.readings.from)).toBe(Date.parse(missed.from) - 30 * 60_000);
    expect(miss.readings.fixes.every((f) => f.zone !== null && f.port !== null)).toBe(true);

    const added = items.find((it) => it.kind === 'unmatched-alert' && it.alert.alertId === extra.alertId);
    expect(added, 'the added alert').toBeDefined();
    if (added?.kind !== 'unmatched-alert') throw new Error('not an unmatched-alert item');
    expect(added.evidence).toEqual([{ eventId: evidence.eventId, reading: expect.stringMatching(new RegExp(`^${new Date(evidence.ts).toISOString()} fix `)) }]);
    expect(added.nearestLabels).toEqual([]);
    expect(added.readings.fixes.map((f) => f.eventId)).toContain(evidence.eventId);
    expect(added.probes.map((p) => p.rule)).toEqual(['LOCATION_JUMP']);
    expect(added.probes[0]!.score).toBeLessThan(1);
  });

  it('text: one block per item, the probes ranked, the readings in time order', () => {
    const r = run(args());
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+ labels, \d+ alerts: recall [\d.]+, precision [\d.]+, expected-rule share [\d.]+; [1-9]\d* missed, \d+ found by another rule only, [1-9]\d* alerts matching no label\n/);
    const block = r.stdout.split('━━ ').find((b) => b.startsWith(`MISSED UNSCHEDULED_STOP · ${missed.containerId}`));
    expect(block, r.stdout).toBeDefined();
    const lines = block!.split('\n');
    const ranked = lines.findIndex((l) => l.includes('closest rules'));
    expect(lines[ranked + 1]).toMatch(/^\s+\d+\.\d\d UNSCHEDULED_STOP\s+stop \d/);
    expect(block).toMatch(/\n\s+\d\d-\d\d \d\d:\d\d {2}fix /);
    expect(r.stdout).toContain(`━━ UNMATCHED ALERT LOCATION_JUMP (high) · ${extra.containerId}`);
  });

  it('usage errors exit 2 with one line', () => {
    const base = ['evaluate', '--labels', join(dir, LABELS_FILE), '--alerts', join(dir, 'alerts.ndjson')];
    const cases: Array<[string[], RegExp]> = [
      [[...base, '--explain'], /SW_ERR_USAGE: --explain needs --capture FILE/],
      [[...base, '--explain', '--capture', join(dir, 'nope.ndjson.gz')], /SW_ERR_USAGE: --capture .*nope\.ndjson\.gz: no such file/],
      [[...base, '--explain', '--capture', join(dir, CAPTURE_FILE)], /SW_ERR_USAGE: --explain needs --trips DIR/],
      [[...base, '--json'], /SW_ERR_USAGE: --json goes with --explain/],
      [[...base, '--explain', '--table', '--capture', join(dir, CAPTURE_FILE)], /SW_ERR_USAGE: --table and --explain do not combine/],
      [[...args(), '--context-min', 'an hour'], /SW_ERR_USAGE: --context-min "an hour": expected minutes/],
    ];
    for (const [a, msg] of cases) {
      const r = run(a);
      expect(r.status, a.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
