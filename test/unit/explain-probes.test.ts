import { describe, expect, it } from 'vitest';
import { runProbes } from '../../src/evaluate/explain/index.js';
import { doorOpenInTransitProbe } from '../../src/evaluate/explain/door-open-in-transit.js';
import { doorOpenUnauthorisedLocationProbe } from '../../src/evaluate/explain/door-open-unauthorised-location.js';
import { lightWithDoorClosedProbe } from '../../src/evaluate/explain/light-with-door-closed.js';
import { locationGapProbe } from '../../src/evaluate/explain/location-gap.js';
import { locationJumpProbe } from '../../src/evaluate/explain/location-jump.js';
import { ripOnRipOffProbe } from '../../src/evaluate/explain/rip-on-rip-off.js';
import { routeDeviationProbe } from '../../src/evaluate/explain/route-deviation.js';
import { temperatureAnomalyProbe } from '../../src/evaluate/explain/temperature-anomaly.js';
import { temperatureExcursionProbe } from '../../src/evaluate/explain/temperature-excursion.js';
import { unscheduledStopProbe } from '../../src/evaluate/explain/unscheduled-stop.js';
import { deviceContainerMismatchProbe } from '../../src/evaluate/explain/device-container-mismatch.js';
import { result, type Probe, type ProbeInput } from '../../src/evaluate/explain/probe.js';
import { traceReadings, type Trace } from '../../src/evaluate/explain/trace.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { Reading } from '../../src/model/reading.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { kmBetween, knots } from '../../src/geo/distance.js';
import { harness, HOUR, MIN, plan, reading, T0, testConfig, track } from '../helpers/fixtures.js';

// Bay of Biscay, well offshore; a French motorway rest area inland; off Rotterdam, outside its zone, within its anchorage radius.
const BISCAY: [number, number] = [45.5, -8.0];
const BISCAY_2: [number, number] = [44.9, -8.6];
const INLAND_FR: [number, number] = [47.3, 2.0];
const OFF_ROTTERDAM: [number, number] = [52.1, 3.6];
const DAY1 = T0 + 24 * HOUR;
const DAY2 = T0 + 48 * HOUR;

function trace(readings: Reading[], plans: TripPlan[] = [plan()], sets: string[] = []): { trace: Trace; config: ReturnType<typeof testConfig> } {
  const config = testConfig(sets);
  const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, plans);
  const t = traceReadings(readings, { config, trips, ports: defaultPorts() }).get('MSCU1234566');
  if (!t) throw new Error('no trace for the container');
  return { trace: t, config };
}

/** Runs one probe on readings, for incidents starting in [from, to]. */
function probe(p: Probe, readings: Reading[], from: number, to: number, o: { plans?: TripPlan[]; sets?: string[] } = {}) {
  const { trace: t, config } = trace(readings, o.plans, o.sets);
  const input: ProbeInput = { trace: t, from, to, rules: config.rules, engine: config.engine, ports: defaultPorts() };
  return p.run(input);
}

/** Scores are given in hundredths. */
const round2 = (x: number) => Math.round(x * 100) / 100;

const temps = (from: number, minutes: number, stepMin: number, c: (i: number) => number, setpointC?: number): Reading[] =>
  Array.from({ length: Math.floor(minutes / stepMin) + 1 }, (_, i) => reading(from + i * stepMin * MIN, { kind: 'temperature', celsius: c(i), ...(setpointC !== undefined ? { setpointC } : {}) }));

describe('the trace', () => {
  it('records what the engine handed the rules, and door openings placed by the door rules', () => {
    const { trace: t } = trace([...track(BISCAY, BISCAY_2, DAY1, 60, 5, 16), reading(DAY1 + 32 * MIN, { kind: 'door', open: true })]);
    expect(t.steps.filter((s) => s.active)).toHaveLength(14);
    expect(t.openings).toHaveLength(1);
    expect(t.openings[0]!.place.kind).toBe('transit');
    // the same readings raise DOOR_OPEN_IN_TRANSIT in the real engine
    expect(
      harness()
        .feed([...track(BISCAY, BISCAY_2, DAY1, 60, 5, 16), reading(DAY1 + 32 * MIN, { kind: 'door', open: true })])
        .map((a) => a.rule),
    ).toEqual(['DOOR_OPEN_IN_TRANSIT']);
  });
});

