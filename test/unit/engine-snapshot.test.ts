import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { partitionFor } from '../../src/bus/port.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { seaLaneRouter } from '../../src/geo/sea-router.js';
import type { Alert } from '../../src/model/alert.js';
import type { Reading } from '../../src/model/reading.js';
import { decodeLaneSnapshot, encodeLaneSnapshot, RuleEngine, SNAPSHOT_SCHEMA_VERSION, type LaneSnapshot } from '../../src/rules/engine.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { testConfig } from '../helpers/fixtures.js';
import { byAlertId, engineFleet } from '../helpers/engine-fleet.js';
import { collector } from '../helpers/collector.js';
import { compactSlab, slabStats } from '../../src/rules/rolling-baseline.js';

/**
 * Engine snapshots (RuleEngine.snapshotLane / restoreLane): a run cut
 * anywhere, every lane snapshotted, encoded to bytes and restored into a new
 * engine that continues the stream, raises exactly what the uninterrupted run
 * raises, and counts the same late and duplicate readings.
 */
const config = testConfig();
const PARTITIONS = 6;
// some containers fall silent for good a day in (their silence timers fire while their lanes go on);
// redeliveries: some again within the hold (duplicates), some long after (late, or duplicates at the reasoning position)
const { trips, readings } = engineFleet(config, 21, 24, (r, i) => (i % 40 === 0 ? [{ ...r, receivedAt: r.receivedAt + 1000 }] : i % 53 === 0 ? [{ ...r, receivedAt: r.receivedAt + 15 * 60_000 }] : []));
const laneOf = (r: Reading) => partitionFor(r.containerId, PARTITIONS, 0);

interface Run {
  alerts: Alert[];
  timersFired: number;
  late: string[];
  duplicates: number;
  lateCount: number;
  snapshots: Buffer[];
}

function engine(run: Run, rules = ALL_RULES, dir = trips()): RuleEngine {
  return new RuleEngine({ config, trips: dir, ports: defaultPorts(), rules, router: seaLaneRouter, output: { alert: (a) => run.alerts.push(a), late: (r) => run.late.push(r.eventId) } });
}

/** Feeds every reading in arrival order; at each cut, snapshots every lane to bytes and continues on a new engine restored from them. */
function runWithCuts(cuts: number[], idle: number[] = []): Run {
  const run: Run = { alerts: [], timersFired: 0, late: [], duplicates: 0, lateCount: 0, snapshots: [] };
  let e = engine(run);
  const cutSet = new Set(cuts);
  const idleSet = new Set(idle);
  const lanes = new Set<number>();
  readings.forEach((r, i) => {
    if (cutSet.has(i)) {
      const bytes = [...lanes].map((l) => encodeLaneSnapshot(e.snapshotLane(l)));
      run.snapshots.push(...bytes);
      run.duplicates += e.stats.duplicates;
      run.lateCount += e.stats.late;
      run.timersFired += e.stats.timersFired;
      e = engine(run);
      for (const b of bytes) {
        const snap = decodeLaneSnapshot(b);
        e.restoreLane(snap.lane, snap);
      }
    }
    lanes.add(laneOf(r));
    e.ingest(r, laneOf(r));
    if (idleSet.has(i)) e.releaseHeld(r.receivedAt + 20_000, laneOf(r));
  });
  e.flush();
  run.duplicates += e.stats.duplicates;
  run.lateCount += e.stats.late;
  run.timersFired += e.stats.timersFired;
  return run;
}

const byId = byAlertId;

