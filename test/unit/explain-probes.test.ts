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
import type { Probe, ProbeInput } from '../../src/evaluate/explain/probe.js';
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
    expect(harness().feed([...track(BISCAY, BISCAY_2, DAY1, 60, 5, 16), reading(DAY1 + 32 * MIN, { kind: 'door', open: true })]).map((a) => a.rule)).toEqual(['DOOR_OPEN_IN_TRANSIT']);
  });
});

describe('UNSCHEDULED_STOP probe', () => {
  // sailed in from the north (or the south), then a stop of `hours` with a fix every `stepMin`
  const stop = (at: [number, number], hours: number, o: { fromSouth?: boolean; stepMin?: number } = {}) => [
    ...track([at[0] + (o.fromSouth ? -0.3 : 0.3), at[1]], at, DAY1 - HOUR, 60, 15, 12),
    ...track(at, at, DAY1 + 15 * MIN, hours * 60, o.stepMin ?? 15, 0),
  ];
  const raised = (readings: Reading[]) => harness().feed(readings).filter((a) => a.rule === 'UNSCHEDULED_STOP');

  it('a 3.5 h stop at sea scores dwell / minStopMs, outside every zone; 2.75 h scores just under 1', () => {
    const r = probe(unscheduledStopProbe, stop(BISCAY, 3.5), DAY1, DAY1 + 4 * HOUR);
    expect(r.score).toBeCloseTo(3.5 / 3, 2);
    expect(r.reason).toMatch(/^stop 3\.5 h from .* \(minStopMs 3\.0 h\); outside every zone and excuse, \d+ km off .* \(zoneApproachKm 10\), nearest port /);
    const under = probe(unscheduledStopProbe, stop(BISCAY, 2.75), DAY1, DAY1 + 4 * HOUR);
    expect(under.score).toBeCloseTo(2.75 / 3, 2);
    expect(under.score).toBeLessThan(1);
  });

  it('a stop that began before the window is named, not scored (its alert would start outside the window)', () => {
    const r = probe(unscheduledStopProbe, stop(BISCAY, 5), DAY1 + 2 * HOUR, DAY1 + 3 * HOUR);
    expect(r.score).toBe(0);
    expect(r.reason).toMatch(/^no stop starts in the window .*; a stop from .*, before the window, lasted 5\.0 h/);
  });

  it('waiting just off an authorised zone scores its distance / zoneApproachKm; a little farther fires', () => {
    const santos = defaultPorts().get('BRSSZ')!;
    const zoneKm = (p: [number, number]) => kmBetween(santos, { lat: p[0], lon: p[1] }) - testConfig().trips.defaultZoneRadiusKm;
    const near: [number, number] = [-24.15, -46.33];
    const far: [number, number] = [-24.2, -46.2];
    expect(zoneKm(near)).toBeLessThan(10);
    expect(zoneKm(far)).toBeGreaterThan(10);
    const waiting = probe(unscheduledStopProbe, stop(near, 4, { fromSouth: true }), DAY1, DAY1 + 5 * HOUR);
    expect(waiting.score).toBeCloseTo(zoneKm(near) / 10, 2);
    expect(waiting.reason).toMatch(/excused: \d\.\d km off Santos \(BRSSZ\), waiting to enter \(within zoneApproachKm 10 of an authorised zone/);
    expect(raised(stop(near, 4, { fromSouth: true }))).toHaveLength(0);
    const fire = probe(unscheduledStopProbe, stop(far, 4, { fromSouth: true }), DAY1, DAY1 + 5 * HOUR);
    expect(fire.score).toBeCloseTo(4 / 3, 2);
    expect(fire.reason).toMatch(/outside every zone and excuse, 1\d km off Santos \(BRSSZ\)/);
    expect(raised(stop(far, 4, { fromSouth: true }))).toHaveLength(1);
  });

  it('a waiting area of the plan excuses a stop for waitingAreaMaxWaitMs (dwell / that), and not once the door is opened', () => {
    const wait = (hours: number) => stop(OFF_ROTTERDAM, hours, { stepMin: 30 });
    const excused = probe(unscheduledStopProbe, wait(4), DAY1, DAY1 + 5 * HOUR);
    expect(excused.score).toBeCloseTo(4 / 72, 2);
    expect(excused.reason).toMatch(/excused: Maas anchorages \(Rotterdam approaches\) \(a waiting area of this plan\), for up to 3\.0 days \(waitingAreaMaxWaitMs\)/);
    // a wait longer than waits there take fires, one just shorter does not
    const long = probe(unscheduledStopProbe, wait(74), DAY1, DAY1 + 75 * HOUR);
    expect(long.score).toBeCloseTo(74 / 72, 2);
    expect(raised(wait(74))).toHaveLength(1);
    const under = probe(unscheduledStopProbe, wait(70), DAY1, DAY1 + 75 * HOUR);
    expect(under.score).toBeCloseTo(70 / 72, 2);
    expect(raised(wait(70))).toHaveLength(0);
    // nobody opens a box while queueing
    const opened = [...wait(4), reading(DAY1 + 2 * HOUR, { kind: 'door', open: true }), reading(DAY1 + 2 * HOUR + 10 * MIN, { kind: 'door', open: false })];
    const lost = probe(unscheduledStopProbe, opened, DAY1, DAY1 + 5 * HOUR);
    expect(lost.score).toBeCloseTo(4 / 3, 2);
    expect(lost.reason).toMatch(/Maas anchorages .*; the door was opened .* during the stop, which takes the excuse away/);
    expect(raised(opened)).toHaveLength(1);
  });

  it('one fix out of a stop is tolerated; two in a row end it, and the reason says what ended it', () => {
    const fixes = stop(BISCAY, 4);
    const at = (h: number) => fixes.findIndex((f) => f.ts === DAY1 + h * HOUR);
    const out = (i: number, dLat: number) => (fixes[i] = reading(fixes[i]!.ts, { kind: 'location', lat: BISCAY[0] + dLat, lon: BISCAY[1], speedKn: 0, hdop: 9 }));
    out(at(2), 0.027); // multipath: 3 km off at hdop 9, once
    const tolerated = probe(unscheduledStopProbe, fixes, DAY1, DAY1 + 5 * HOUR);
    expect(tolerated.score).toBeCloseTo(4 / 3, 2);
    expect(tolerated.reason).toMatch(/^stop 4\.0 h from .*, 1 fix out of it tolerated/);
    out(at(2) + 1, -0.027); // and the next fix 3 km off the other way
    const split = probe(unscheduledStopProbe, fixes, DAY1, DAY1 + 5 * HOUR);
    expect(split.score).toBeLessThan(1);
    expect(split.reason).toMatch(/stops in the window ended by: .* fix 3\.0 km from the stop's first fix \(> radiusKm 2 \+ position error = 2\.2 km, hdop 9\), and the next fix too/);
  });
});

describe('door-opening probes', () => {
  const SEINE: [number, number] = [49.62, -0.05]; // over water, a little beyond atSeaMinPortDistanceKm of Le Havre
  const raised = (readings: Reading[]) => harness().feed(readings).map((a) => a.rule);
  const opened = (fixes: Reading[], at: number) => [...fixes, reading(at, { kind: 'door', open: true })];

  it('DOOR_OPEN_IN_TRANSIT: opened sailing scores 1; opened at 2.5 kn inland scores speed / movingSpeedKn', () => {
    const fire = probe(doorOpenInTransitProbe, opened(track(BISCAY, BISCAY_2, DAY1, 60, 5, 16), DAY1 + 32 * MIN), DAY1, DAY1 + HOUR);
    expect(fire.score).toBe(1);
    expect(fire.reason).toMatch(/placed transit, speed 16\.0 kn \(moving from 3 kn\), at sea/);
    const under = probe(doorOpenInTransitProbe, opened(track(INLAND_FR, [47.31, 2.0], DAY1, 60, 10, 2.5), DAY1 + 25 * MIN), DAY1, DAY1 + HOUR);
    expect(under.score).toBeCloseTo(2.5 / 3, 2);
    expect(under.reason).toMatch(/placed stationary, speed 2\.5 kn .*on land/);
  });

  it('DOOR_OPEN_IN_TRANSIT: at sea with no speed and no stop is transit (1); at anchor at sea, part of a stop, it is not (0)', () => {
    const lone = opened([reading(DAY1, { kind: 'location', lat: SEINE[0], lon: SEINE[1] })], DAY1 + 5 * MIN);
    const fire = probe(doorOpenInTransitProbe, lone, DAY1, DAY1 + HOUR);
    expect(fire.score).toBe(1);
    expect(fire.reason).toMatch(/placed transit, no speed and not in a stop: at sea, taken to be under way, at sea: nearest port /);
    expect(raised(lone)).toEqual(['DOOR_OPEN_IN_TRANSIT']);
    const anchored = opened(track(SEINE, SEINE, DAY1, 60, 10, 0), DAY1 + 25 * MIN);
    const under = probe(doorOpenInTransitProbe, anchored, DAY1, DAY1 + HOUR);
    expect(under.score).toBe(0);
    expect(under.reason).toMatch(/placed stationary, the fix part of a stop since .*: stationary whatever the speed \(speed 0\.0 kn\), at sea/);
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

  it('DOOR_OPEN_UNAUTHORISED_LOCATION: drifting at 3.5 kn scores movingSpeedKn / speed; at sea with no speed, atSeaMinPortDistanceKm / port km', () => {
    const cfg = testConfig().rules.doorOpen;
    const drift = probe(doorOpenUnauthorisedLocationProbe, opened(track(BISCAY, [BISCAY[0] + 0.05, BISCAY[1]], DAY1, 60, 10, 3.5), DAY1 + 25 * MIN), DAY1, DAY1 + HOUR);
    expect(drift.score).toBeCloseTo(3 / 3.5, 2);
    expect(drift.reason).toMatch(/placed transit, speed 3\.5 kn \(moving from 3 kn\)/);
    const port = defaultPorts().nearest(SEINE[0], SEINE[1])!;
    expect(port.distanceKm).toBeGreaterThan(cfg.atSeaMinPortDistanceKm);
    const lone = probe(doorOpenUnauthorisedLocationProbe, opened([reading(DAY1, { kind: 'location', lat: SEINE[0], lon: SEINE[1] })], DAY1 + 5 * MIN), DAY1, DAY1 + HOUR);
    expect(lone.score).toBeCloseTo(cfg.atSeaMinPortDistanceKm / port.distanceKm, 2);
    expect(lone.score).toBeGreaterThan(0.5);
  });

  it('RIP_ON_RIP_OFF: open 25 min during a stop scores 1; open 3.5 h scores maxOpenMs / time open', () => {
    const stopped = track(INLAND_FR, INLAND_FR, DAY1, 5 * 60, 10, 0);
    const fire = probe(ripOnRipOffProbe, [...stopped, reading(DAY1 + 25 * MIN, { kind: 'door', open: true }), reading(DAY1 + 50 * MIN, { kind: 'door', open: false })], DAY1, DAY1 + HOUR);
    expect(fire.score).toBe(1);
    expect(fire.reason).toMatch(/opened .*, in a stop since .*, closed after 25 min \(maxOpenMs 3\.0 h\)/);
    const under = probe(ripOnRipOffProbe, [...stopped, reading(DAY1 + 25 * MIN, { kind: 'door', open: true }), reading(DAY1 + 25 * MIN + 3.5 * HOUR, { kind: 'door', open: false })], DAY1, DAY1 + HOUR);
    expect(under.score).toBeCloseTo(3 / 3.5, 2);
    expect(under.reason).toMatch(/closed after 3\.5 h \(maxOpenMs 3\.0 h\)/);
  });
});

describe('LIGHT_WITH_DOOR_CLOSED probe', () => {
  const closed = [reading(DAY1 - HOUR, { kind: 'door', open: false }), ...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16)];
  it('two readings over luxThreshold with the door closed score min(lux) / luxThreshold', () => {
    const r = probe(lightWithDoorClosedProbe, [...closed, reading(DAY1 + 10 * MIN, { kind: 'light', lux: 25 }), reading(DAY1 + 20 * MIN, { kind: 'light', lux: 30 })], DAY1, DAY1 + HOUR);
    expect(r.score).toBeCloseTo(25 / 20, 2);
    expect(r.reason).toMatch(/^25 lux at .* with the door closed, next 30 lux at .*luxThreshold 20 twice in a row, or strongLuxThreshold 200 once/);
  });
  it('a second reading just under the threshold scores just under 1; light with the door open is reported, not scored', () => {
    const r = probe(lightWithDoorClosedProbe, [...closed, reading(DAY1 + 10 * MIN, { kind: 'light', lux: 25 }), reading(DAY1 + 20 * MIN, { kind: 'light', lux: 19 }), reading(DAY1 + 30 * MIN, { kind: 'door', open: true }), reading(DAY1 + 40 * MIN, { kind: 'light', lux: 400 })], DAY1, DAY1 + HOUR);
    expect(r.score).toBeCloseTo(19 / 20, 2);
    expect(r.reason).toMatch(/up to 400 lux with the door open/);
  });
});

describe('temperature probes', () => {
  const reefer = plan({ reefer: { setpointC: 5, toleranceC: 2 } });
  it('TEMPERATURE_EXCURSION: 50 min outside the band scores run / sustainMs; 40 min just under', () => {
    const run = (outMin: number) => [...temps(DAY1, 60, 10, () => 5), ...temps(DAY1 + 70 * MIN, outMin - 10, 10, () => 8.5), ...temps(DAY1 + (70 + outMin) * MIN, 60, 10, () => 5)];
    const fire = probe(temperatureExcursionProbe, run(50), DAY1, DAY1 + 3 * HOUR, { plans: [reefer] });
    expect(fire.score).toBeCloseTo(50 / 45, 2);
    expect(fire.reason).toMatch(/^outside the band from .* for 50 min, peak \+3\.5 °C \(setpoint 5 °C ±2; sustainMs 45 min\)/);
    const under = probe(temperatureExcursionProbe, run(40), DAY1, DAY1 + 3 * HOUR, { plans: [reefer] });
    expect(under.score).toBeCloseTo(40 / 45, 2);
    expect(probe(temperatureExcursionProbe, run(50), DAY1, DAY1 + 3 * HOUR).score).toBeNull(); // a dry box
  });

  it('TEMPERATURE_ANOMALY: a shift over the robust threshold for 75 min scores; one just under the threshold scores deviation / threshold', () => {
    // 26 h of baseline at 5.0 +/- 0.1 (sigma floored at minSigmaC 0.3: threshold max(5 x 0.3, 1.2) = 1.5)
    const base = temps(DAY2 - 26 * HOUR, 26 * 60 - 30, 30, (i) => 5 + ((i % 3) - 1) / 10);
    const shifted = (c: number) => [...base, ...temps(DAY2, 75, 15, () => c), ...temps(DAY2 + 90 * MIN, 60, 15, () => 5)];
    const fire = probe(temperatureAnomalyProbe, shifted(6.7), DAY2, DAY2 + 3 * HOUR, { plans: [reefer] });
    expect(fire.score).toBeCloseTo(Math.min(75 / 60, 6 / 3), 2);
    expect(fire.reason).toMatch(/largest deviation \+1\.7 °C .*longest run from .*: 75 min, 6 readings \(sustainMs 60 min, minReadings 3\); reefer baseline 5\.0 °C, robust sigma 0\.30 from 52 readings over 26\.0 h before the window; threshold 1\.5 °C/);
    const under = probe(temperatureAnomalyProbe, shifted(6.4), DAY2, DAY2 + 3 * HOUR, { plans: [reefer] });
    expect(under.score).toBeCloseTo(1.4 / 1.5, 2);
    expect(under.reason).toMatch(/largest deviation \+1\.4 °C at .*, under the threshold/);
  });

  it('TEMPERATURE_ANOMALY, erratic reefer: a median step over the threshold held past erraticSustainMs fires; held shorter scores held / erraticSustainMs', () => {
    // 26 h steady at 5.0 (usual step 0: threshold erraticMinSpreadC 1), then n + 1 readings 15 min apart swinging 6.0 / 4.0, then steady again
    const swinging = (n: number, swing = 1) => [...temps(DAY2 - 26 * HOUR, 26 * 60 - 30, 30, () => 5), ...temps(DAY2, n * 15, 15, (i) => (i % 2 ? 5 - swing : 5 + swing)), ...temps(DAY2 + (n + 1) * 15 * MIN, 120, 15, () => 5)];
    const anomalies = (rs: Reading[]) => harness([reefer]).feed(rs).filter((a) => a.rule === 'TEMPERATURE_ANOMALY');
    // the episode starts at the first swing and holds until the window has fewer than 4 large steps of 7: four calm readings on
    const fire = probe(temperatureAnomalyProbe, swinging(6), DAY2, DAY2 + 5 * HOUR, { plans: [reefer] });
    expect(fire.score).toBeCloseTo((6 + 4) * 15 / 120, 2);
    expect(fire.reason).toMatch(/^erratic: median step up to 2\.0 °C over 8 readings from .*, between 4\.0 and 6\.0 °C \(threshold 1\.0 °C = max\(erraticMinSpreadC 1, erraticFactor 4 x usual step 0\.00 °C\)\); held 2\.5 h \(erraticSustainMs 2\.0 h;.*; level: largest deviation/);
    expect(anomalies(swinging(6))).toHaveLength(1);
    const under = probe(temperatureAnomalyProbe, swinging(3), DAY2, DAY2 + 5 * HOUR, { plans: [reefer] });
    expect(under.score).toBe(round2(((3 + 4) * 15) / 120));
    expect(anomalies(swinging(3))).toHaveLength(0);
    // swings of 0.8 °C: the median step stays under the threshold
    const small = probe(temperatureAnomalyProbe, swinging(12, 0.4), DAY2, DAY2 + 5 * HOUR, { plans: [reefer] });
    expect(small.score).toBeCloseTo(0.8, 2);
    expect(small.reason).toMatch(/erratic: largest median step 0\.8 °C over 8 readings to .*, under the threshold 1\.0 °C/);
    expect(anomalies(swinging(12, 0.4))).toHaveLength(0);
  });
});

describe('position probes', () => {
  it('LOCATION_GAP: no fix for 3.25 h while temperatures come scores gap / max(maxPositionGapMs, 3 x usual interval); 2.5 h just under', () => {
    const gap = (h: number) => [...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16), ...temps(DAY1 + 75 * MIN, h * 60 - 30, 15, () => 12), ...track(BISCAY_2, BISCAY_2, DAY1 + 60 * MIN + h * HOUR, 30, 15, 16)];
    const fire = probe(locationGapProbe, gap(3.5), DAY1, DAY1 + 2 * HOUR);
    expect(fire.score).toBeCloseTo((3.5 * 60 - 15) / 180, 2);
    expect(fire.reason).toMatch(/^position gap 3\.3 h from .* with \d+ other readings \(threshold 3\.0 h = max\(maxPositionGapMs 3\.0 h, intervalFactor 3 x median interval 15 min\)\)/);
    expect(harness().feed(gap(3.5)).filter((a) => a.rule === 'LOCATION_GAP')).toHaveLength(1);
    const under = probe(locationGapProbe, gap(2.75), DAY1, DAY1 + 2 * HOUR);
    expect(under.score).toBeCloseTo((2.75 * 60 - 15) / 180, 2);
    expect(harness().feed(gap(2.75)).filter((a) => a.rule === 'LOCATION_GAP')).toHaveLength(0);
  });

  it('LOCATION_GAP: a silence of every reading under way scores gap / maxSilenceMs', () => {
    const silence = (h: number) => [...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16), ...track(BISCAY_2, BISCAY_2, DAY1 + 60 * MIN + h * HOUR, 30, 15, 16)];
    const fire = probe(locationGapProbe, silence(4.5), DAY1, DAY1 + 2 * HOUR);
    expect(fire.score).toBeCloseTo(4.5 / 4, 2);
    expect(fire.reason).toMatch(/silence 4\.5 h from .* \(maxSilenceMs 4\.0 h\)/);
    expect(probe(locationGapProbe, silence(3.5), DAY1, DAY1 + 2 * HOUR).score).toBe(round2(3.5 / 4));
  });

  it('LOCATION_GAP: standing in a stop, a tracker asleep is judged against maxStationarySilenceMs, unless it wakes elsewhere', () => {
    const gapAlerts = (rs: Reading[]) => harness().feed(rs).filter((a) => a.rule === 'LOCATION_GAP');
    // in a stop with a fix every 15 min, then silent for h hours, then fixes `km` north of where it stood
    const asleep = (h: number, km = 0) => [...track(BISCAY, BISCAY, DAY1, 120, 15, 0), ...track([BISCAY[0] + km / 111.2, BISCAY[1]], [BISCAY[0] + km / 111.2, BISCAY[1]], DAY1 + 2 * HOUR + h * HOUR, 30, 15, 0)];
    const sleeping = probe(locationGapProbe, asleep(20), DAY1, DAY1 + 3 * HOUR);
    expect(sleeping.score).toBeCloseTo(20 / 24, 2);
    expect(sleeping.reason).toMatch(/silence 20\.0 h from .* \(standing in a stop: 24\.0 h = max\(maxStationarySilenceMs 24\.0 h, intervalFactor 3 x stationary interval 15 min\)\); it resumed 0\.0 km from the last fix, the door as it was: a sleeping tracker/);
    expect(gapAlerts(asleep(20))).toHaveLength(0);
    const long = probe(locationGapProbe, asleep(26), DAY1, DAY1 + 3 * HOUR);
    expect(long.score).toBeCloseTo(26 / 24, 2);
    expect(gapAlerts(asleep(26))).toHaveLength(1);
    // woke 5 km away after 5 h: maxSilenceMs holds again
    const moved = probe(locationGapProbe, asleep(5, 5), DAY1, DAY1 + 3 * HOUR);
    expect(moved.score).toBeCloseTo(5 / 4, 2);
    expect(moved.reason).toMatch(/silence 5\.0 h from .* \(standing in a stop, but it resumed beyond stationary\.radiusKm 2: maxSilenceMs 4\.0 h\); it resumed 5\.0 km from the last fix/);
    expect(gapAlerts(asleep(5, 5))).toHaveLength(1);
    expect(probe(locationGapProbe, asleep(3.5, 5), DAY1, DAY1 + 3 * HOUR).score).toBe(round2(3.5 / 4));
    expect(gapAlerts(asleep(3.5, 5))).toHaveLength(0);
  });

  it('LOCATION_JUMP: the jump closest to both limits; 50 km in 10 min fires, 20 km in 10 min is under maxSpeedKn', () => {
    const jump = (km: number) => [...track(BISCAY, BISCAY, DAY1, 30, 10, 0), reading(DAY1 + 40 * MIN, { kind: 'location', lat: BISCAY[0] + km / 111.2, lon: BISCAY[1], speedKn: 0 })];
    const implied = (km: number) => {
      const [a, b] = [{ lat: BISCAY[0], lon: BISCAY[1] }, { lat: BISCAY[0] + km / 111.2, lon: BISCAY[1] }];
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
    const routed = plan({ route: [[-20, 40], [-20, 50]] });
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
    t.mismatches.push({ eventId: 'json-v1:rogue-1:1', deviceId: 'rogue-1', claimedContainerId: 'MSCU1234566', measuredAt: new Date(DAY1 + 5 * MIN).toISOString(), location: null, devicePlan: null, containerPlan: { tripId: 'T-2026-000123', deviceId: 'acme-00042' } });
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

  it('probes read their thresholds from the configuration', () => {
    const readings = [...track([BISCAY[0] + 0.3, BISCAY[1]], BISCAY, DAY1 - HOUR, 60, 15, 12), ...track(BISCAY, BISCAY, DAY1 + 15 * MIN, 3.5 * 60, 15, 0)];
    const r = probe(unscheduledStopProbe, readings, DAY1, DAY1 + 4 * HOUR, { sets: ['rules.unscheduledStop.minStopMs=25200000'] });
    expect(r.score).toBeCloseTo(3.5 / 7, 2);
    expect(r.reason).toMatch(/minStopMs 7\.0 h/);
  });
});
