import { describe, it, expect } from 'vitest';
import { CHARTED_ANCHORAGES } from '../../simulators/anchorages.js';
import { WAITING_AREAS } from '../../simulators/detours.js';
import type { Label } from '../../simulators/fleet.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { DoorReading, TemperatureReading } from '../../src/model/reading.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { decodedCorpus, fixesOf, km, median, type DecodedCorpus } from '../helpers/sim-corpus.js';

/**
 * The breach variants the field has and our corpora lacked, checked on what
 * the devices send (decoded by the real normaliser) against their labels
 * (WIRE section 5, the conventions of fleet.ts's header): erratic reefer
 * control, anomalies on a short history, stops at an unofficial anchorage
 * off a planned port, doors opened at such a stop or at sea, long GNSS-only
 * gaps, breaches on sparse trackers and breaches delivered in a backlog.
 */

const START = Date.parse('2026-01-05T00:00:00Z');
const H = 3_600_000;
const MIN = 60_000;
const ports = defaultPorts();
const plannedPorts = (p: TripPlan) => [p.origin, ...p.transshipments, p.destination].map((l) => ports.get(l)!);
const corpus = (rules: Label['rule'][], seed: number, containers: number): DecodedCorpus => decodedCorpus({ seed, containers, start: START, voyageHours: 240, breachShare: 1, scenarios: rules });
const labelsOf = (c: DecodedCorpus, rule: Label['rule']): Label[] => c.sim.labels.filter((l) => l.rule === rule);
const temps = (c: DecodedCorpus, id: string): TemperatureReading[] => (c.readings.get(id) ?? []).filter((r): r is TemperatureReading => r.kind === 'temperature');
const between = <T extends { ts: number }>(list: readonly T[], from: number, to: number): T[] => list.filter((r) => r.ts >= from && r.ts <= to);

describe('TEMPERATURE_ANOMALY variants', () => {
  const c = corpus(['TEMPERATURE_ANOMALY'], 31, 40);

  it('erratic control: for 6-14 h every reading 1.5-2.5 C off the setpoint, on both sides, the mean still in the band', () => {
    let erratic = 0;
    for (const l of labelsOf(c, 'TEMPERATURE_ANOMALY')) {
      const reefer = c.plans.get(l.containerId)!.reefer;
      const from = Date.parse(l.from);
      const to = Date.parse(l.to);
      if (!reefer || to - from < 6 * H) continue;
      erratic++;
      expect(to - from).toBeLessThanOrEqual(14 * H + MIN);
      const during = between(temps(c, l.containerId), from + MIN, to - MIN);
      expect(during.length).toBeGreaterThan(5);
      const dev = during.map((t) => t.celsius - reefer.setpointC);
      // every reading off by 1.5-2.5 C (the sensor noise is +/- 0.3; a defrost may lift one reading more)
      expect(dev.filter((d) => Math.abs(d) >= 1.15 && Math.abs(d) <= 2.85).length / dev.length).toBeGreaterThan(0.85);
      expect(dev.some((d) => d > 1)).toBe(true);
      expect(dev.some((d) => d < -1)).toBe(true);
      expect(Math.abs(dev.reduce((a, b) => a + b, 0) / dev.length)).toBeLessThan(reefer.toleranceC);
      // and before it, the same box held its setpoint
      const before = between(temps(c, l.containerId), from - 6 * H, from - MIN).map((t) => Math.abs(t.celsius - reefer.setpointC));
      if (before.length >= 4) expect(median(before)).toBeLessThan(0.5);
    }
    expect(erratic).toBeGreaterThanOrEqual(2);
  });

  it('on a short history: some anomalies start within the first day after the device starts reporting', () => {
    let early = 0;
    let late = 0;
    for (const l of labelsOf(c, 'TEMPERATURE_ANOMALY')) {
      const firstSeen = c.readings.get(l.containerId)![0]!.ts;
      const since = Date.parse(l.from) - firstSeen;
      expect(since).toBeGreaterThan(H);
      if (since <= 24 * H) early++;
      else late++;
    }
    expect(early).toBeGreaterThanOrEqual(2);
    expect(late).toBeGreaterThan(early);
  });
});