describe('engine lane snapshots', () => {
  const reference = runWithCuts([]);

  it('the fleet exercises the engine: alerts, late and duplicate readings, several lanes', () => {
    expect(readings.length).toBeGreaterThan(5000);
    expect(reference.alerts.length).toBeGreaterThan(5);
    expect({ late: reference.lateCount > 0, duplicates: reference.duplicates > 0, timers: reference.timersFired > 0, silence: reference.alerts.some((a) => a.rule === 'LOCATION_GAP') }).toEqual({
      late: true,
      duplicates: true,
      timers: true,
      silence: true,
    });
    expect(new Set(readings.map(laneOf)).size).toBe(PARTITIONS);
  });

  it('a run cut at random points, snapshotted and restored into new engines, raises exactly the uninterrupted alerts', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: readings.length - 1 }), { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 0, max: readings.length - 1 }), { maxLength: 30 }), (cuts, idle) => {
        const want = idle.length ? runWithCuts([], idle) : reference;
        const got = runWithCuts(cuts, idle);
        expect(got.alerts.map((a) => a.alertId).sort()).toEqual(want.alerts.map((a) => a.alertId).sort());
        expect(byId(got.alerts)).toEqual(byId(want.alerts));
        expect(got.late).toEqual(want.late);
        expect(got.lateCount).toBe(want.lateCount);
        expect(got.duplicates).toBe(want.duplicates);
        expect(got.timersFired).toBe(want.timersFired);
      }),
      { numRuns: 25 },
    );
  });

  it('snapshots carry rule state of every kind: rolling baselines, fixes shared by reference, non-finite numbers', () => {
    const run = runWithCuts([Math.floor(readings.length * 0.6)]);
    const text = run.snapshots.map((b) => JSON.stringify(decodeLaneSnapshot(b))).join('\n');
    const has = (s: string) => text.includes(s);
    expect({ baseline: has('"c":"AnomalyState"'), typed: has('"t":"Int16Array"'), fix: has('"c":"EngineFix"'), shared: has('"$":"r"'), nan: has('"v":"NaN"'), infinity: has('"v":"Infinity"') }).toEqual({
      baseline: true,
      typed: true,
      fix: true,
      shared: true,
      nan: true,
      infinity: true,
    });
  });

  it('refuses a snapshot of an unknown schema version, another format or other rules, changing nothing', () => {
    const run: Run = { alerts: [], timersFired: 0, late: [], duplicates: 0, lateCount: 0, snapshots: [] };
    const e = engine(run);
    for (const r of readings.slice(0, 3000)) e.ingest(r, laneOf(r));
    const snap = e.snapshotLane(laneOf(readings[0]!));
    const target = engine(run);
    const future: LaneSnapshot = { ...snap, schemaVersion: SNAPSHOT_SCHEMA_VERSION + 1 };
    expect(() => target.restoreLane(snap.lane, future)).toThrow(/SW_ERR_SNAPSHOT_UNREADABLE|schemaVersion/);
    expect(() => decodeLaneSnapshot(encodeLaneSnapshot(future))).toThrow(new RegExp(`schemaVersion ${SNAPSHOT_SCHEMA_VERSION + 1} is not readable`));
    // version 1 held the fix before the latest as a fix object (with its event id) and baselines as their own typed arrays: not readable now
    expect(() => target.restoreLane(snap.lane, { ...snap, schemaVersion: 1 })).toThrow(/schemaVersion 1 is not readable/);
    // versions 2 and 3 held LOCATION_GAP's numbers in its state (4: in its cells): not readable now
    for (const v of [2, 3]) expect(() => target.restoreLane(snap.lane, { ...snap, schemaVersion: v })).toThrow(new RegExp(`schemaVersion ${v} is not readable`));
    expect(() => decodeLaneSnapshot(Buffer.from('{"format":"sealwatch.engine-lane","schemaVersion":1}'))).toThrow(/cannot be read/);
    expect(() => target.restoreLane(snap.lane, { ...snap, format: 'other' })).toThrow(/not an engine lane snapshot/);
    expect(() => engine(run, ALL_RULES.slice(1)).restoreLane(snap.lane, snap)).toThrow(/rules/);
    expect(target.stats.containers).toBe(0);
    try {
      target.restoreLane(snap.lane, future);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('SW_ERR_SNAPSHOT_UNREADABLE');
    }
  });

  it('dropLane forgets a lane and its containers; restoring it again brings them back', () => {
    const run: Run = { alerts: [], timersFired: 0, late: [], duplicates: 0, lateCount: 0, snapshots: [] };
    const e = engine(run);
    for (const r of readings.slice(0, 4000)) e.ingest(r, laneOf(r));
    const before = e.stats.containers;
    const lane = laneOf(readings[0]!);
    const snap = e.snapshotLane(lane);
    expect(snap.containers).toBeGreaterThan(0);
    e.dropLane(lane);
    expect(e.stats.containers).toBe(before - snap.containers);
    expect(e.laneIds()).not.toContain(lane);
    expect(e.snapshotLane(lane).containers).toBe(0);
    e.restoreLane(lane, snap);
    expect(e.stats.containers).toBe(before);
    expect(JSON.stringify(e.snapshotLane(lane))).toBe(JSON.stringify(snap));
  });
  it('close lets go of the engine: the trip directory no longer holds it, its containers and baselines are dropped', async () => {
    const gc = collector();
    const dir = trips();
    const run: Run = { alerts: [], timersFired: 0, late: [], duplicates: 0, lateCount: 0, snapshots: [] };
    const make = () => engine(run, ALL_RULES, dir);
    /** An engine fed the fleet, closed or not, then let go of: whether it was collected, and the slab's baselines meanwhile. */
    const letGo = async (close: boolean) => {
      let e: RuleEngine | null = make();
      for (const r of readings) e.ingest(r, laneOf(r));
      const ref = new WeakRef(e);
      const held = slabStats().baselines;
      if (close) {
        e.close();
        expect([e.stats.containers, e.laneIds()]).toEqual([0, []]);
      }
      e = null;
      await new Promise((r) => setTimeout(r, 0));
      gc();
      await new Promise((r) => setTimeout(r, 0));
      gc();
      compactSlab();
      return { collected: ref.deref() === undefined, held, after: slabStats().baselines };
    };
    // not closed, the directory's change listener keeps it (and the slab its baselines)
    expect((await letGo(false)).collected).toBe(false);
    const closed = await letGo(true);
    expect(closed.collected).toBe(true);
    expect(closed.after).toBeLessThan(closed.held);
    // a plan changed after close reaches no engine, and one engine made after works as before
    dir.upsert({ ...dir.all()[0]! });
    const alertsBefore = run.alerts.length;
    const e = make();
    for (const r of readings) e.ingest(r, laneOf(r));
    e.flush();
    expect(run.alerts.length).toBeGreaterThan(alertsBefore);
  });
});
