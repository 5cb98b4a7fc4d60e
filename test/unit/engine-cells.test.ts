import { describe, expect, it } from 'vitest';
import { defaultPorts } from '../../src/geo/ports.js';
import { seaLaneRouter } from '../../src/geo/sea-router.js';
import type { Alert, RuleId } from '../../src/model/alert.js';
import type { Reading } from '../../src/model/reading.js';
import { decodeLaneSnapshot, encodeLaneSnapshot, RuleEngine } from '../../src/rules/engine.js';
import { defineRule, type Rule } from '../../src/rules/rule.js';
import { GraphDecoder } from '../../src/rules/snapshot-codec.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { HOUR, MIN, plan, reading, testConfig } from '../helpers/fixtures.js';

/**
 * Rule cells (Rule.cells): numbers a rule keeps per container in the
 * engine's columns. Each container's are its own, set to the rule's initial
 * values at a new trip, carried by snapshots and kept by a container whose
 * number was given back.
 */
const config = testConfig(['engine.allowedLatenessMs=0']);

/**
 * A probe: cell 0 counts the container's readings, cell 1 holds the first
 * reading's time (NaN until then), cell 2 the latest door reading's time
 * (-Infinity until then); every reading raises an alert carrying the three,
 * and a timer an hour on raises them again.
 */
const probe = defineRule<null>({
  id: 'LOCATION_GAP' as RuleId,
  initialState: () => null,
  cells: [0, NaN, -Infinity],
  onReading(_s, r, ctx) {
    const c = ctx.cells;
    const b = ctx.base;
    c[b] = c[b]! + 1;
    if (Number.isNaN(c[b + 1]!)) c[b + 1] = r.ts;
    if (r.kind === 'door') c[b + 2] = r.ts;
    ctx.raise({ severity: 'low', incidentKey: r.eventId, startedAt: r.ts, detectedAt: r.ts, location: null, summary: 'probe', evidence: [], details: { n: c[b]!, first: String(c[b + 1]), door: String(c[b + 2]) } });
    ctx.setTimer(r.ts + HOUR, 'again');
  },
  onTimer(_s, at, _key, ctx) {
    const c = ctx.cells;
    const b = ctx.base;
    ctx.raise({ severity: 'low', incidentKey: `t@${at}`, startedAt: at, detectedAt: at, location: null, summary: 'timer', evidence: [], details: { n: c[b]!, first: String(c[b + 1]), door: String(c[b + 2]) } });
  },
});

const boxes = ['MSCU1234566', 'TGHU7654320'];
const plans = [
  plan({ tripId: 'T-0', containerId: boxes[0], deviceId: 'dev-0' }),
  plan({ tripId: 'T-1', containerId: boxes[1], deviceId: 'dev-1' }),
  plan({ tripId: 'T-9', containerId: boxes[0], deviceId: 'dev-0', departure: '2026-01-30T10:00:00Z', eta: '2026-02-20T10:00:00Z' }),
];
const t = Date.parse(plan().departure) + HOUR;
const r = (k: number, i: number, door: boolean, trip = `T-${i}`): Reading =>
  reading(t + k * MIN, door ? { kind: 'door', open: false } : { kind: 'light', lux: 1 }, { containerId: boxes[i], tripId: trip, deviceId: `dev-${i}`, id: `${i}-${k}` });
const readings = [r(0, 0, false), r(1, 1, true), r(2, 0, true), r(3, 1, false), r(4, 0, false), r(5, 1, false)];

function engine(rules: readonly Rule[] = [probe]): { e: RuleEngine; alerts: Alert[] } {
  const alerts: Alert[] = [];
  const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, plans);
  return { e: new RuleEngine({ config, trips, ports: defaultPorts(), rules, router: seaLaneRouter, output: { alert: (a) => alerts.push(a), late: () => {} } }), alerts };
}
/**
 * MSCU on lane 1 sets a timer queued in lane 1, then moves to lane 0 (the
 * timer stays queued in lane 1); lane 0 is dropped: MSCU is forgotten and its
 * number given back.
 */