describe('stops and doors outside every authorised zone', () => {
  const c = corpus(['UNSCHEDULED_STOP', 'DOOR_OPEN_UNAUTHORISED_LOCATION'], 32, 48);
  const doorContainers = new Set(labelsOf(c, 'DOOR_OPEN_UNAUTHORISED_LOCATION').map((l) => l.containerId));
  /** Where the container was while stopped over a stop label, and how far from every port. */
  const stopOf = (l: Label) => {
    const during = between(fixesOf(c, l.containerId), Date.parse(l.from) + 20 * MIN, Date.parse(l.to) - 20 * MIN);
    expect(during.length, `fixes of ${l.containerId} while stopped`).toBeGreaterThanOrEqual(1);
    const at = { lat: median(during.map((f) => f.lat)), lon: median(during.map((f) => f.lon)) };
    return { during, at, planned: Math.min(...plannedPorts(c.plans.get(l.containerId)!).map((p) => km(at, p))), table: ports.nearest(at.lat, at.lon)!.distanceKm };
  };

  it('UNSCHEDULED_STOP at an unofficial anchorage: 8-15 h at rest 25-70 km off a planned port, not at a charted anchorage or waiting area', () => {
    let offPort = 0;
    let atSea = 0;
    for (const l of labelsOf(c, 'UNSCHEDULED_STOP')) {
      const s = stopOf(l);
      if (s.table < 15) continue; // an unplanned call (alongside a port the plan does not name)
      const dwell = Date.parse(l.to) - Date.parse(l.from);
      expect(s.during.length).toBeGreaterThanOrEqual(2);
      let spread = 0;
      for (const a of s.during) for (const b of s.during) spread = Math.max(spread, km(a, b));
      expect(spread).toBeLessThan(2);
      for (const a of CHARTED_ANCHORAGES) expect(km(s.at, { lat: a.at[1], lon: a.at[0] })).toBeGreaterThan(a.radiusKm);
      for (const w of WAITING_AREAS) expect(km(s.at, { lat: w.at[1], lon: w.at[0] })).toBeGreaterThan(w.radiusKm);
      expect(s.table).toBeGreaterThan(19);
      if (s.planned <= 72 && dwell >= 8 * H - MIN) {
        offPort++;
        expect(s.planned).toBeGreaterThan(24);
        expect(dwell).toBeLessThanOrEqual(15 * H + MIN);
      } else {
        atSea++;
        expect(s.planned).toBeGreaterThan(59);
        expect(dwell).toBeGreaterThanOrEqual(4.5 * H - MIN);
        expect(dwell).toBeLessThanOrEqual(12 * H + MIN);
      }
    }
    expect(offPort).toBeGreaterThanOrEqual(3);
    expect(atSea).toBeGreaterThanOrEqual(3);
  });

  it('DOOR_OPEN_UNAUTHORISED_LOCATION at such a stop: the door opens 30 min after the ship is at rest, for 30 min to 3 h, and the stop carries its own label', () => {
    let atStop = 0;
    for (const l of labelsOf(c, 'DOOR_OPEN_UNAUTHORISED_LOCATION')) {
      const stop = c.sim.labels.find((x) => x.containerId === l.containerId && x.rule === 'UNSCHEDULED_STOP')!;
      const s = stopOf(stop);
      if (s.table < 15) continue; // at an unplanned call
      atStop++;
      const from = Date.parse(l.from);
      const to = Date.parse(l.to);
      expect(to - from).toBeGreaterThanOrEqual(30 * MIN - 1000);
      expect(to - from).toBeLessThanOrEqual(3 * H + 1000);
      const doors = (c.readings.get(l.containerId) ?? []).filter((r): r is DoorReading => r.kind === 'door');
      expect(doors.find((d) => d.ts === from && d.open)).toBeTruthy();
      expect(doors.find((d) => d.ts === to && !d.open)).toBeTruthy();
      expect(s.planned).toBeGreaterThan(24);
      // at rest: the fixes around the opening stay together and (where reported) under a knot
      const near = between(fixesOf(c, l.containerId), from - 30 * MIN, to + 30 * MIN);
      for (const f of near) expect(km(f, near[0]!)).toBeLessThan(2);
      const speeds = near.filter((f) => f.speedKn !== undefined).map((f) => f.speedKn!);
      if (speeds.length) expect(median(speeds)).toBeLessThan(1);
      expect(Date.parse(stop.from)).toBeLessThanOrEqual(from - 30 * MIN + 1000);
      expect(Date.parse(stop.to)).toBeGreaterThanOrEqual(to + 30 * MIN - 1000);
    }
    expect(atStop).toBeGreaterThanOrEqual(3);
    expect(doorContainers.size).toBeGreaterThan(atStop);
  });
});

