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
import { defaultPorts } from '../../src/model/ports.js';
import type { Reading } from '../../src/model/reading.js';
import type { TripPlan } from '../../src/model/trip-plan.js';
import { TripDirectory } from '../../src/normalise/trip-directory.js';
import { kmBetween, knots } from '../../src/rules/motion.js';
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
  const stop = (at: [number, number], hours: number) => [...track([at[0] + 0.3, at[1]], at, DAY1 - HOUR, 60, 15, 12), ...track(at, at, DAY1 + 15 * MIN, hours * 60, 15, 0)];

  it('a 3.5 h stop at sea scores dwell / minStopMs, outside every zone', () => {
    const r = probe(unscheduledStopProbe, stop(BISCAY, 3.5), DAY1, DAY1 + 4 * HOUR);
    expect(r.score).toBeCloseTo(3.5 / 3, 2);
    expect(r.reason).toMatch(/^longest stop 3\.5 h from .* \(minStopMs 3\.0 h\); outside every zone and excuse, nearest port /);
  });

  it('a 2.75 h stop scores just under 1', () => {
    const r = probe(unscheduledStopProbe, stop(BISCAY, 2.75), DAY1, DAY1 + 4 * HOUR);
    expect(r.score).toBeCloseTo(2.75 / 3, 2);
    expect(r.score).toBeLessThan(1);
  });

  it('a stop that began before the window is named, not scored (its alert would start outside the window)', () => {
    const r = probe(unscheduledStopProbe, stop(BISCAY, 5), DAY1 + 2 * HOUR, DAY1 + 3 * HOUR);
    expect(r.score).toBe(0);
    expect(r.reason).toMatch(/^no stop starts in the window .*; a stop from .*, before the window, lasted 5\.0 h/);
  });

  it('names the excuse placeStop gives (a planned port\'s anchorage), and what split a stop', () => {
    const r = probe(unscheduledStopProbe, stop(OFF_ROTTERDAM, 4), DAY1, DAY1 + 5 * HOUR);
    expect(r.score).toBeGreaterThan(1);
    expect(r.reason).toMatch(/excused: anchorage of planned port Rotterdam/);
    // one fix 3 km off (multipath) restarts the stop: two stops of about 2 h, neither long enough
    const fixes = stop(BISCAY, 4);
    const mid = fixes.findIndex((f) => f.ts === DAY1 + 2 * HOUR);
    fixes[mid] = reading(fixes[mid]!.ts, { kind: 'location', lat: BISCAY[0] + 0.027, lon: BISCAY[1], speedKn: 0, hdop: 9 });
    const split = probe(unscheduledStopProbe, fixes, DAY1, DAY1 + 5 * HOUR);
    expect(split.score).toBeLessThan(1);
    expect(split.reason).toMatch(/stops in the window ended by: .* fix 3\.0 km from the stop's first fix \(> 2 km, hdop 9\)/);
  });
});

describe('door-opening probes', () => {
  it('DOOR_OPEN_IN_TRANSIT: opened sailing scores 1; opened at 2.5 kn inland scores speed / movingSpeedKn', () => {
    const fire = probe(doorOpenInTransitProbe, [...track(BISCAY, BISCAY_2, DAY1, 60, 5, 16), reading(DAY1 + 32 * MIN, { kind: 'door', open: true })], DAY1, DAY1 + HOUR);
    expect(fire.score).toBe(1);
    expect(fire.reason).toMatch(/placed transit, speed 16\.0 kn \(moving from 3 kn\), at sea/);
    const under = probe(doorOpenInTransitProbe, [...track(INLAND_FR, [47.31, 2.0], DAY1, 60, 10, 2.5), reading(DAY1 + 25 * MIN, { kind: 'door', open: true })], DAY1, DAY1 + HOUR);
    expect(under.score).toBeCloseTo(2.5 / 3, 2);
    expect(under.reason).toMatch(/placed stationary, speed 2\.5 kn .*on land/);
  });

  it('DOOR_OPEN_UNAUTHORISED_LOCATION: opened stopped inland scores 1; stopped at sea scores atSeaMinPortDistanceKm / port km', () => {
    const fire = probe(doorOpenUnauthorisedLocationProbe, [...track(INLAND_FR, INLAND_FR, DAY1, 60, 10, 0), reading(DAY1 + 25 * MIN, { kind: 'door', open: true })], DAY1, DAY1 + HOUR);
    expect(fire.score).toBe(1);
    expect(fire.reason).toMatch(/placed stationary, speed 0\.0 kn/);
    // stopped at sea a little beyond atSeaMinPortDistanceKm of the nearest port: placed in transit ("at sea")
    const seine: [number, number] = [49.62, -0.05];
    const port = defaultPorts().nearest(seine[0], seine[1])!;
    const under = probe(doorOpenUnauthorisedLocationProbe, [...track(seine, seine, DAY1, 60, 10, 0), reading(DAY1 + 25 * MIN, { kind: 'door', open: true })], DAY1, DAY1 + HOUR);
    const cfg = testConfig().rules.doorOpen;
    expect(port.distanceKm).toBeGreaterThan(cfg.atSeaMinPortDistanceKm);
    expect(under.score).toBeCloseTo(cfg.atSeaMinPortDistanceKm / port.distanceKm, 2);
    expect(under.score).toBeGreaterThan(0.5);
    expect(under.reason).toMatch(/placed transit, .*at sea: nearest port /);
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
});

describe('position probes', () => {
  it('LOCATION_GAP: no fix for 2.5 h while temperatures come scores gap / max(maxPositionGapMs, 4 x usual interval); 1.75 h just under', () => {
    const gap = (h: number) => [...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16), ...temps(DAY1 + 75 * MIN, h * 60 - 30, 15, () => 12), ...track(BISCAY_2, BISCAY_2, DAY1 + 60 * MIN + h * HOUR, 30, 15, 16)];
    const fire = probe(locationGapProbe, gap(2.5), DAY1, DAY1 + 2 * HOUR);
    expect(fire.score).toBeCloseTo((2.5 * 60 - 15) / 120, 2);
    expect(fire.reason).toMatch(/^longest position gap 2\.3 h from .* with \d+ other readings \(threshold 2\.0 h\)/);
    const under = probe(locationGapProbe, gap(1.75), DAY1, DAY1 + 2 * HOUR);
    expect(under.score).toBeCloseTo((1.75 * 60 - 15) / 120, 2);
  });

  it('LOCATION_GAP: a silence of every reading scores gap / maxSilenceMs', () => {
    const silence = (h: number) => [...track(BISCAY, BISCAY_2, DAY1, 60, 15, 16), ...track(BISCAY_2, BISCAY_2, DAY1 + 60 * MIN + h * HOUR, 30, 15, 16)];
    const fire = probe(locationGapProbe, silence(4.5), DAY1, DAY1 + 2 * HOUR);
    expect(fire.score).toBeCloseTo(4.5 / 4, 2);
    expect(fire.reason).toMatch(/longest silence 4\.5 h from .* \(maxSilenceMs 4\.0 h\)/);
    expect(probe(locationGapProbe, silence(3.5), DAY1, DAY1 + 2 * HOUR).score).toBe(round2(3.5 / 4));
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