function moveAndDrop(e: RuleEngine): void {
  e.ingest(r(0, 0, true), 1);
  e.ingest(r(1, 0, false), 1);
  e.flush();
  e.ingest(r(2, 0, false), 0);
  e.flush();
  e.dropLane(0);
}
const seen = (alerts: Alert[]) => alerts.map((a) => `${a.containerId.slice(0, 4)} ${a.summary} ${a.details!.n} ${Number(a.details!.first) - t} ${Number(a.details!.door) - t}`);

describe('rule cells', () => {
  it("each container's cells are its own, start at the rule's initial values, and a timer reads them", () => {
    const { e, alerts } = engine();
    for (const x of readings) e.ingest(x);
    e.advanceTo(t + 3 * HOUR);
    expect(seen(alerts)).toEqual([
      'MSCU probe 1 0 -Infinity',
      'TGHU probe 1 60000 60000',
      'MSCU probe 2 0 120000',
      'TGHU probe 2 60000 60000',
      'MSCU probe 3 0 120000',
      'MSCU timer 3 0 120000',
      'TGHU probe 3 60000 60000',
      'TGHU timer 3 60000 60000',
    ]);
  });

  it('a new trip starts the cells again from their initial values', () => {
    const { e, alerts } = engine();
    for (const x of readings.slice(0, 3)) e.ingest(x);
    const later = Date.parse('2026-01-30T11:00:00Z');
    e.ingest(reading(later, { kind: 'light', lux: 2 }, { containerId: boxes[0], tripId: 'T-9', deviceId: 'dev-0', id: 'new-trip' }));
    e.flush();
    const last = alerts.at(-1)!;
    expect([last.tripId, last.details]).toEqual(['T-9', { n: 1, first: String(later), door: '-Infinity' }]);
  });

  it('snapshots carry the cells (NaN and infinities too); a restored engine goes on counting from them', () => {
    const whole = engine();
    for (const x of readings) whole.e.ingest(x);
    whole.e.flush();
    const first = engine();
    for (const x of readings.slice(0, 1)) first.e.ingest(x);
    first.e.flush();
    const snap = decodeLaneSnapshot(encodeLaneSnapshot(first.e.snapshotLane(0)));
    // the one container seen so far: one reading counted, its time, no door yet
    expect(JSON.stringify(snap.body)).toContain('-Infinity');
    const second = engine();
    second.e.restoreLane(0, snap);
    for (const x of readings.slice(1)) second.e.ingest(x);
    second.e.flush();
    expect(seen([...first.alerts, ...second.alerts])).toEqual(seen(whole.alerts));
  });

  it('a container whose lane is dropped keeps its cells for a timer that still reaches it; the container that takes its number starts afresh', () => {
    const { e, alerts } = engine();
    moveAndDrop(e);
    // a container without a trip takes the number: it holds the initial values, not MSCU's
    e.ingest(reading(t + 3 * MIN, { kind: 'light', lux: 1 }, { containerId: 'CAIU1000007', tripId: null, deviceId: 'dev-7', id: 'no-trip' }), 1);
    e.flush();
    const body = new GraphDecoder([]).decode(e.snapshotLane(1).body) as { slots: Array<{ containerId: string; cells: number[] }> };
    expect(body.slots.find((x) => x.containerId === 'CAIU1000007')!.cells).toEqual([0, NaN, -Infinity]);
    // again from the start (lane 1 dropped too), and this time TGHU takes the number
    e.dropLane(1);
    moveAndDrop(e);
    e.ingest(r(3, 1, false), 1);
    e.flush();
    alerts.length = 0;
    e.advanceTo(t + 5 * HOUR, 1);
    expect(seen(alerts).sort()).toEqual(['MSCU timer 3 0 0', 'TGHU timer 1 180000 -Infinity']);
  });

  it("a dropped lane's container no other lane names is forgotten: its timers never fire and the container taking its number starts afresh", () => {
    const { e, alerts } = engine();
    e.ingest(r(0, 0, true), 0);
    e.ingest(r(1, 0, false), 0);
    e.flush();
    e.dropLane(0);
    e.ingest(reading(t + 3 * MIN, { kind: 'light', lux: 1 }, { containerId: 'CAIU1000007', tripId: null, deviceId: 'dev-7', id: 'no-trip' }), 0);
    e.flush();
    const body = new GraphDecoder([]).decode(e.snapshotLane(0).body) as { slots: Array<{ containerId: string; cells: number[] }> };
    expect(body.slots.map((x) => [x.containerId, x.cells])).toEqual([['CAIU1000007', [0, NaN, -Infinity]]]);
    alerts.length = 0;
    e.advanceTo(t + 5 * HOUR, 0);
    expect(alerts).toEqual([]);
  });

  it("a restored lane's hold naming a container of another lane keeps it reachable when that lane is dropped", () => {
    // the probe without its timer: only the hold names the container
    const counting = defineRule<null>({
      id: 'LOCATION_GAP' as RuleId,
      initialState: () => null,
      cells: [0, NaN, -Infinity],
      onReading(_s, x, ctx) {
        ctx.cells[ctx.base] = ctx.cells[ctx.base]! + 1;
        ctx.raise({ severity: 'low', incidentKey: x.eventId, startedAt: x.ts, detectedAt: x.ts, location: null, summary: 'probe', evidence: [], details: { n: ctx.cells[ctx.base]!, first: 'NaN', door: 'NaN' } });
      },
    });
    // MSCU reads twice in lane 1 (one processed, one still held), then moves to lane 0: lane 1's hold names it there
    const first = engine([counting]);
    first.e.ingest(r(0, 0, true), 1);
    first.e.advanceTo(t + 10 * MIN, 1);
    first.e.ingest(r(10, 0, false), 1);
    first.e.ingest(r(11, 0, false), 0);
    const snaps = [first.e.snapshotLane(0), first.e.snapshotLane(1)];
    // a fresh engine restores both (lane 0 first, so lane 1's hold resolves to MSCU there), then lane 0 is dropped
    const { e, alerts } = engine([counting]);
    e.restoreLane(0, snaps[0]!);
    e.restoreLane(1, snaps[1]!);
    e.dropLane(0);
    // TGHU takes MSCU's number; lane 1's hold ends: MSCU's held readings go on from its own count
    e.ingest(r(12, 1, false), 1);
    e.advanceTo(t + 20 * MIN, 1);
    expect(alerts.map((a) => `${a.containerId.slice(0, 4)} ${a.details!.n}`)).toEqual(['MSCU 2', 'MSCU 3', 'TGHU 1']);
  });

  it("a restored lane's timer of a container of another lane keeps it reachable when that lane is dropped", () => {
    // MSCU reads in lane 1 (its timer queued there), then moves to lane 0 and reads there (nothing held in lane 1)
    const first = engine();
    first.e.ingest(r(0, 0, true), 1);
    first.e.ingest(r(1, 0, false), 1);
    first.e.advanceTo(t + 10 * MIN, 1);
    first.e.ingest(r(10, 0, false), 0);
    first.e.advanceTo(t + 20 * MIN, 0);
    const snaps = [first.e.snapshotLane(0), first.e.snapshotLane(1)];
    const { e, alerts } = engine();
    e.restoreLane(0, snaps[0]!);
    e.restoreLane(1, snaps[1]!);
    e.dropLane(0);
    e.ingest(r(12, 1, false), 1);
    alerts.length = 0;
    e.advanceTo(t + 5 * HOUR, 1);
    // lane 1 wakes MSCU's timer (set for an hour after its last reading, in lane 0): it reads MSCU's count, not another's
    expect(seen(alerts.filter((a) => a.summary === 'timer'))).toEqual(['MSCU timer 3 0 0']);
  });

  it('refuses a snapshot whose cells are not as many as the rules keep', () => {
    const first = engine();
    for (const x of readings) first.e.ingest(x);
    const snap = first.e.snapshotLane(0);
    const wider = defineRule<null>({ ...probe, cells: [0, NaN, -Infinity, 0] });
    expect(() => engine([wider]).e.restoreLane(0, snap)).toThrow(/rule cells/);
  });
});