describe('UNSCHEDULED_STOP probe', () => {
  const cfg = testConfig().rules;
  const minStopH = cfg.unscheduledStop.minStopMs / HOUR;
  // sailed in from the north (or the south) at 12 kn to `at`, arriving at DAY1, then fixes in place every `stepMin` until DAY1 + hours:
  // the fix before the stop is in the same place, so the stop is dated from it and lasts `hours`
  const stop = (at: [number, number], hours: number, o: { fromSouth?: boolean; stepMin?: number } = {}) => [
    ...track([at[0] + (o.fromSouth ? -0.3 : 0.3), at[1]], at, DAY1 - HOUR, 60, 15, 12),
    ...track(at, at, DAY1 + (o.stepMin ?? 15) * MIN, hours * 60 - (o.stepMin ?? 15), o.stepMin ?? 15, 0),
  ];
  const raised = (readings: Reading[], plans?: TripPlan[]) =>
    harness(plans)
      .feed(readings)
      .filter((a) => a.rule === 'UNSCHEDULED_STOP');

  it('a stop at sea scores dwell / minStopMs, outside every zone, dated from the fix before it in the same place; 15 min under scores just under 1', () => {
    const r = probe(unscheduledStopProbe, stop(BISCAY, minStopH + 0.5), DAY1, DAY1 + 6 * HOUR);
    expect(r.score).toBeCloseTo((minStopH + 0.5) / minStopH, 2);
    expect(r.reason).toMatch(/^stop 4\.5 h from .* \(backdated to the fix before, in the same place within swingKm 0\.6\) at .* \(minStopMs 4\.0 h\); outside every zone and excuse, \d+ km off .* \(zoneApproachKm 10\), nearest port /);
    expect(raised(stop(BISCAY, minStopH + 0.5))).toHaveLength(1);
    const under = probe(unscheduledStopProbe, stop(BISCAY, minStopH - 0.25), DAY1, DAY1 + 6 * HOUR);
    expect(under.score).toBeCloseTo((minStopH - 0.25) / minStopH, 2);
    expect(under.score).toBeLessThan(1);
    expect(raised(stop(BISCAY, minStopH - 0.25))).toHaveLength(0);
  });

  it("a stop's start is estimated from the way the fix before reported; a fix before beyond swingKm dates it from its own first fix", () => {
    // the last approach fix 400 m short of the stop, making 3 kn: stopped once 3 kn would have covered 400 m
    const approach = (km: number) => {
      const fixes = track([BISCAY[0] + 0.3, BISCAY[1]], [BISCAY[0] + km / 111.2, BISCAY[1]], DAY1 - HOUR, 60, 15, 12);
      const last = fixes[fixes.length - 1]!;
      fixes[fixes.length - 1] = reading(last.ts, { kind: 'location', lat: BISCAY[0] + km / 111.2, lon: BISCAY[1], speedKn: 3 });
      return fixes;
    };
    const hours = minStopH + 10 / 60;
    const readings = (km: number) => [...approach(km), ...track(BISCAY, BISCAY, DAY1 + 15 * MIN, hours * 60 - 15, 5, 0)];
    const r = probe(unscheduledStopProbe, readings(0.4), DAY1 - HOUR, DAY1 + 6 * HOUR);
    const alerts = raised(readings(0.4));
    expect(alerts).toHaveLength(1);
    // the probe dates the stop as the rule did
    expect(r.at).toBe(Date.parse(alerts[0]!.startedAt));
    const started = DAY1 + Math.round((kmBetween({ lat: BISCAY[0] + 0.4 / 111.2, lon: BISCAY[1] }, { lat: BISCAY[0], lon: BISCAY[1] }) / (3 * 1.852)) * HOUR);
    expect(r.at).toBe(started);
    expect(r.score).toBeCloseTo((DAY1 + hours * HOUR - started) / cfg.unscheduledStop.minStopMs, 2);
    expect(r.reason).toMatch(/\(estimated from the fix before, .*, reporting 3\.0 kn\)/);
    // 1 km short: not one place, so the stop starts at its own first fix, 15 min later, and falls just short
    const far = probe(unscheduledStopProbe, readings(1), DAY1 - HOUR, DAY1 + 6 * HOUR);
    expect(far.at).toBe(DAY1 + 15 * MIN);
    expect(far.score).toBeCloseTo((hours - 0.25) / minStopH, 2);
    expect(far.score).toBeLessThan(1);
    expect(raised(readings(1))).toHaveLength(0);
  });

  it('a stop that began before the window is named, not scored (its alert would start outside the window)', () => {
    const r = probe(unscheduledStopProbe, stop(BISCAY, 5), DAY1 + 2 * HOUR, DAY1 + 3 * HOUR);
    expect(r.score).toBe(0);
    expect(r.reason).toMatch(/^no stop starts in the window .*; a stop from .* \(backdated to the fix before, in the same place within swingKm 0\.6\), before the window, lasted 5\.0 h/);
  });

  it('waiting just off an authorised zone scores its distance / zoneApproachKm; a little farther fires', () => {
    const santos = defaultPorts().get('BRSSZ')!;
    const zoneKm = (p: [number, number]) => kmBetween(santos, { lat: p[0], lon: p[1] }) - testConfig().trips.defaultZoneRadiusKm;
    const near: [number, number] = [-24.15, -46.33];
    const far: [number, number] = [-24.2, -46.2];
    expect(zoneKm(near)).toBeLessThan(cfg.unscheduledStop.zoneApproachKm);
    expect(zoneKm(far)).toBeGreaterThan(cfg.unscheduledStop.zoneApproachKm);
    const waiting = probe(unscheduledStopProbe, stop(near, 5, { fromSouth: true }), DAY1, DAY1 + 6 * HOUR);
    expect(waiting.score).toBeCloseTo(zoneKm(near) / cfg.unscheduledStop.zoneApproachKm, 2);
    expect(waiting.reason).toMatch(/excused: \d\.\d km off Santos \(BRSSZ\), waiting to enter \(within zoneApproachKm 10 of an authorised zone/);
    expect(raised(stop(near, 5, { fromSouth: true }))).toHaveLength(0);
    const fire = probe(unscheduledStopProbe, stop(far, 5, { fromSouth: true }), DAY1, DAY1 + 6 * HOUR);
    expect(fire.score).toBeCloseTo(5 / minStopH, 2);
    expect(fire.reason).toMatch(/outside every zone and excuse, 1\d km off Santos \(BRSSZ\)/);
    expect(raised(stop(far, 5, { fromSouth: true }))).toHaveLength(1);
  });

  it('a waiting area of a planned port excuses a stop for waitingAreaMaxWaitMs (dwell / that), and not once the door is opened', () => {
    const maxWaitH = cfg.unscheduledStop.waitingAreaMaxWaitMs / HOUR;
    const wait = (hours: number) => stop(OFF_ROTTERDAM, hours, { stepMin: 30 });
    const excused = probe(unscheduledStopProbe, wait(5), DAY1, DAY1 + 6 * HOUR);
    expect(excused.score).toBeCloseTo(5 / maxWaitH, 2);
    expect(excused.reason).toMatch(/excused: Maas anchorages \(Rotterdam approaches\) \(a waiting area of this plan: the plan names NLRTM\), for up to 3\.0 days \(waitingAreaMaxWaitMs\)/);
    // a wait longer than waits there take fires, one just shorter does not
    const long = probe(unscheduledStopProbe, wait(maxWaitH + 2), DAY1, DAY1 + 80 * HOUR);
    expect(long.score).toBeCloseTo((maxWaitH + 2) / maxWaitH, 2);
    expect(raised(wait(maxWaitH + 2))).toHaveLength(1);
    const under = probe(unscheduledStopProbe, wait(maxWaitH - 2), DAY1, DAY1 + 80 * HOUR);
    expect(under.score).toBeCloseTo((maxWaitH - 2) / maxWaitH, 2);
    expect(raised(wait(maxWaitH - 2))).toHaveLength(0);
    // nobody opens a box while queueing
    const opened = [...wait(5), reading(DAY1 + 2 * HOUR, { kind: 'door', open: true }), reading(DAY1 + 2 * HOUR + 10 * MIN, { kind: 'door', open: false })];
    const lost = probe(unscheduledStopProbe, opened, DAY1, DAY1 + 6 * HOUR);
    expect(lost.score).toBeCloseTo(5 / minStopH, 2);
    expect(lost.reason).toMatch(/Maas anchorages .*; the door was opened .* during the stop, which takes the excuse away/);
    expect(raised(opened)).toHaveLength(1);
  });

  it("a passage's waiting area excuses a stop only on a route through it, its canal's terminal port included; off the route the stop is a call", () => {
    const PORT_SAID_ROADS: [number, number] = [31.35, 32.4]; // 14 km off Port Said, inside the Suez Canal's northern anchorage
    const viaSuez = plan({ destination: 'SGSIN', transshipments: [] });
    const wait = stop(PORT_SAID_ROADS, 5);
    const excused = probe(unscheduledStopProbe, wait, DAY1, DAY1 + 6 * HOUR, { plans: [viaSuez] });
    expect(excused.score).toBeCloseTo(5 / (cfg.unscheduledStop.waitingAreaMaxWaitMs / HOUR), 2);
    expect(excused.reason).toMatch(
      /excused: Port Said anchorage \(Suez Canal north\), on the planned route \(a waiting area of this plan: the plan's route passes through it; a passage, so Port Said \(West\) \(EGPSD\) 14 km away is part of its queue, not a call\)/,
    );
    expect(raised(wait, [viaSuez])).toHaveLength(0);
    // Rotterdam to Santos never passes Suez: the same stop is a call at a port the plan does not name
    const call = probe(unscheduledStopProbe, wait, DAY1, DAY1 + 6 * HOUR);
    expect(call.score).toBeCloseTo(5 / minStopH, 2);
    expect(call.reason).toMatch(/at Port Said \(West\) \(EGPSD\), a port the plan does not name \(14 km, portCallKm 15\)/);
    expect(raised(wait).map((a) => a.severity)).toEqual(['high']);
  });

  it('one fix out of a stop is tolerated; two in a row end it, and the reason says what ended it', () => {
    const fixes = stop(BISCAY, minStopH + 0.5);
    const at = (h: number) => fixes.findIndex((f) => f.ts === DAY1 + h * HOUR);
    const out = (i: number, dLat: number) => (fixes[i] = reading(fixes[i]!.ts, { kind: 'location', lat: BISCAY[0] + dLat, lon: BISCAY[1], speedKn: 0, hdop: 9 }));
    out(at(2), 0.027); // multipath: 3 km off at hdop 9, once
    const tolerated = probe(unscheduledStopProbe, fixes, DAY1, DAY1 + 6 * HOUR);
    expect(tolerated.score).toBeCloseTo((minStopH + 0.5) / minStopH, 2);
    expect(tolerated.reason).toMatch(/^stop 4\.5 h from .*, 1 fix out of it tolerated/);
    out(at(2) + 1, -0.027); // and the next fix 3 km off the other way
    const split = probe(unscheduledStopProbe, fixes, DAY1, DAY1 + 6 * HOUR);
    expect(split.score).toBeLessThan(1);
    expect(split.reason).toMatch(/stops in the window ended by: .* fix 3\.0 km from the stop's first fix \(> radiusKm 2 \+ position error = 2\.2 km, hdop 9\), and the next fix too/);
  });
});

describe('door-opening probes', () => {
  const SEINE: [number, number] = [49.62, -0.05]; // over water, a little beyond atSeaMinPortDistanceKm of Le Havre
  const cfg = testConfig().rules.doorOpen;
  const raised = (readings: Reading[]) =>
    harness()
      .feed(readings)
      .map((a) => a.rule)
      .filter((r) => r.startsWith('DOOR'));
  const opened = (fixes: Reading[], at: number) => [...fixes, reading(at, { kind: 'door', open: true })];
  const north = (p: [number, number], km: number): [number, number] => [p[0] + km / 111.2, p[1]];

  it('DOOR_OPEN_IN_TRANSIT: opened sailing scores 1; opened making 2.5 kn inland scores speed / movingSpeedKn', () => {
    const fire = probe(doorOpenInTransitProbe, opened(track(BISCAY, BISCAY_2, DAY1, 60, 5, 16), DAY1 + 32 * MIN), DAY1, DAY1 + HOUR);
    expect(fire.score).toBe(1);
    expect(fire.reason).toMatch(/placed transit, speed 16\.0 kn \(moving from 3 kn\), at sea/);
    // 2.5 kn over the ground: 4.6 km in the hour
    const slow = opened(track(INLAND_FR, north(INLAND_FR, 2.5 * 1.852), DAY1, 60, 10, 2.5), DAY1 + 25 * MIN);
    const under = probe(doorOpenInTransitProbe, slow, DAY1, DAY1 + HOUR);
    expect(under.score).toBeCloseTo(2.5 / cfg.movingSpeedKn, 2);
    expect(under.reason).toMatch(/placed stationary, speed 2\.5 kn .*on land/);
    expect(raised(slow)).toEqual(['DOOR_OPEN_UNAUTHORISED_LOCATION']);
  });

  it('a knot or two reported at a quay while the positions stand still is a stop: stationary whatever the speed (0 for transit, 1 for unauthorised)', () => {
    // reports 2.5 kn, moves 1 km in the hour: Doppler noise off the steel around it
    const quay = opened(track(INLAND_FR, north(INLAND_FR, 1), DAY1, 60, 10, 2.5), DAY1 + 25 * MIN);
    const transit = probe(doorOpenInTransitProbe, quay, DAY1, DAY1 + HOUR);
    expect(transit.score).toBe(0);
    expect(transit.reason).toMatch(/placed stationary, the fix part of a stop since .*: stationary whatever the speed \(speed 2\.5 kn\)/);
    expect(probe(doorOpenUnauthorisedLocationProbe, quay, DAY1, DAY1 + HOUR).score).toBe(1);
    expect(raised(quay)).toEqual(['DOOR_OPEN_UNAUTHORISED_LOCATION']);
  });

  it('DOOR_OPEN_IN_TRANSIT: at sea with neither a speed nor a stop, the next fix decides: sailing on scores 1, drifting at 2.3 kn just under', () => {
    // one fix with no speed, the door opened 5 min later, the next fix 20 min after the first
    const lone = (km: number) => [
      reading(DAY1, { kind: 'location', lat: SEINE[0], lon: SEINE[1] }),
      reading(DAY1 + 5 * MIN, { kind: 'door', open: true }),
      reading(DAY1 + 20 * MIN, { kind: 'location', lat: SEINE[0] + km / 111.2, lon: SEINE[1] }),
    ];
    const fire = probe(doorOpenInTransitProbe, lone(7.4), DAY1, DAY1 + HOUR);
    expect(fire.score).toBe(1);
    expect(fire.reason).toMatch(/placed transit, speed 1\d\.\d kn \(moving from 3 kn\); at sea with neither a speed nor a stop at the opening, placed by the next fix at 10:20, at sea: nearest port /);
    expect(raised(lone(7.4))).toEqual(['DOOR_OPEN_IN_TRANSIT']);
    // the speed the door rules derive: the distance less both fixes' position error (25 m at least each)
    const derived = knots(kmBetween({ lat: SEINE[0], lon: SEINE[1] }, { lat: SEINE[0] + 1.5 / 111.2, lon: SEINE[1] }) - 0.05, 20 * MIN);
    const under = probe(doorOpenInTransitProbe, lone(1.5), DAY1, DAY1 + HOUR);
    expect(under.score).toBeCloseTo(derived / cfg.movingSpeedKn, 2);
    expect(under.score).toBeGreaterThan(0.7);
    expect(under.reason).toMatch(/placed stationary, speed 2\.\d kn .*placed by the next fix/);
    expect(raised(lone(1.5))).toEqual(['DOOR_OPEN_UNAUTHORISED_LOCATION']);
    const anchored = opened(track(SEINE, SEINE, DAY1, 60, 10, 0), DAY1 + 25 * MIN);
    const stopped = probe(doorOpenInTransitProbe, anchored, DAY1, DAY1 + HOUR);
    expect(stopped.score).toBe(0);
    expect(stopped.reason).toMatch(/placed stationary, the fix part of a stop since .*: stationary whatever the speed \(speed 0\.0 kn\), at sea/);
  });

  it('DOOR_OPEN_UNAUTHORISED_LOCATION: opened in a stop scores 1, inland or at anchor at sea', () => {
    const inland = probe(doorOpenUnauthorisedLocationProbe, opened(track(INLAND_FR, INLAND_FR, DAY1, 60, 10, 0), DAY1 + 25 * MIN), DAY1, DAY1 + HOUR);
    expect(inland.score).toBe(1);
    expect(inland.reason).toMatch(/placed stationary, the fix part of a stop since .*, on land/);
    const anchored = opened(track(SEINE, SEINE, DAY1, 60, 10, 0), DAY1 + 25 * MIN);
    const sea = probe(doorOpenUnauthorisedLocationProbe, anchored, DAY1, DAY1 + HOUR);
    expect(sea.score).toBe(1);
    expect(sea.reason).toMatch(/placed stationary, .*, at sea: nearest port /);
    expect(raised(anchored)).toEqual(['DOOR_OPEN_UNAUTHORISED_LOCATION']);
  });

  it('DOOR_OPEN_UNAUTHORISED_LOCATION: drifting at 3.5 kn scores movingSpeedKn / speed; an opening no fix came to place within bracketMaxMs fires', () => {
    const drift = probe(doorOpenUnauthorisedLocationProbe, opened(track(BISCAY, north(BISCAY, 3.5 * 1.852), DAY1, 60, 10, 3.5), DAY1 + 25 * MIN), DAY1, DAY1 + HOUR);
    expect(drift.score).toBeCloseTo(cfg.movingSpeedKn / 3.5, 2);
    expect(drift.reason).toMatch(/placed transit, speed 3\.5 kn \(moving from 3 kn\)/);
    // one fix at sea with no speed, then only temperatures: past bracketMaxMs the opening is raised unplaced
    const unplaced = (hours: number) => [reading(DAY1, { kind: 'location', lat: SEINE[0], lon: SEINE[1] }), reading(DAY1 + 5 * MIN, { kind: 'door', open: true }), ...temps(DAY1 + 30 * MIN, hours * 60, 30, () => 12)];
    const late = probe(doorOpenUnauthorisedLocationProbe, unplaced(cfg.bracketMaxMs / HOUR + 0.5), DAY1, DAY1 + HOUR);
    expect(late.score).toBe(1);
    expect(late.reason).toMatch(/with no fix to place it: none within fixMaxAgeMs 30 min, none came within bracketMaxMs 6\.0 h after it/);
    expect(raised(unplaced(cfg.bracketMaxMs / HOUR + 0.5))).toEqual(['DOOR_OPEN_UNAUTHORISED_LOCATION']);
    expect(probe(doorOpenInTransitProbe, unplaced(cfg.bracketMaxMs / HOUR + 0.5), DAY1, DAY1 + HOUR).score).toBe(0);
    // the input ends before: still waiting, never decided
    const waiting = probe(doorOpenUnauthorisedLocationProbe, unplaced(2), DAY1, DAY1 + HOUR);
    expect(waiting.score).toBeLessThan(1);
    expect(waiting.reason).toMatch(/not placed when the input ended: at sea with neither a speed nor a stop, it waited for the next fix/);
    expect(raised(unplaced(2))).toEqual([]);
  });
});

describe('RIP_ON_RIP_OFF probe', () => {
  const maxOpenH = testConfig().rules.ripOnRipOff.maxOpenMs / HOUR;
  const rips = (readings: Reading[]) =>
    harness()
      .feed(readings)
      .filter((a) => a.rule === 'RIP_ON_RIP_OFF');
  const door = (at: number, open: boolean) => reading(at, { kind: 'door', open });

  it('open 25 min during a stop scores 1; open longer than maxOpenMs scores maxOpenMs / time open', () => {
    const stopped = track(INLAND_FR, INLAND_FR, DAY1, 5 * 60, 10, 0);
    const fire = probe(ripOnRipOffProbe, [...stopped, door(DAY1 + 25 * MIN, true), door(DAY1 + 50 * MIN, false)], DAY1, DAY1 + HOUR);
    expect(fire.score).toBe(1);
    expect(fire.reason).toMatch(/opened .*, in a stop since .*, closed after 25 min \(maxOpenMs 3\.0 h\)/);
    expect(rips([...stopped, door(DAY1 + 25 * MIN, true), door(DAY1 + 50 * MIN, false)])).toHaveLength(1);
    const long = [...stopped, door(DAY1 + 25 * MIN, true), door(DAY1 + 25 * MIN + (maxOpenH + 0.5) * HOUR, false)];
    const under = probe(ripOnRipOffProbe, long, DAY1, DAY1 + HOUR);
    expect(under.score).toBeCloseTo(maxOpenH / (maxOpenH + 0.5), 2);
    expect(under.reason).toMatch(/closed after 3\.5 h \(maxOpenMs 3\.0 h\)/);
    expect(rips(long)).toHaveLength(0);
  });

  it('a sparse tracker: an opening before the stop was seen waits for the next fix, its close too; the fix shows where it was', () => {
    // fixes every 2 h with no speed: sailing, then standing at INLAND_FR from DAY1 on
    const fixes = [reading(DAY1 - 2 * HOUR, { kind: 'location', lat: INLAND_FR[0] + 0.3, lon: INLAND_FR[1] }), ...track(INLAND_FR, INLAND_FR, DAY1, 6 * 60, 120)];
    const quick = [...fixes, door(DAY1 + 30 * MIN, true), door(DAY1 + 55 * MIN, false)];
    const fire = probe(ripOnRipOffProbe, quick, DAY1, DAY1 + HOUR);
    expect(fire.score).toBe(1);
    expect(fire.reason).toMatch(/opened .*, the last fix \(10:00\) not part of a stop; the fix at 12:00 showed a stop since .* 10:00 .*\(began by the opening \+ fixMaxAgeMs 30 min\), closed after 25 min/);
    expect(rips(quick)).toHaveLength(1);
    // open longer than maxOpenMs: placed by the fix at 12:00, closed at 14:00 in the same stop
    const long = [...fixes, door(DAY1 + 30 * MIN, true), door(DAY1 + 30 * MIN + (maxOpenH + 0.5) * HOUR, false)];
    const under = probe(ripOnRipOffProbe, long, DAY1, DAY1 + HOUR);
    expect(under.score).toBeCloseTo(maxOpenH / (maxOpenH + 0.5), 2);
    expect(rips(long)).toHaveLength(0);
    // the next fix 30 km on: no stop, the opening was under way
    const sailing = [
      reading(DAY1 - 2 * HOUR, { kind: 'location', lat: INLAND_FR[0] + 0.6, lon: INLAND_FR[1] }),
      reading(DAY1, { kind: 'location', lat: INLAND_FR[0] + 0.3, lon: INLAND_FR[1] }),
      reading(DAY1 + 2 * HOUR, { kind: 'location', lat: INLAND_FR[0], lon: INLAND_FR[1] }),
      door(DAY1 + 30 * MIN, true),
      door(DAY1 + 55 * MIN, false),
    ];
    const moving = probe(ripOnRipOffProbe, sailing, DAY1, DAY1 + HOUR);
    expect(moving.score).toBeLessThan(0.2);
    expect(moving.reason).toMatch(/the fix at 12:00 not in a stop either \(\d+\.\d kn; a stop starts at 1\.5 kn\)/);
    expect(rips(sailing)).toHaveLength(0);
  });
});

describe('LIGHT_WITH_DOOR_CLOSED probe', () => {
  const closed = [reading(DAY1 - HOUR, { kind: 'door', open: false }), ...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16)];
  const cfg = testConfig().rules.lightWithDoorClosed;
  it('two readings over luxThreshold with the door closed score min(lux) / luxThreshold', () => {
    const r = probe(lightWithDoorClosedProbe, [...closed, reading(DAY1 + 10 * MIN, { kind: 'light', lux: 25 }), reading(DAY1 + 20 * MIN, { kind: 'light', lux: 30 })], DAY1, DAY1 + HOUR);
    expect(r.score).toBeCloseTo(25 / cfg.luxThreshold, 2);
    expect(r.reason).toMatch(/^25 lux at .* with the door closed, next 30 lux at .*luxThreshold 20 twice in a row, or strongLuxThreshold 200 once/);
  });
  it('a second reading just under the threshold scores just under 1; light with the door open is reported, not scored', () => {
    const r = probe(
      lightWithDoorClosedProbe,
      [...closed, reading(DAY1 + 10 * MIN, { kind: 'light', lux: 25 }), reading(DAY1 + 20 * MIN, { kind: 'light', lux: 19 }), reading(DAY1 + 30 * MIN, { kind: 'door', open: true }), reading(DAY1 + 40 * MIN, { kind: 'light', lux: 400 })],
      DAY1,
      DAY1 + HOUR,
    );
    expect(r.score).toBeCloseTo(19 / cfg.luxThreshold, 2);
    expect(r.reason).toMatch(/up to 400 lux with the door open/);
  });
  it('a device reporting light on change: one lit reading held confirmWithinMs until the dark one fires; held shorter scores held / confirmWithinMs', () => {
    const lights = (stepMin: number, darkAfterMin: number) => [
      reading(DAY1 - 8 * HOUR, { kind: 'door', open: false }),
      ...track(BISCAY, BISCAY_2, DAY1 - 6 * HOUR, 7 * 60, 60, 16),
      // dark readings on the device's timer, then lit at DAY1, then dark again
      ...Array.from({ length: Math.floor((6 * 60) / stepMin) }, (_, i) => reading(DAY1 - 6 * HOUR + i * stepMin * MIN, { kind: 'light', lux: 0 })),
      reading(DAY1, { kind: 'light', lux: 30 }),
      reading(DAY1 + darkAfterMin * MIN, { kind: 'light', lux: 0 }),
    ];
    const alerts = (rs: Reading[]) =>
      harness()
        .feed(rs)
        .filter((a) => a.rule === 'LIGHT_WITH_DOOR_CLOSED');
    const fire = probe(lightWithDoorClosedProbe, lights(120, 20), DAY1, DAY1 + HOUR);
    expect(fire.score).toBeCloseTo(20 / (cfg.confirmWithinMs / MIN), 2);
    expect(fire.reason).toMatch(/^30 lux at 10:00 with the door closed, next 0 lux at 10:20 .*; dark again 20 min later, reported on change \(within a quarter of its usual 2\.0 h\): lit that long \(confirmWithinMs 15 min\)/);
    expect(alerts(lights(120, 20))).toHaveLength(1);
    const under = probe(lightWithDoorClosedProbe, lights(120, 12), DAY1, DAY1 + HOUR);
    expect(under.score).toBeCloseTo(12 / (cfg.confirmWithinMs / MIN), 2);
    expect(alerts(lights(120, 12))).toHaveLength(0);
    // a device reading light every 15 min reports dark at its next tick: that says nothing of how long the light lasted
    const timed = probe(lightWithDoorClosedProbe, lights(15, 20), DAY1, DAY1 + HOUR);
    expect(timed.score).toBeCloseTo(30 / cfg.strongLuxThreshold, 2);
    expect(timed.reason).toMatch(/dark again 20 min later on its usual reporting \(15 min\): one lit reading is not confirmed/);
    expect(alerts(lights(15, 20))).toHaveLength(0);
  });
});

describe('temperature probes', () => {
  const reefer = plan({ reefer: { setpointC: 5, toleranceC: 2 } });
  const cfg = testConfig().rules.temperatureAnomaly;
  const sustainMin = cfg.sustainMs / MIN;
  const anomalies = (rs: Reading[], plans: TripPlan[] = [reefer]) =>
    harness(plans)
      .feed(rs)
      .filter((a) => a.rule === 'TEMPERATURE_ANOMALY');
  it('TEMPERATURE_EXCURSION: outside the band 50 min to the last reading outside scores it / sustainMs; 40 min just under; the reading back inside does not count', () => {
    const excursionMin = testConfig().rules.temperatureExcursion.sustainMs / MIN;
    const excursions = (rs: Reading[]) =>
      harness([reefer])
        .feed(rs)
        .filter((a) => a.rule === 'TEMPERATURE_EXCURSION');
    // in band, then readings every 5 min at 8.5 °C for `outMin`, back in band 10 min after the last
    const run = (outMin: number) => [...temps(DAY1, 60, 10, () => 5), ...temps(DAY1 + 70 * MIN, outMin, 5, () => 8.5), ...temps(DAY1 + (80 + outMin) * MIN, 60, 10, () => 5)];
    const fire = probe(temperatureExcursionProbe, run(50), DAY1, DAY1 + 3 * HOUR, { plans: [reefer] });
    expect(fire.score).toBeCloseTo(50 / excursionMin, 2);
    expect(fire.reason).toMatch(/^outside the band from .*, the last reading outside 50 min on, peak \+3\.5 °C \(setpoint 5 °C ±2; sustainMs 45 min\); back inside at 12:10, 60 min after the first/);
    expect(excursions(run(50))).toHaveLength(1);
    const under = probe(temperatureExcursionProbe, run(40), DAY1, DAY1 + 3 * HOUR, { plans: [reefer] });
    expect(under.score).toBeCloseTo(40 / excursionMin, 2);
    expect(excursions(run(40))).toHaveLength(0);
    // a sparse sensor: outside at 11:10 and 11:40, inside again at 12:40: 30 min as the rule counts it, not 90
    const sparse = [...temps(DAY1, 60, 30, () => 5), ...temps(DAY1 + 70 * MIN, 30, 30, () => 8.5), ...temps(DAY1 + 160 * MIN, 60, 30, () => 5)];
    const short = probe(temperatureExcursionProbe, sparse, DAY1, DAY1 + 3 * HOUR, { plans: [reefer] });
    expect(short.score).toBeCloseTo(30 / excursionMin, 2);
    expect(short.reason).toMatch(/back inside at 12:40, 90 min after the first \(the rule counts to its last reading outside\)/);
    expect(excursions(sparse)).toHaveLength(0);
    expect(probe(temperatureExcursionProbe, run(50), DAY1, DAY1 + 3 * HOUR).score).toBeNull(); // a dry box
  });

  // 26 h of baseline at 5.0 +/- 0.1 (sigma floored at minSigmaC 0.3: threshold max(5 x 0.3, 1.2) = 1.5), then a shift from DAY2 every 15 min
  const base = temps(DAY2 - 26 * HOUR, 26 * 60 - 30, 30, (i) => 5 + ((i % 3) - 1) / 10);
  const shifted = (minutes: number, c: (i: number) => number) => [...base, ...temps(DAY2, minutes, 15, c), ...temps(DAY2 + (minutes + 15) * MIN, 60, 15, () => 5)];

  it('TEMPERATURE_ANOMALY, reefer level: a shift over the robust threshold held sustainMs fires; held shorter scores its length / sustainMs; under the threshold, deviation / threshold', () => {
    const fire = probe(
      temperatureAnomalyProbe,
      shifted(sustainMin, () => 6.7),
      DAY2,
      DAY2 + 3 * HOUR,
      { plans: [reefer] },
    );
    expect(fire.score).toBeCloseTo(Math.min(1, (sustainMin / 15 + 1) / cfg.minReadings), 2);
    expect(fire.reason).toMatch(
      /level: shift from .* to 6\.7 °C, held 45 min, 4 readings \(sustainMs 45 min, minReadings 2\); reefer baseline 5\.0 °C, robust sigma 0\.30 from 52 readings over 2\d\.\d h \(setpoint 5 °C ±2\); threshold 1\.5 °C/,
    );
    expect(anomalies(shifted(sustainMin, () => 6.7))).toHaveLength(1);
    const short = probe(
      temperatureAnomalyProbe,
      shifted(30, () => 6.7),
      DAY2,
      DAY2 + 3 * HOUR,
      { plans: [reefer] },
    );
    expect(short.score).toBeCloseTo(30 / sustainMin, 2);
    expect(anomalies(shifted(30, () => 6.7))).toHaveLength(0);
    const under = probe(
      temperatureAnomalyProbe,
      shifted(sustainMin, () => 6.4),
      DAY2,
      DAY2 + 3 * HOUR,
      { plans: [reefer] },
    );
    expect(under.score).toBeCloseTo(1.4 / 1.5, 2);
    expect(under.reason).toMatch(/largest deviation \+1\.4 °C at .*, under the threshold/);
    expect(anomalies(shifted(sustainMin, () => 6.4))).toHaveLength(0);
  });

  it('TEMPERATURE_ANOMALY, reefer level: readings just outside the band are skipped, not an end', () => {
    // 6.9 and 7.3 in turn: 7.3 is 2.3 off a band of ±2, the excursion rule's, but the shift goes on through it
    const straddle = shifted(60, (i) => (i % 2 ? 7.3 : 6.9));
    const r = probe(temperatureAnomalyProbe, straddle, DAY2, DAY2 + 3 * HOUR, { plans: [reefer] });
    expect(r.score).toBeCloseTo(Math.min(60 / sustainMin, 3 / cfg.minReadings), 2);
    expect(r.reason).toMatch(/shift from .* to 6\.9 °C, held 60 min, 3 readings/);
    expect(anomalies(straddle)).toHaveLength(1);
  });

  it('TEMPERATURE_ANOMALY, dry box: beyond the range of its own last day by minDeltaDryC fires; less scores distance / minDeltaDryC', () => {
    // a day's cycle between 10 and 20 °C, every 30 min, then a hot spell from DAY2
    const cycle = temps(DAY2 - 26 * HOUR, 26 * 60 - 30, 30, (i) => Math.round((15 + 5 * Math.cos((2 * Math.PI * i) / 48)) * 10) / 10);
    const hot = (c: number) => [...cycle, ...temps(DAY2, 60, 15, () => c), ...temps(DAY2 + 75 * MIN, 60, 15, () => 15)];
    const fire = probe(temperatureAnomalyProbe, hot(20 + cfg.minDeltaDryC + 1), DAY2, DAY2 + 3 * HOUR);
    expect(fire.score).toBeCloseTo(Math.min(60 / sustainMin, 5 / cfg.minReadings), 2);
    expect(fire.reason).toMatch(/^shift from .* to 27\.0 °C, held 60 min, 5 readings .*; dry box range 10\.0 to 20\.0 °C from \d+ readings over 2\d\.\d h \(its own last day\); beyond it by minDeltaDryC 6 °C$/);
    expect(anomalies(hot(27), [plan()])).toHaveLength(1);
    const under = probe(temperatureAnomalyProbe, hot(20 + cfg.minDeltaDryC - 1), DAY2, DAY2 + 3 * HOUR);
    expect(under.score).toBeCloseTo((cfg.minDeltaDryC - 1) / cfg.minDeltaDryC, 2);
    expect(under.reason).toMatch(/^at most 5\.0 °C beyond its range at .*, under the threshold; dry box range 10\.0 to 20\.0 °C/);
    expect(anomalies(hot(25), [plan()])).toHaveLength(0);
  });

  it('TEMPERATURE_ANOMALY, dry box fresh off the yard: only a change at dryMaxRateCPerHour or faster counts', () => {
    // hourly readings at 15 °C from DAY1 (no day of history yet), then 22 °C reached `min` minutes after the last
    const jump = (min: number) => [...temps(DAY1, 5 * 60, 60, () => 15), ...temps(DAY1 + (5 * 60 + min) * MIN, 60, 60, () => 22)];
    const rate = (min: number) => 7 / (min / 60);
    const fire = probe(temperatureAnomalyProbe, jump(45), DAY1 + 5 * HOUR, DAY1 + 7 * HOUR);
    expect(fire.score).toBeCloseTo(Math.min(60 / sustainMin, 2 / cfg.minReadings), 2);
    expect(anomalies(jump(45), [plan()])).toHaveLength(1);
    const under = probe(temperatureAnomalyProbe, jump(60), DAY1 + 5 * HOUR, DAY1 + 7 * HOUR);
    expect(under.score).toBe(round2(Math.min(7 / cfg.minDeltaDryC, rate(60) / cfg.dryMaxRateCPerHour)));
    expect(under.reason).toMatch(/at most 7\.0 °C beyond its range, changing 7\.0 °C\/h at .*; fresh off the yard .*: only a change at dryMaxRateCPerHour 8 °C\/h or faster counts \(7\.0 °C\/h at .*\)$/);
    expect(anomalies(jump(60), [plan()])).toHaveLength(0);
  });

  it('TEMPERATURE_ANOMALY, erratic reefer: a median step over the threshold held past erraticSustainMs fires; held shorter scores held / erraticSustainMs', () => {
    // 26 h steady at 5.0 (usual step 0: threshold erraticMinSpreadC 1), then n + 1 readings 15 min apart swinging 5 + swing / 5 - swing, then steady again
    const swinging = (n: number, swing = 1) => [...temps(DAY2 - 26 * HOUR, 26 * 60 - 30, 30, () => 5), ...temps(DAY2, n * 15, 15, (i) => (i % 2 ? 5 - swing : 5 + swing)), ...temps(DAY2 + (n + 1) * 15 * MIN, 120, 15, () => 5)];
    // the episode starts at the first swing and holds until the window has fewer than 4 large steps of 7: four calm readings on
    const fire = probe(temperatureAnomalyProbe, swinging(6), DAY2, DAY2 + 5 * HOUR, { plans: [reefer] });
    expect(fire.score).toBeCloseTo(((6 + 4) * 15) / 120, 2);
    expect(fire.reason).toMatch(
      /^erratic: median step up to 2\.0 °C over 8 readings from .*, between 4\.0 and 6\.0 °C \(threshold 1\.0 °C = max\(erraticMinSpreadC 1, erraticFactor 4 x usual step 0\.00 °C\), or swinging to both sides of the setpoint\); held 2\.5 h \(erraticSustainMs 2\.0 h;.*; level: /,
    );
    expect(anomalies(swinging(6))).toHaveLength(1);
    const under = probe(temperatureAnomalyProbe, swinging(3), DAY2, DAY2 + 5 * HOUR, { plans: [reefer] });
    expect(under.score).toBe(round2(((3 + 4) * 15) / 120));
    expect(anomalies(swinging(3))).toHaveLength(0);
    // swings of 0.8 °C: the median step stays under the threshold, and no reading is a degree off the setpoint
    const small = probe(temperatureAnomalyProbe, swinging(12, 0.4), DAY2, DAY2 + 5 * HOUR, { plans: [reefer] });
    expect(small.score).toBeCloseTo(0.8, 2);
    expect(small.reason).toMatch(/erratic: largest median step 0\.8 °C over 8 readings to .*, under the threshold 1\.0 °C .*; 0 reading\(s\) 1 °C or more above the 5 °C setpoint and 0 below/);
    expect(anomalies(swinging(12, 0.4))).toHaveLength(0);
  });

  it('TEMPERATURE_ANOMALY, erratic reefer: swinging to both sides of the setpoint is erratic even when its steps are small', () => {
    // two readings 1.2 °C above, two 1.2 °C below, and so on: most steps are 0
    const pairs = (n: number) => [...temps(DAY2 - 26 * HOUR, 26 * 60 - 30, 30, () => 5), ...temps(DAY2, n * 15, 15, (i) => (Math.floor(i / 2) % 2 ? 3.8 : 6.2)), ...temps(DAY2 + (n + 1) * 15 * MIN, 180, 15, () => 5)];
    const fire = probe(temperatureAnomalyProbe, pairs(6), DAY2, DAY2 + 8 * HOUR, { plans: [reefer] });
    expect(fire.score).toBeGreaterThanOrEqual(1);
    expect(fire.reason).toMatch(/^erratic: median step up to \d\.\d °C .* or swinging to both sides of the setpoint\); held 2\.\d h/);
    expect(anomalies(pairs(6))).toHaveLength(1);
    const under = probe(temperatureAnomalyProbe, pairs(4), DAY2, DAY2 + 8 * HOUR, { plans: [reefer] });
    expect(under.score).toBeLessThan(1);
    expect(under.score).toBeGreaterThan(0.8);
    expect(anomalies(pairs(4))).toHaveLength(0);
  });
});

describe('position probes', () => {
  const gapCfg = testConfig().rules.locationGap;
  const gapAlerts = (rs: Reading[]) =>
    harness()
      .feed(rs)
      .filter((a) => a.rule === 'LOCATION_GAP');
  // another container's reading moves the engine's clock (a silence is believed once it passes the silence's limit plus the lateness)
  const clockAt = (ts: number) => reading(ts, { kind: 'temperature', celsius: 10 }, { containerId: 'TGHU0000001', tripId: null, deviceId: 'other-1' });

  it('LOCATION_GAP: no fix for 3.25 h while temperatures come scores gap / max(maxPositionGapMs, gnssDropoutMs + 2 x usual, 3 x usual); 2.5 h just under', () => {
    const gap = (h: number) => [...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16), ...temps(DAY1 + 75 * MIN, h * 60 - 30, 15, () => 12), ...track(BISCAY_2, BISCAY_2, DAY1 + 60 * MIN + h * HOUR, 30, 15, 16)];
    const fire = probe(locationGapProbe, gap(3.5), DAY1, DAY1 + 2 * HOUR);
    expect(fire.score).toBeCloseTo((3.5 * 60) / 180, 2);
    expect(fire.reason).toMatch(
      /^position gap 3\.5 h from .*, ended by the fix at 14:30 with \d+ other readings, none quiet for over half of it \(threshold 3\.0 h = max\(maxPositionGapMs 3\.0 h, gnssDropoutMs 2\.0 h \+ 2 x usual, intervalFactor 3 x usual; usual 15 min: the median of the last \d fix intervals, yard days too\)\)/,
    );
    expect(gapAlerts(gap(3.5))).toHaveLength(1);
    const under = probe(locationGapProbe, gap(2.75), DAY1, DAY1 + 2 * HOUR);
    expect(under.score).toBeCloseTo((2.75 * 60) / 180, 2);
    expect(gapAlerts(gap(2.75))).toHaveLength(0);
  });

  it('LOCATION_GAP: a tracker fixing hourly, learnt from its yard days, has a gap only past gnssDropoutMs + 2 intervals; a gap with a long quiet stretch in it is no gap', () => {
    // hourly fixes from 5 h before departure (T0), so most of its intervals are learnt before the trip
    const hourly = (h: number, quietMin = 0) => [
      ...track(BISCAY, BISCAY, T0 - 5 * HOUR, 6 * 60, 60, 0),
      ...temps(T0 + HOUR + (15 + quietMin) * MIN, h * 60 - 30 - quietMin, 15, () => 12),
      reading(T0 + HOUR + h * HOUR, { kind: 'location', lat: BISCAY[0], lon: BISCAY[1], speedKn: 0 }),
    ];
    const limitH = Math.max(gapCfg.maxPositionGapMs, gapCfg.gnssDropoutMs + 2 * HOUR, gapCfg.intervalFactor * HOUR) / HOUR;
    expect(limitH).toBe(4);
    const fire = probe(locationGapProbe, hourly(4.5), T0, T0 + 2 * HOUR);
    expect(fire.score).toBeCloseTo(4.5 / limitH, 2);
    expect(fire.reason).toMatch(/threshold 4\.0 h = max\(.*; usual 60 min: in a stop, the longer of the median interval 60 min and the stationary 60 min\)/);
    expect(gapAlerts(hourly(4.5))).toHaveLength(1);
    const under = probe(locationGapProbe, hourly(3.5), T0, T0 + 2 * HOUR);
    expect(under.score).toBe(round2(3.5 / limitH));
    expect(gapAlerts(hourly(3.5))).toHaveLength(0);
    // the rest quiet for 2.5 h of the 4.5: the device did not report through the gap
    const quiet = probe(locationGapProbe, hourly(4.5, 150), T0, T0 + 2 * HOUR);
    expect(quiet.reason).toMatch(/^no position gap the rest reported through/);
    expect(gapAlerts(hourly(4.5, 150))).toHaveLength(0);
  });

  it('LOCATION_GAP: a silence under maxSilenceMs is never judged; past it, one ending where the voyage would take it, door as it was, is a coverage hole', () => {
    // the container sails on at 16 kn through the silence and resumes where that took it, with 2 h of history
    const sail = (h: number) => [...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16), ...track(BISCAY_2, BISCAY_2, DAY1 + 60 * MIN + h * HOUR, 30, 15, 16)];
    const short = probe(locationGapProbe, sail(3.5), DAY1, DAY1 + 2 * HOUR);
    expect(short.score).toBe(round2(3.5 / (gapCfg.maxSilenceMs / HOUR)));
    expect(short.reason).toMatch(/silence 3\.5 h from .* \(maxSilenceMs 4\.0 h: shorter is never judged\)/);
    const hole = probe(locationGapProbe, sail(4.5), DAY1, DAY1 + 2 * HOUR);
    expect(hole.score).toBeLessThan(0.5);
    expect(hole.reason).toMatch(/the longest silence judged: silence 4\.5 h from .*: the door as it was; woke 0\.0 km from the last fix, 0\.0 kn .*; where it fell asleep \(within stationary\.radiusKm 2\): a sleeping tracker/);
    expect(gapAlerts(sail(4.5))).toHaveLength(0);
  });

  it('LOCATION_GAP: a silence ending with the door changed fires; one resuming farther than it could have sailed scores the implied speed / maxTravelKn', () => {
    const closedThen = [reading(DAY1 - HOUR, { kind: 'door', open: false }), ...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16)];
    const opened = [...closedThen, reading(DAY1 + 60 * MIN + 4.5 * HOUR, { kind: 'door', open: true }), ...track(BISCAY_2, BISCAY_2, DAY1 + 65 * MIN + 4.5 * HOUR, 30, 15, 0)];
    const door = probe(locationGapProbe, opened, DAY1, DAY1 + 2 * HOUR);
    expect(door.score).toBe(1);
    expect(door.reason).toMatch(/silence 4\.5 h from .*: it resumed with the door open \(it was closed\)/);
    expect(gapAlerts(opened).map((a) => a.severity)).toEqual(['high']);
    // resuming `km` south of the last fix after 4.5 h
    const away = (km: number) => [...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16), ...track([BISCAY_2[0] - km / 111.2, BISCAY_2[1]], [BISCAY_2[0] - km / 111.2, BISCAY_2[1]], DAY1 + 60 * MIN + 4.5 * HOUR, 30, 15, 16)];
    const implied = (km: number) => knots(kmBetween({ lat: BISCAY_2[0], lon: BISCAY_2[1] }, { lat: BISCAY_2[0] - km / 111.2, lon: BISCAY_2[1] }), 4.5 * HOUR);
    const couldSail = Math.max(gapCfg.maxTravelKn, 1.5 * 16);
    const far = probe(locationGapProbe, away(400), DAY1, DAY1 + 2 * HOUR);
    expect(far.score).toBeCloseTo(implied(400) / couldSail, 2);
    expect(far.score).toBeGreaterThan(1);
    expect(far.reason).toMatch(/woke 400 km from the last fix, 4\d\.\d kn \(farther than it could sail from max\(maxTravelKn 40, 1\.5 x 16\.0 kn before\) = 40\.0 kn\)/);
    expect(gapAlerts(away(400))).toHaveLength(1);
    const near = probe(locationGapProbe, away(300), DAY1, DAY1 + 2 * HOUR);
    expect(near.score).toBeCloseTo(implied(300) / couldSail, 2);
    expect(near.score).toBeLessThan(1);
    expect(gapAlerts(away(300))).toHaveLength(0);
  });

  it('LOCATION_GAP: a device with profileMinHistoryMs of history that never went quiet for a third as long fires; with less history it scores history / profileMinHistoryMs', () => {
    // fixes every 15 min for `hours` of history, then 4.5 h of silence, resuming 60 km on
    const profiled = (hours: number) => [...track(BISCAY, BISCAY_2, DAY1, hours * 60, 15, 16), ...track([BISCAY_2[0] - 0.54, BISCAY_2[1]], [BISCAY_2[0] - 0.6, BISCAY_2[1]], DAY1 + hours * HOUR + 4.5 * HOUR, 30, 15, 16)];
    const from = DAY1 + 13 * HOUR;
    const fire = probe(locationGapProbe, profiled(14), from, from + 2 * HOUR);
    expect(fire.score).toBeCloseTo(14 / (gapCfg.profileMinHistoryMs / HOUR), 2);
    expect(fire.reason).toMatch(/its longest quiet before 15 min \(raised past intervalFactor 3 x that\) in 14\.0 h of reporting \(profileMinHistoryMs 12\.0 h\)/);
    expect(gapAlerts(profiled(14))).toHaveLength(1);
    const young = probe(locationGapProbe, profiled(10), DAY1 + 9 * HOUR, DAY1 + 11 * HOUR);
    expect(young.score).toBeCloseTo(10 / (gapCfg.profileMinHistoryMs / HOUR), 2);
    expect(gapAlerts(profiled(10))).toHaveLength(0);
  });

  it('LOCATION_GAP: a silence that never ends is believed past maxUnresumedSilenceMs under way (maxStationarySilenceMs standing) plus the lateness, never near a port', () => {
    const lateness = testConfig().engine.allowedLatenessMs;
    // under way at sea, then nothing from the container while the clock runs on
    const underWay = (h: number) => [...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16), clockAt(DAY1 + HOUR + h * HOUR + lateness)];
    const limitH = gapCfg.maxUnresumedSilenceMs / HOUR;
    const fire = probe(locationGapProbe, underWay(limitH + 1), DAY1, DAY1 + 2 * HOUR);
    expect(fire.score).toBeCloseTo((limitH + 1) / limitH, 2);
    expect(fire.reason).toMatch(/no reading after .* for the rest of the input: 13\.0 h of it believed .* against the timer's 12\.0 h = max\(maxUnresumedSilenceMs 12\.0 h, intervalFactor 3 x longest quiet 15 min\)/);
    expect(gapAlerts(underWay(limitH + 1))).toHaveLength(1);
    const under = probe(locationGapProbe, underWay(limitH - 1), DAY1, DAY1 + 2 * HOUR);
    expect(under.score).toBeCloseTo((limitH - 1) / limitH, 2);
    expect(gapAlerts(underWay(limitH - 1))).toHaveLength(0);
    // standing in a stop: 24 h
    const standing = (h: number) => [...track(BISCAY, BISCAY, DAY1, 120, 15, 0), clockAt(DAY1 + 2 * HOUR + h * HOUR + lateness)];
    const standH = gapCfg.maxStationarySilenceMs / HOUR;
    expect(probe(locationGapProbe, standing(standH + 1), DAY1, DAY1 + 3 * HOUR).score).toBeCloseTo((standH + 1) / standH, 2);
    expect(gapAlerts(standing(standH + 1)).map((a) => a.severity)).toEqual(['medium']);
    expect(probe(locationGapProbe, standing(standH - 1), DAY1, DAY1 + 3 * HOUR).score).toBeCloseTo((standH - 1) / standH, 2);
    expect(gapAlerts(standing(standH - 1))).toHaveLength(0);
    // off Rotterdam, within nearPortKm: trackers go quiet in stacks and holds
    const port = [...track(OFF_ROTTERDAM, OFF_ROTTERDAM, DAY1, 120, 15, 0), clockAt(DAY1 + 2 * HOUR + (standH + 1) * HOUR + lateness)];
    const nearPort = probe(locationGapProbe, port, DAY1, DAY1 + 3 * HOUR);
    expect(nearPort.reason).toMatch(/never raised near a port: last fix \d+ km from Rotterdam/);
    expect(gapAlerts(port)).toHaveLength(0);
  });

  it('LOCATION_JUMP: the jump closest to both limits; 50 km in 10 min fires, 20 km in 10 min is under maxSpeedKn', () => {
    const jump = (km: number) => [...track(BISCAY, BISCAY, DAY1, 30, 10, 0), reading(DAY1 + 40 * MIN, { kind: 'location', lat: BISCAY[0] + km / 111.2, lon: BISCAY[1], speedKn: 0 })];
    const implied = (km: number) => {
      const [a, b] = [
        { lat: BISCAY[0], lon: BISCAY[1] },
        { lat: BISCAY[0] + km / 111.2, lon: BISCAY[1] },
      ];
      return { km: kmBetween(a, b), kn: knots(kmBetween(a, b), 10 * MIN) };
    };
    const fire = probe(locationJumpProbe, jump(50), DAY1, DAY1 + HOUR);
    expect(fire.score).toBeCloseTo(Math.min(implied(50).km / 5, implied(50).kn / 80), 2);
    expect(fire.score).toBeGreaterThan(1);
    expect(fire.reason).toMatch(/^largest jump 50 km in 10 min at .*, implied 16\d\.\d kn, .*\(limits: over 80 kn and at least 5 km\)/);
    const under = probe(locationJumpProbe, jump(20), DAY1, DAY1 + HOUR);
    expect(under.score).toBeCloseTo(implied(20).kn / 80, 2);
    expect(under.score).toBeLessThan(1);
  });

  it('ROUTE_DEVIATION: 120 km off the route for 2.5 h scores time / sustainMs; 90 km off scores distance / maxDistanceKm', () => {
    // a route along a meridian (a great circle), sailed parallel to it `km` to the east
    const routed = plan({
      route: [
        [-20, 40],
        [-20, 50],
      ],
    });
    const east = (km: number) => -20 + km / (111.2 * Math.cos((45 * Math.PI) / 180));
    const off = (km: number) => track([44.5, east(km)], [45.5, east(km)], DAY1, 150, 10, 14);
    const fire = probe(routeDeviationProbe, off(120), DAY1 - 5 * MIN, DAY1 + 5 * MIN, { plans: [routed] });
    expect(fire.score).toBeCloseTo(2.5 / 2, 2);
    expect(fire.reason).toMatch(/^beyond 100 km from the planned route from .* for 2\.5 h, up to 12\d km \(sustainMs 2\.0 h; back within 70 km ends it\)/);
    const under = probe(routeDeviationProbe, off(90), DAY1, DAY1 + 3 * HOUR, { plans: [routed] });
    expect(under.score).toBeGreaterThan(0.88);
    expect(under.score).toBeLessThan(0.92);
    expect(under.reason).toMatch(/^at most 9\d km from the planned route/);
  });

  it('DEVICE_CONTAINER_MISMATCH: 1 when another device claims the container in the window, else 0', () => {
    const { trace: t, config } = trace(track(BISCAY, BISCAY_2, DAY1, 30, 10, 16));
    const input: ProbeInput = { trace: t, from: DAY1, to: DAY1 + HOUR, rules: config.rules, engine: config.engine, ports: defaultPorts() };
    expect(deviceContainerMismatchProbe.run(input).score).toBe(0);
    t.mismatches.push({
      eventId: 'json-v1:rogue-1:1',
      deviceId: 'rogue-1',
      claimedContainerId: 'MSCU1234566',
      measuredAt: new Date(DAY1 + 5 * MIN).toISOString(),
      location: null,
      devicePlan: null,
      containerPlan: { tripId: 'T-2026-000123', deviceId: 'acme-00042' },
    });
    const r = deviceContainerMismatchProbe.run(input);
    expect(r.score).toBe(1);
    expect(r.reason).toMatch(/1 reading\(s\) from device rogue-1/);
  });
});

