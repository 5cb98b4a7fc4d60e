import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { proposeChange, RuleTimeline, type RuleChange, type RuleHistory } from '../../src/config/rule-history.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { Alert } from '../../src/model/alert.js';
import { newTripDirectory } from '../../src/pipeline/app.js';
import { replayCapture } from '../../src/replay/replay.js';
import type { AlertSink } from '../../src/sinks/sink.js';
import { writeCorpus } from '../../simulators/corpus.js';
import { simulateFleet } from '../../simulators/fleet.js';
import { testConfig } from '../helpers/fixtures.js';

/*
 * Thresholds changed at an event time, replayed: the same capture with the
 * same rule history gives the same alerts (ids, contents, rule versions)
 * every time; before the change they are the configuration's alerts, after
 * it the change shows.
 */
describe('a replay with a rule history', () => {
  const config = testConfig();
  let capture: string;
  let sim: ReturnType<typeof simulateFleet>;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-rule-history-'));
    sim = simulateFleet({ seed: 515, containers: 24, start: Date.parse('2026-05-04T00:00:00Z'), breachShare: 1, voyageHours: 72 });
    await writeCorpus(dir, sim);
    capture = join(dir, 'capture.ndjson.gz');
  });

  const replay = async (timeline?: RuleTimeline): Promise<Alert[]> => {
    const trips = newTripDirectory(config);
    for (const p of sim.trips) trips.upsert(p);
    const alerts: Alert[] = [];
    const sink: AlertSink = { name: 'collect', write: async (a) => void alerts.push(...a), close: async () => {} };
    await replayCapture(capture, config, trips, defaultPorts(), sink, { speed: 'max', ...(timeline ? { ruleTimeline: timeline } : {}) });
    return alerts;
  };

  /** Door openings stop counting as at sea or moving from `at` on; light needs far more lux. */
  function history(at: number): RuleChange[] {
    const h: RuleHistory = { base: config.rules, changes: [] };
    const changes: RuleChange[] = [];
    for (const [section, values] of [
      ['doorOpen', { movingSpeedKn: 30, atSeaMinPortDistanceKm: 50_000 }],
      ['lightWithDoorClosed', { luxThreshold: 900_000, strongLuxThreshold: 900_000 }],
    ] as const) {
      const out = proposeChange({ ...h, changes }, { section, values, effectiveFrom: at, by: 'test-admin', at: Date.parse('2026-12-01T00:00:00Z') });
      if (!out.ok) throw new Error(out.message);
      changes.push(out.change);
    }
    return changes;
  }

  it('gives the same alert ids twice, the configuration before the change and the change after it', async () => {
    const plain = await replay();
    expect(plain.length).toBeGreaterThan(10);
    expect(plain.every((a) => a.ruleVersion === 0)).toBe(true);
    // the change takes effect halfway through the alerts' event times
    const times = plain.map((a) => Date.parse(a.detectedAt)).sort((a, b) => a - b);
    const at = times[Math.floor(times.length / 2)]!;
    const changes = history(at);

    const first = await replay(new RuleTimeline(config.rules, changes));
    const second = await replay(new RuleTimeline(config.rules, changes));
    expect(second.map((a) => a.alertId)).toEqual(first.map((a) => a.alertId));
    expect(second).toEqual(first);

    // both versions occur; version 0 only for what was reasoned about before the change
    expect(new Set(first.map((a) => a.ruleVersion))).toEqual(new Set([0, 2]));
    for (const a of first.filter((x) => x.ruleVersion === 0)) expect(Date.parse(a.detectedAt)).toBeLessThan(at);
    // alerts detected well before the change are the configuration's own
    const early = (list: Alert[]) => list.filter((a) => Date.parse(a.detectedAt) < at - 6 * 3_600_000).map((a) => a.alertId);
    expect(early(first)).toEqual(early(plain));
    // after it, door openings in transit and light alerts are no longer raised: the change took effect
    const later = (list: Alert[], rules: string[]) => list.filter((a) => a.ruleVersion !== 0 && rules.includes(a.rule) && Date.parse(a.startedAt) >= at);
    const droppedRules = ['DOOR_OPEN_IN_TRANSIT', 'LIGHT_WITH_DOOR_CLOSED'];
    expect(plain.filter((a) => droppedRules.includes(a.rule) && Date.parse(a.startedAt) >= at).length).toBeGreaterThan(0);
    expect(later(first, droppedRules)).toEqual([]);
  });
});