/**
 * A probe with 32-bit cells (Rule.cells32) beside its cells: cell 0 holds the
 * first reading's time (NaN until then); 32-bit cell 0 counts readings from
 * 3, 32-bit cell 1 holds the seconds since the first reading.
 */
const probe32 = defineRule<null>({
  id: 'LOCATION_GAP' as RuleId,
  initialState: () => null,
  cells: [NaN],
  cells32: [3, 0],
  onReading(_s, r, ctx) {
    if (Number.isNaN(ctx.cells[ctx.base]!)) ctx.cells[ctx.base] = r.ts;
    const u = ctx.cells32;
    const b = ctx.base32;
    u[b] = u[b]! + 1;
    u[b + 1] = (r.ts - ctx.cells[ctx.base]!) / 1000;
    ctx.raise({ severity: 'low', incidentKey: r.eventId, startedAt: r.ts, detectedAt: r.ts, location: null, summary: 'probe32', evidence: [], details: { n: u[b]!, s: u[b + 1]! } });
    ctx.setTimer(r.ts + HOUR, 'again');
  },
  onTimer(_s, at, _key, ctx) {
    const u = ctx.cells32;
    ctx.raise({ severity: 'low', incidentKey: `t@${at}`, startedAt: at, detectedAt: at, location: null, summary: 'timer32', evidence: [], details: { n: u[ctx.base32]!, s: u[ctx.base32 + 1]! } });
  },
});
const seen32 = (alerts: Alert[]) => alerts.map((a) => `${a.containerId.slice(0, 4)} ${a.tripId} ${a.details!.n} ${a.details!.s}`);