describe('ranking', () => {
  it('runProbes puts the closest rule first and rules that do not apply last', () => {
    const { trace: t, config } = trace([...track(BISCAY, BISCAY_2, DAY1, 60, 5, 16), reading(DAY1 + 32 * MIN, { kind: 'door', open: true })]);
    const ranked = runProbes({ trace: t, from: DAY1 + 30 * MIN, to: DAY1 + 35 * MIN, rules: config.rules, engine: config.engine, ports: defaultPorts() });
    expect(ranked[0]!.rule).toBe('DOOR_OPEN_IN_TRANSIT');
    expect(ranked[ranked.length - 1]).toMatchObject({ rule: 'TEMPERATURE_EXCURSION', score: null });
    const scores = ranked.map((r) => r.score ?? -1);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('a score just under 1 is never rounded up to 1 (it would not fire); scores are hundredths, capped at 99', () => {
    expect(result('LOCATION_JUMP', 0.998, '').score).toBe(0.99);
    expect(result('LOCATION_JUMP', 1.004, '').score).toBe(1);
    expect(result('LOCATION_JUMP', 0.456, '').score).toBe(0.46);
    expect(result('LOCATION_JUMP', Infinity, '').score).toBe(99);
    expect(result('LOCATION_JUMP', null, '').score).toBeNull();
  });

  it('probes read their thresholds from the configuration', () => {
    const readings = [...track([BISCAY[0] + 0.3, BISCAY[1]], BISCAY, DAY1 - HOUR, 60, 15, 12), ...track(BISCAY, BISCAY, DAY1 + 15 * MIN, 3.5 * 60 - 15, 15, 0)];
    const r = probe(unscheduledStopProbe, readings, DAY1, DAY1 + 4 * HOUR, { sets: ['rules.unscheduledStop.minStopMs=25200000'] });
    expect(r.score).toBeCloseTo(3.5 / 7, 2);
    expect(r.reason).toMatch(/minStopMs 7\.0 h/);
  });
});