describe('LOCATION_GAP', () => {
  const c = corpus(['LOCATION_GAP'], 33, 30);

  it('GNSS-only gaps of 6 h or more while the rest goes on; device silences of 4.5-10 h at sea', () => {
    let jammed = 0;
    let silenced = 0;
    for (const l of labelsOf(c, 'LOCATION_GAP')) {
      const from = Date.parse(l.from);
      const to = Date.parse(l.to);
      const inside = (c.readings.get(l.containerId) ?? []).filter((r) => r.ts > from && r.ts < to);
      expect(inside.filter((r) => r.kind === 'location')).toEqual([]);
      // silenced: hours with nothing at all; jammed: the other readings go on
      let quiet = 0;
      for (let i = 0, prev = from; i <= inside.length; i++) {
        const t = i < inside.length ? inside[i]!.ts : to;
        quiet = Math.max(quiet, t - prev);
        prev = t;
      }
      if (quiet >= 4.5 * H) silenced++;
      else {
        jammed++;
        expect(to - from).toBeGreaterThanOrEqual(6 * H);
      }
    }
    expect(jammed).toBeGreaterThanOrEqual(3);
    expect(silenced).toBeGreaterThanOrEqual(3);
  });
});

describe('how breaches reach the pipeline', () => {
  const c = corpus(['DOOR_OPEN_IN_TRANSIT', 'LIGHT_WITH_DOOR_CLOSED', 'LOCATION_JUMP', 'TEMPERATURE_EXCURSION', 'LOCATION_GAP', 'UNSCHEDULED_STOP'], 34, 120);
  const fixEvery = (id: string): number => {
    const ts = fixesOf(c, id).map((f) => f.ts);
    return median(
      ts
        .slice(1)
        .map((t, i) => t - ts[i]!)
        .filter((d) => d > 2 * MIN),
    );
  };

  it('on sparse trackers (a fix every 1-2 h), labelled like any other; a spoofed sparse tracker shows two spoofed fixes at least', () => {
    const sparse = c.sim.labels.filter((l) => fixEvery(l.containerId) >= 50 * MIN);
    expect(sparse.length).toBeGreaterThanOrEqual(6);
    expect(new Set(sparse.map((l) => l.rule)).size).toBeGreaterThanOrEqual(3);
    for (const l of sparse.filter((x) => x.rule === 'LOCATION_JUMP')) {
      const spoofed = fixesOf(c, l.containerId).filter((f) => f.ts >= Date.parse(l.from) && f.ts < Date.parse(l.to));
      expect(spoofed.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('in a store-and-forward backlog: for about two breaches in ten, what the device measured from the start of the breach arrives an hour or more late', () => {
    let backlogged = 0;
    const breached = new Set(c.sim.labels.map((l) => l.containerId));
    for (const id of breached) {
      const l = c.sim.labels.find((x) => x.containerId === id)!;
      const from = Date.parse(l.from);
      const first = (c.readings.get(id) ?? []).filter((r) => r.ts >= from - MIN && r.ts <= from + 30 * MIN);
      if (first.length && first.every((r) => r.receivedAt - r.ts > H / 2)) {
        backlogged++;
        // late, in order, and never later than a store-and-forward gap allows
        for (const r of first) expect(r.receivedAt - r.ts).toBeLessThan(5 * H + 15 * MIN);
      }
    }
    expect(backlogged / breached.size).toBeGreaterThan(0.08);
    expect(backlogged / breached.size).toBeLessThan(0.4);
  });
});