describe('32-bit rule cells', () => {
  it("each container's are its own, start at the rule's values and start again at a new trip", () => {
    const { e, alerts } = engine([probe32]);
    for (const x of readings) e.ingest(x);
    e.ingest(reading(Date.parse('2026-01-30T11:00:00Z'), { kind: 'light', lux: 2 }, { containerId: boxes[0], tripId: 'T-9', deviceId: 'dev-0', id: 'new-trip' }));
    e.flush();
    expect(seen32(alerts.filter((a) => a.summary === 'probe32'))).toEqual(['MSCU T-0 4 0', 'TGHU T-1 4 0', 'MSCU T-0 5 120', 'TGHU T-1 5 120', 'MSCU T-0 6 240', 'TGHU T-1 6 240', 'MSCU T-9 4 0']);
  });

  it('snapshots carry them after the float cells; a restored engine goes on from them', () => {
    const whole = engine([probe32]);
    for (const x of readings) whole.e.ingest(x);
    whole.e.flush();
    const first = engine([probe32]);
    for (const x of readings.slice(0, 3)) first.e.ingest(x);
    first.e.flush();
    const snap = decodeLaneSnapshot(encodeLaneSnapshot(first.e.snapshotLane(0)));
    const body = new GraphDecoder([]).decode(snap.body) as { slots: Array<{ containerId: string; cells: number[] }> };
    expect(body.slots.find((x) => x.containerId === boxes[0])!.cells).toEqual([t, 5, 120]);
    const second = engine([probe32]);
    second.e.restoreLane(0, snap);
    for (const x of readings.slice(3)) second.e.ingest(x);
    second.e.flush();
    expect(seen32([...first.alerts, ...second.alerts])).toEqual(seen32(whole.alerts));
  });

  it('a container whose lane is dropped keeps them for a timer that still reaches it', () => {
    const { e, alerts } = engine([probe32]);
    // then TGHU takes MSCU's number in lane 1
    moveAndDrop(e);
    e.ingest(r(3, 1, false), 1);
    e.flush();
    alerts.length = 0;
    e.advanceTo(t + 5 * HOUR, 1);
    expect(seen32(alerts).sort()).toEqual(['MSCU T-0 6 120', 'TGHU T-1 4 0']);
  });

  it('refuses a snapshot whose number for a 32-bit cell is not a whole number from 0 to 2^32 - 1', () => {
    // as many cells, the second a float cell holding a fraction, then a negative number, then 2^32
    for (const value of [0.5, -1, 2 ** 32]) {
      const floats = defineRule<null>({
        id: 'LOCATION_GAP' as RuleId,
        initialState: () => null,
        cells: [NaN, 0, 0],
        onReading(_s, _r, ctx) {
          ctx.cells[ctx.base + 1] = value;
        },
      });
      const first = engine([floats]);
      first.e.ingest(readings[0]!);
      first.e.flush();
      const snap = first.e.snapshotLane(0);
      expect(() => engine([probe32]).e.restoreLane(0, snap)).toThrow(/32-bit cell/);
    }
    // and the same snapshot with whole numbers in range is read
    const fine = defineRule<null>({ id: 'LOCATION_GAP' as RuleId, initialState: () => null, cells: [NaN, 0, 0], onReading() {} });
    const first = engine([fine]);
    first.e.ingest(readings[0]!);
    first.e.flush();
    expect(() => engine([probe32]).e.restoreLane(0, first.e.snapshotLane(0))).not.toThrow();
  });
});

