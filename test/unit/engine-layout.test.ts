import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { partitionFor } from '../../src/bus/port.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { seaLaneRouter } from '../../src/geo/sea-router.js';
import type { Alert } from '../../src/model/alert.js';
import type { Reading } from '../../src/model/reading.js';
import { decodeLaneSnapshot, encodeLaneSnapshot, RuleEngine } from '../../src/rules/engine.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { HOUR, MIN, plan, reading, T0, testConfig } from '../helpers/fixtures.js';
import { byAlertId, DARK_FROM, engineFleet } from '../helpers/engine-fleet.js';
import { defineRule, type PrevFix } from '../../src/rules/rule.js';
import type { RuleId } from '../../src/model/alert.js';

/**
 * The engine keeps every container's numbers (reasoning position, release
 * bound, arrival, door, stop flags, epochs) in columns shared by all its
 * containers, at a container number that a dropped container gives back and
 * a new one takes again. These tests fail if a container ever reads another
 * one's entry: numbers given back and taken again in another order, and a
 * dropped container still reached by a timer of another lane.
 */
const config = testConfig();
const PARTITIONS = 4;
const { trips, readings } = engineFleet(config, 5, 16);
const darkFrom = DARK_FROM;
const laneOf = (r: Reading) => partitionFor(r.containerId, PARTITIONS, 0);

function engine(alerts: Alert[]): RuleEngine {
  return new RuleEngine({ config, trips: trips(), ports: defaultPorts(), rules: ALL_RULES, router: seaLaneRouter, output: { alert: (a) => alerts.push(a), late: () => {} } });
}

const byId = byAlertId;

/**
 * Every reading in arrival order through one engine; at each cut every lane
 * is snapshotted, every lane dropped (all container numbers given back), and
 * the lanes restored into the same engine in the order given (the numbers
 * taken again by other containers than before).
 */
function runInPlace(cuts: number[], order: (lanes: number[]) => number[]): Alert[] {
  const alerts: Alert[] = [];
  const e = engine(alerts);
  const cutSet = new Set(cuts);
  readings.forEach((r, i) => {
    if (cutSet.has(i)) {
      const lanes = e.laneIds();
      const snaps = new Map(lanes.map((l) => [l, e.snapshotLane(l)]));
      for (const l of lanes) e.dropLane(l);
      for (const l of order(lanes)) e.restoreLane(l, snaps.get(l)!);
    }
    e.ingest(r, laneOf(r));
  });
  e.flush();
  return alerts;
}

describe('engine container columns', () => {
  const reference = runInPlace([], (l) => l);

  it('the fleet raises alerts of timers and readings on several lanes', () => {
    expect(reference.length).toBeGreaterThan(5);
    expect(reference.some((a) => a.rule === 'LOCATION_GAP')).toBe(true);
    expect(new Set(readings.map(laneOf)).size).toBe(PARTITIONS);
  });

  it('lanes dropped and restored into the same engine, container numbers taken again in another order, raise exactly the uninterrupted alerts', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: readings.length - 1 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 1000 }), (cuts, seed) => {
        // a shuffle of the lanes by the seed: each restore takes the freed numbers in a different order
        const order = (lanes: number[]) => [...lanes].sort((a, b) => ((a * 7919 + seed) % 97) - ((b * 7919 + seed) % 97) || a - b);
        const got = runInPlace(cuts, order);
        expect(byId(got)).toEqual(byId(reference));
      }),
      { numRuns: 12 },
    );
  });

  it('containers made on numbers given back start as new ones: each holds what it holds in a fresh engine', () => {
    const firsts = [...new Map(readings.map((r) => [r.containerId, r] as const)).values()].reverse();
    const used = engine([]);
    for (const r of readings) used.ingest(r, laneOf(r));
    used.flush();
    const states = JSON.stringify(used.laneIds().map((l) => used.snapshotLane(l)));
    // the dropped containers held closed doors, stops, active trips: what a careless reuse would leak
    expect(['"door":"closed"', '"inStop":true', '"active":true'].filter((x) => !states.includes(x))).toEqual([]);
    for (const l of used.laneIds()) used.dropLane(l);
    const fresh = engine([]);
    for (const r of firsts) {
      used.ingest(r, 9);
      fresh.ingest(r, 9);
    }
    expect(used.stats.containers).toBe(firsts.length);
    expect(JSON.stringify(used.snapshotLane(9))).toBe(JSON.stringify(fresh.snapshotLane(9)));
  });

  it('a dropped container still reached by a timer of another lane reads its own numbers, not those of the container that took its number', () => {
    // a container that stops reporting at darkFrom and whose silence timer raises LOCATION_GAP in the uninterrupted run
    const reporting = new Set(readings.filter((r) => r.ts > darkFrom).map((r) => r.containerId));
    const victim = reference.find((a) => a.rule === 'LOCATION_GAP' && !reporting.has(a.containerId) && Date.parse(a.detectedAt) > darkFrom)!.containerId;
    const own = readings.filter((r) => r.containerId === victim && r.ts <= darkFrom);
    const others = readings.filter((r) => r.containerId !== victim);
    const last = own.at(-1)!;
    const until = last.receivedAt + 10 * 24 * 3_600_000;
    /** The victim's readings on lane 0, its last on lane 1 (the container moves; its timer stays queued in lane 0); lane 1 dropped. */
    const start = (alerts: Alert[]) => {
      const e = engine(alerts);
      for (const r of own.slice(0, -1)) e.ingest(r, 0);
      e.advanceTo(last.receivedAt + 60_000, 0);
      e.ingest(last, 1);
      e.advanceTo(last.receivedAt + 60_000, 1);
      e.dropLane(1);
      return e;
    };
    // the container that takes the freed number (the first made after the drop) reports again long after `until`:
    // read through its number, the dropped container would look as if still delivering, and its timer would wait
    const lateAgain = { ...others[0]!, receivedAt: until + 24 * 3_600_000 };
    // the others take the freed number before lane 0's timer fires on the dropped container ...
    const reused: Alert[] = [];
    const a = start(reused);
    for (const r of others) a.ingest(r, 2);
    a.flush();
    a.ingest(lateAgain, 2);
    a.advanceTo(until, 0);
    // ... or only after it has
    const fresh: Alert[] = [];
    const b = start(fresh);
    b.advanceTo(until, 0);
    for (const r of others) b.ingest(r, 2);
    b.flush();
    // the containers made on numbers given back start as new ones: the others raise what they raise in the uninterrupted run
    const notVictim = (list: Alert[]) => byId(list.filter((x) => x.containerId !== victim));
    expect(notVictim(fresh)).toEqual(notVictim(reference));
    b.ingest(lateAgain, 2);
    expect(fresh.some((x) => x.containerId === victim && x.rule === 'LOCATION_GAP')).toBe(true);
    expect(byId(reused)).toEqual(byId(fresh));
  });

  it('a timer deleted and set again while its wake-up is handled is another timer: it waits its turn in the heap', () => {
    // a probe rule: each temperature reading re-sets its timer to `celsius` minutes on; the timer raises an alert
    const probe = defineRule<Record<string, never>>({
      id: 'LOCATION_GAP' as RuleId,
      kinds: ['temperature'],
      initialState: () => ({}),
      onReading(_s, r, ctx) {
        if (r.kind !== 'temperature') return;
        ctx.cancelTimer('k');
        ctx.setTimer(r.ts + r.celsius * MIN, 'k');
      },
      onTimer(_s, at, key, ctx) {
        ctx.raise({ severity: 'low', incidentKey: `${key}@${at}`, startedAt: at, detectedAt: at, location: null, summary: 'probe', evidence: [] });
      },
    });
    const B = { containerId: 'TGHU7654320', tripId: 'T-2', deviceId: 'acme-00077' };
    const cfg = testConfig(['engine.allowedLatenessMs=0']);
    const plans = [plan(), plan({ tripId: 'T-2', containerId: B.containerId, deviceId: B.deviceId })];
    const dir = new TripDirectory({ bindBeforeDepartureMs: cfg.trips.bindBeforeDepartureMs, activeAfterEtaMs: cfg.trips.activeAfterEtaMs }, plans);
    const got: Alert[] = [];
    const e = new RuleEngine({ config: cfg, trips: dir, ports: defaultPorts(), rules: [probe], router: seaLaneRouter, output: { alert: (a) => got.push(a), late: () => {} } });
    const t0 = T0 + 24 * HOUR;
    const at = (r: Reading, receivedAt: number): Reading => ({ ...r, receivedAt });
    e.ingest(at(reading(t0, { kind: 'temperature', celsius: 100 }, { id: 'a1' }), t0 + 1000)); // A's timer at t0 + 100 min
    e.ingest(at(reading(t0, { kind: 'temperature', celsius: 102 }, { ...B, id: 'b1' }), t0 + 2000)); // B's at t0 + 102 min
    e.advanceTo(t0 + 10 * MIN);
    // held when A's timer comes due: released first, it deletes A's timer and sets it again for t0 + 105 min
    e.ingest(at(reading(t0 + 60 * MIN, { kind: 'temperature', celsius: 45 }, { id: 'a2' }), t0 + 60 * MIN + 1000));
    e.advanceTo(t0 + 110 * MIN);
    expect(got.map((a) => [a.containerId, Date.parse(a.startedAt) - t0])).toEqual([
      [B.containerId, 102 * MIN],
      ['MSCU1234566', 105 * MIN],
    ]);
  });
  it('the fix before the latest reads back as that fix was (a missing speed or hdop as null), across numbers taken again and a snapshot', () => {
    // a probe rule: records view.prevFix at each fix, by the fix's event id
    const seen: Array<[string, PrevFix | null]> = [];
    const probe = defineRule<null>({
      id: 'LOCATION_JUMP' as RuleId,
      kinds: ['location'],
      initialState: () => null,
      onReading(_s, r, ctx) {
        seen.push([r.eventId.split(':').at(-1)!, ctx.view.prevFix]);
      },
    });
    const B = { containerId: 'TGHU7654320', tripId: 'T-2', deviceId: 'acme-00077' };
    const plans = [plan(), plan({ tripId: 'T-2', containerId: B.containerId, deviceId: B.deviceId })];
    const dir = () => new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, plans);
    const make = () => new RuleEngine({ config, trips: dir(), ports: defaultPorts(), rules: [probe], router: seaLaneRouter, output: { alert: () => {}, late: () => {} } });
    const t0 = T0 + HOUR;
    const fix = (k: number, v: { speedKn?: number; hdop?: number }, o: { id: string; containerId?: string; tripId?: string; deviceId?: string }) =>
      reading(t0 + k * 10 * MIN, { kind: 'location', lat: 51.9 + k / 7, lon: 4.1 - k / 9, ...v }, o);
    const e = make();
    // container B on lane 1 takes a number first; A on lane 0 the next
    e.ingest(fix(0, { speedKn: 1.25 }, { ...B, id: 'b1' }), 1);
    e.ingest(fix(1, { speedKn: 2 }, { ...B, id: 'b2' }), 1);
    e.flush();
    e.ingest(fix(0, { speedKn: 3.5 }, { id: 'a1' }), 0);
    e.ingest(fix(1, { hdop: 1.2 }, { id: 'a2' }), 0);
    e.flush();
    // B's lane dropped: its number is given back, and B coming back takes it as a new container (no fix before);
    // A's entry stays A's
    e.dropLane(1);
    e.ingest(fix(2, { speedKn: 5 }, { ...B, id: 'b3' }), 1);
    e.flush();
    e.ingest(fix(2, { speedKn: 0, hdop: 0.8 }, { id: 'a3' }), 0);
    e.flush();
    // A continues on an engine restored from a snapshot taken after a3
    const restored = make();
    restored.restoreLane(0, decodeLaneSnapshot(encodeLaneSnapshot(e.snapshotLane(0))));
    restored.ingest(fix(3, {}, { id: 'a4' }), 0);
    restored.flush();
    const at = (k: number) => t0 + k * 10 * MIN;
    expect(seen).toEqual([
      ['b1', null],
      ['b2', { ts: at(0), lat: 51.9, lon: 4.1, speedKn: 1.25, hdop: null }],
      ['a1', null],
      ['a2', { ts: at(0), lat: 51.9, lon: 4.1, speedKn: 3.5, hdop: null }],
      ['b3', null],
      ['a3', { ts: at(1), lat: 51.9 + 1 / 7, lon: 4.1 - 1 / 9, speedKn: null, hdop: 1.2 }],
      ['a4', { ts: at(2), lat: 51.9 + 2 / 7, lon: 4.1 - 2 / 9, speedKn: 0, hdop: 0.8 }],
    ]);
  });
});