/**
 * Two rules whose cells share each container's record with the engine's own
 * numbers: each fills all its cells and 32-bit cells with its own stamp at
 * every reading and first checks the stamp it left at the container's last
 * reading, and the engine's numbers beside them (the door, the time of a
 * door change, the latest reading's time) must read as the readings set them.
 */
function stamper(id: RuleId, no: number, widths: [number, number], seenBy: string[]): Rule {
  return defineRule<null>({
    id,
    initialState: () => null,
    cells: new Array<number>(widths[0]).fill(0),
    cells32: new Array<number>(widths[1]).fill(0),
    onReading(_s, x, ctx) {
      const v = ctx.view;
      const before = ctx.cells[ctx.base]!;
      const intact = [...ctx.cells.subarray(ctx.base, ctx.base + widths[0]), ...ctx.cells32.subarray(ctx.base32, ctx.base32 + widths[1])].every((c) => c === before);
      seenBy.push(`${id} ${x.containerId} ${intact} ${before % 1000} ${v.lastTs === x.ts} ${v.door} ${x.kind === 'door' && v.doorChanged ? v.doorSince === x.ts : ''}`);
      const stamp = 1000 * no + (before % 1000) + 1;
      const engineNumbers = () => JSON.stringify([v.door, v.doorSince, v.doorChanged, v.lastTs, v.wayKn, v.arrivedAt, v.prevFix, v.inStop, v.active]);
      const was = engineNumbers();
      ctx.cells.fill(stamp, ctx.base, ctx.base + widths[0]);
      ctx.cells32.fill(stamp, ctx.base32, ctx.base32 + widths[1]);
      if (engineNumbers() !== was) seenBy.push(`${id} ${x.containerId} wrote over the engine's numbers`);
    },
  });
}

describe('rule cells in the container record', () => {
  it("each rule's cells and 32-bit cells hold what it wrote, next to another rule's and the engine's numbers", () => {
    const seenBy: string[] = [];
    const { e } = engine([stamper('LOCATION_GAP' as RuleId, 1, [3, 2], seenBy), stamper('LIGHT_WITH_DOOR_CLOSED' as RuleId, 2, [1, 5], seenBy)]);
    const doorOpen = (k: number, i: number): Reading => reading(t + k * MIN, { kind: 'door', open: true }, { containerId: boxes[i], tripId: `T-${i}`, deviceId: `dev-${i}`, id: `${i}-${k}o` });
    const fix = (k: number, i: number): Reading =>
      reading(t + k * MIN, { kind: 'location', lat: 44 + k / 100, lon: -9, speedKn: 12 + k, hdop: 0.5 + k / 10 }, { containerId: boxes[i], tripId: `T-${i}`, deviceId: `dev-${i}`, id: `${i}-${k}f` });
    for (const x of [fix(0, 0), ...readings, fix(5, 0), doorOpen(6, 0), fix(6, 1), r(7, 0, false), fix(7, 1), r(8, 1, true)]) e.ingest(x);
    e.flush();
    expect(seenBy.filter((l) => l.includes('wrote over'))).toEqual([]);
    const lines = seenBy.map((l) => l.split(' '));
    expect(lines.length).toBe(26);
    // every check found the stamps intact and the engine's numbers as the readings set them
    expect(lines.every(([, , intact, , lastTs]) => intact === 'true' && lastTs === 'true')).toBe(true);
    expect(lines.filter(([, , , , , , door]) => door !== '').every(([, , , , , , door]) => door === 'true')).toBe(true);
    // each rule counts each container's readings on from its own stamp: 0, 1, 2, ... per rule and container
    for (const rule of ['LOCATION_GAP', 'LIGHT_WITH_DOOR_CLOSED'])
      for (const box of boxes) {
        const counts = lines.filter(([id, c]) => id === rule && c === box).map(([, , , n]) => Number(n));
        expect(counts).toEqual(counts.map((_, k) => k));
      }
    expect(lines.filter(([id, c]) => id === 'LOCATION_GAP' && c === boxes[0]).map(([, , , , , d]) => d)).toContain('open');
  });
});
