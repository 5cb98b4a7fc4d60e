import { describe, expect, it } from 'vitest';
import type { Reading } from '../../src/model/reading.js';
import { compilePlan } from '../../src/trips/compile.js';
import { trackStop, type StopView } from '../../src/rules/stop-tracker.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { harness, HOUR, MIN, plan, reading, T0, testConfig, track } from '../helpers/fixtures.js';

/**
 * Field behaviour the rules must tell from breaches: stops seen through sparse
 * fixes and multipath, doors opened at anchor, erratic reefers, trackers that
 * sleep while they stand still, plans whose zones carry no UN/LOCODE.
 */
const DAY2 = T0 + 48 * HOUR;
const MID_ATLANTIC: [number, number] = [35.0, -30.0];
const rules = <A extends { rule: string }>(alerts: A[], rule: string) => alerts.filter((a) => a.rule === rule);
const stationary = testConfig().rules.stationary;

function fixAt(ts: number, lat: number, lon: number, speedKn: number | null = null, hdop: number | null = null) {
  return { ts, lat, lon, speedKn, hdop, eventId: `e${ts}` };
}

describe('stop tracking (stop-tracker.ts)', () => {
  it('a sparse tracker (one fix every 2 h, no speed) dates a stop from its first fix in place, not one interval later', () => {
    const v: StopView = { stopAnchor: null, inStop: false, stopOutlier: null, wayKn: null };
    const fixes = [fixAt(0, 35.5, -30.5), fixAt(2 * HOUR, 35.0, -30.0), fixAt(4 * HOUR, 35.001, -30.001), fixAt(6 * HOUR, 35.0, -30.0)];
    let prev = null;
    for (const f of fixes) {
      trackStop(v, prev, f, stationary);
      prev = f;
    }
    // it was making way at the fix before (70 km in 2 h): the stop began as it reached the place, seconds after that fix
    expect(v.stopAnchor!.ts - 2 * HOUR).toBeGreaterThanOrEqual(0);
    expect(v.stopAnchor!.ts - 2 * HOUR).toBeLessThan(MIN);
    expect(v.inStop).toBe(true);
  });

  it('one multipath outlier (800 m off at hdop 9, a speed spike) does not end a stop; two fixes away do', () => {
    const v: StopView = { stopAnchor: null, inStop: false, stopOutlier: null, wayKn: null };
    const seq = [fixAt(0, 35, -30, 0.2), fixAt(10 * MIN, 35.0005, -30, 0.3), fixAt(20 * MIN, 35, -29.975, 3.5, 9), fixAt(30 * MIN, 35.0004, -30.0003, 0.1)];
    let prev = null;
    for (const f of seq) {
      trackStop(v, prev, f, stationary);
      prev = f;
    }
    expect(v.stopAnchor?.ts).toBe(0);
    expect(v.inStop).toBe(true);
    // under way: the first fix out is held, the second ends the stop
    trackStop(v, prev, fixAt(40 * MIN, 35.03, -30, 10), stationary);
    expect(v.stopAnchor?.ts).toBe(0);
    expect(v.inStop).toBe(false);
    trackStop(v, fixAt(40 * MIN, 35.03, -30, 10), fixAt(50 * MIN, 35.06, -30, 10), stationary);
    expect(v.stopAnchor).toBeNull();
  });

  it('a 10-hour stop seen by a tracker fixing every 2 h with noisy positions is raised once', () => {
    // hdop 6: a couple of hundred metres of scatter
    const noisy = (i: number): [number, number] => [MID_ATLANTIC[0] + ((i * 7) % 5) * 0.0006, MID_ATLANTIC[1] - ((i * 3) % 4) * 0.0006];
    const before = track([35.6, -30.6], [35.05, -30.05], DAY2 - 8 * HOUR, 6 * 60, 120);
    const at = Array.from({ length: 6 }, (_, i) => reading(DAY2 + i * 2 * HOUR, { kind: 'location', lat: noisy(i)[0], lon: noisy(i)[1], hdop: 6 }));
    const a = rules(harness().feed([...before, ...at]), 'UNSCHEDULED_STOP');
    expect(a).toHaveLength(1);
    // dated from its first fix in place, and the few minutes the way it still had there would take to cover the scatter
    expect(Date.parse(a[0]!.startedAt) - DAY2).toBeGreaterThanOrEqual(0);
    expect(Date.parse(a[0]!.startedAt) - DAY2).toBeLessThan(5 * MIN);
  });
});

describe('UNSCHEDULED_STOP: waits that stop being waits', () => {
  it('a queue at a canal terminal on the route is waiting, until the door is opened during it', () => {
    const viaSuez = [plan({ destination: 'SGSIN', transshipments: [] })];
    const queue = Array.from({ length: 41 }, (_, i) => reading(DAY2 + i * 15 * MIN, { kind: 'location', lat: 31.2205 + (i % 3) * 0.0005, lon: 32.355, speedKn: 0.1 }));
    expect(rules(harness(viaSuez).feed(queue), 'UNSCHEDULED_STOP')).toEqual([]);
    const opened = [...queue, reading(DAY2 + 2 * HOUR, { kind: 'door', open: true }), reading(DAY2 + 3 * HOUR, { kind: 'door', open: false })];
    const a = rules(harness(viaSuez).feed(opened), 'UNSCHEDULED_STOP');
    expect(a).toHaveLength(1);
    expect(a[0]!.summary).toMatch(/Port Said anchorage \(Suez Canal north\), on the planned route\), and the door was opened during the stop$/);
  });
});

describe('door openings at anchor', () => {
  it('a door opened while stationary at sea, outside every zone, is DOOR_OPEN_UNAUTHORISED_LOCATION, not in transit', () => {
    const stop = Array.from({ length: 13 }, (_, i) => reading(DAY2 + i * 15 * MIN, { kind: 'location', lat: MID_ATLANTIC[0] + (i % 2) * 0.001, lon: MID_ATLANTIC[1], speedKn: 0.2 }));
    const a = harness().feed([reading(DAY2 - HOUR, { kind: 'door', open: false }), ...stop, reading(DAY2 + 100 * MIN, { kind: 'door', open: true })]);
    expect(rules(a, 'DOOR_OPEN_UNAUTHORISED_LOCATION').map((x) => x.severity)).toEqual(['high']);
    expect(rules(a, 'DOOR_OPEN_IN_TRANSIT')).toEqual([]);
  });

  it('a door opened at sea with no speed reported but the fixes in one place (a stop) is stationary too; sailing it is in transit', () => {
    const stop = Array.from({ length: 13 }, (_, i) => reading(DAY2 + i * 15 * MIN, { kind: 'location', lat: MID_ATLANTIC[0] + (i % 2) * 0.001, lon: MID_ATLANTIC[1] }));
    const stopped = harness().feed([reading(DAY2 - HOUR, { kind: 'door', open: false }), ...stop, reading(DAY2 + 100 * MIN, { kind: 'door', open: true })]);
    expect(stopped.filter((x) => x.rule.startsWith('DOOR')).map((x) => x.rule)).toEqual(['DOOR_OPEN_UNAUTHORISED_LOCATION']);
    const sailing = harness().feed([reading(DAY2 - HOUR, { kind: 'door', open: false }), ...track([35, -30], [35.5, -29.5], DAY2, 180, 15), reading(DAY2 + 100 * MIN, { kind: 'door', open: true })]);
    expect(sailing.filter((x) => x.rule.startsWith('DOOR')).map((x) => x.rule)).toEqual(['DOOR_OPEN_IN_TRANSIT']);
  });
});

describe('TEMPERATURE_ANOMALY: an erratic reefer', () => {
  const reefer = [plan({ reefer: { setpointC: 2, toleranceC: 2 } })];
  const noise = [0.1, -0.1, 0.2, 0, -0.2, 0.1, 0, -0.1];
  const steady = (n: number, from: number) => Array.from({ length: n }, (_, i) => reading(from + i * 30 * MIN, { kind: 'temperature', celsius: 2 + noise[i % noise.length]! }));
  // swings of about ±1.5 °C from one reading to the next, the mean still at the setpoint
  const swings = [1.5, -1.2, 1.1, -1.6, 0.4, -1.3, 1.6, -0.5, 1.2, -1.4, 0.9, -1.1, 1.5, -1.5];
  const erratic = (from: number) => swings.map((d, i) => reading(from + i * 30 * MIN, { kind: 'temperature', celsius: Math.round((2 + d) * 10) / 10 }));

  it('readings swinging by degrees round the setpoint for hours, inside the band: one medium alert', () => {
    const a = rules(harness(reefer).feed([...steady(40, DAY2 - 20 * HOUR), ...erratic(DAY2), ...steady(10, DAY2 + 7 * HOUR)]), 'TEMPERATURE_ANOMALY');
    expect(a).toHaveLength(1);
    expect(a[0]!.severity).toBe('medium');
    expect(a[0]!.summary).toMatch(/^Reefer temperature erratic for [\d.]+ h: swinging between [\d.]+ and [\d.]+ °C round its 2\.0 °C setpoint, still inside the band; readings up to \d\.\d °C apart/);
    expect(Date.parse(a[0]!.startedAt)).toBeGreaterThanOrEqual(DAY2);
    expect(Date.parse(a[0]!.detectedAt) - Date.parse(a[0]!.startedAt)).toBeGreaterThanOrEqual(2 * HOUR);
  });

  it('defrost cycles (one or two readings several degrees up, every 6 h) and a noisy steady unit raise nothing', () => {
    const rs = steady(96, DAY2 - 20 * HOUR).map((r, i) => ((i % 12 === 5 || i % 12 === 6) && r.kind === 'temperature' ? { ...r, celsius: 3.9 } : r));
    expect(rules(harness(reefer).feed(rs), 'TEMPERATURE_ANOMALY')).toEqual([]);
    const noisy = Array.from({ length: 96 }, (_, i) => reading(DAY2 - 20 * HOUR + i * 30 * MIN, { kind: 'temperature', celsius: 2 + [0.4, -0.3, 0.5, -0.4, 0.2, -0.5, 0.3][i % 7]! }));
    expect(rules(harness(reefer).feed(noisy), 'TEMPERATURE_ANOMALY')).toEqual([]);
  });

  it('a dry box is never judged erratic (its air follows the weather)', () => {
    const dry = swings.concat(swings).map((d, i) => reading(DAY2 + i * 30 * MIN, { kind: 'temperature', celsius: 20 + 2 * d }));
    expect(rules(harness().feed(dry), 'TEMPERATURE_ANOMALY')).toEqual([]);
  });
});

describe('LOCATION_GAP and trackers that sleep', () => {
  const stopFixes = (from: number, hours: number, every = 30): Reading[] =>
    Array.from({ length: Math.floor((hours * 60) / every) + 1 }, (_, i) => reading(from + i * every * MIN, { kind: 'location', lat: MID_ATLANTIC[0], lon: MID_ATLANTIC[1], speedKn: 0 }));

  it('a stationary container silent for 8 h that wakes where it was, door unchanged, raises nothing', () => {
    const rs = [reading(DAY2 - HOUR, { kind: 'door', open: false }), ...stopFixes(DAY2, 2), reading(DAY2 + 10 * HOUR, { kind: 'temperature', celsius: 20 }), ...stopFixes(DAY2 + 10 * HOUR + 5 * MIN, 1)];
    expect(rules(harness().feed(rs), 'LOCATION_GAP')).toEqual([]);
  });

  it('the same silence ending farther away than the box could have travelled, or with the door changed, is raised', () => {
    // 900 km in 10 h: 49 kn, beyond any ship
    const moved = [
      reading(DAY2 - HOUR, { kind: 'door', open: false }),
      ...stopFixes(DAY2, 2),
      reading(DAY2 + 10 * HOUR, { kind: 'temperature', celsius: 20 }),
      reading(DAY2 + 10 * HOUR + 5 * MIN, { kind: 'location', lat: 43.1, lon: -30, speedKn: 0 }),
    ];
    const far = rules(harness().feed(moved), 'LOCATION_GAP');
    expect(far.map((a) => a.severity)).toEqual(['medium']);
    expect(far[0]!.summary).toMatch(/resumed 9\d\d km from the last fix, farther than it could have sailed/);
    // 60 km in 10 h: a ship that sailed from its anchorage while out of coverage
    const sailed = [
      reading(DAY2 - HOUR, { kind: 'door', open: false }),
      ...stopFixes(DAY2, 2),
      reading(DAY2 + 10 * HOUR, { kind: 'temperature', celsius: 20 }),
      reading(DAY2 + 10 * HOUR + 5 * MIN, { kind: 'location', lat: 35.5, lon: -30, speedKn: 12 }),
    ];
    expect(rules(harness().feed(sailed), 'LOCATION_GAP')).toEqual([]);
    const door = [reading(DAY2 - HOUR, { kind: 'door', open: false }), ...stopFixes(DAY2, 2), reading(DAY2 + 10 * HOUR, { kind: 'door', open: true }), ...stopFixes(DAY2 + 10 * HOUR + 5 * MIN, 1)];
    const a = rules(harness().feed(door), 'LOCATION_GAP');
    expect(a.map((x) => x.severity)).toEqual(['high']);
    expect(a[0]!.summary).toMatch(/the door open \(it was closed\)/);
  });

  it("a silence is judged against the device's own reporting: one that never went quiet is raised, one quiet every night is not", () => {
    // a day and a half under way, a fix every 15 min; then 6 h of nothing; then on along the track
    const leg = (from: number, hours: number, lat0: number) => track([lat0, -30], [lat0 + hours * 0.05, -30], from, hours * 60, 15, 16);
    const always = [...leg(DAY2, 36, 30), ...leg(DAY2 + 42 * HOUR, 3, 32.1)];
    const a = rules(harness().feed(always), 'LOCATION_GAP');
    expect(a.map((x) => x.severity)).toEqual(['medium']);
    expect(a[0]!.summary).toMatch(/this device had not been quiet for more than 15 min in 36 h of reporting/);
    // the same, with the device quiet for 5 h on its first night (learnt, not judged: 8 h of history): 6 h is its normal
    const nightly = [...leg(DAY2, 8, 30), ...leg(DAY2 + 13 * HOUR, 23, 30.65), ...leg(DAY2 + 42 * HOUR, 3, 32.1)];
    expect(rules(harness().feed(nightly), 'LOCATION_GAP')).toEqual([]);
  });

  it('a reporting profile declared in the trip plan replaces what the rule would learn: a 6 h silence of a device that may be quiet 8 h is nothing, of one that may be quiet 2 h it is raised at once', () => {
    // only 6 h of history: nothing learnt yet
    const leg = (from: number, hours: number, lat0: number) => track([lat0, -30], [lat0 + hours * 0.05, -30], from, hours * 60, 15, 16);
    const rs = [...leg(DAY2, 6, 30), ...leg(DAY2 + 12 * HOUR, 3, 30.6)];
    expect(rules(harness([plan({ reporting: { maxQuietHours: 8 } } as never)]).feed(rs), 'LOCATION_GAP')).toEqual([]);
    const a = rules(harness([plan({ reporting: { maxQuietHours: 2 } } as never)]).feed(rs), 'LOCATION_GAP');
    expect(a.map((x) => x.severity)).toEqual(['medium']);
    expect(a[0]!.summary).toMatch(/longer than the 2\.0 h this device may be quiet \(its plan's reporting profile\)/);
    // and without a profile, with no history, the same silence is a coverage hole
    expect(rules(harness().feed(rs), 'LOCATION_GAP')).toEqual([]);
  });

  it('a declared stationary fix interval widens the position gap limit while standing still', () => {
    const stopFixes2 = (from: number, hours: number, every: number): Reading[] =>
      Array.from({ length: Math.floor((hours * 60) / every) + 1 }, (_, i) => reading(from + i * every * MIN, { kind: 'location', lat: MID_ATLANTIC[0], lon: MID_ATLANTIC[1], speedKn: 0 }));
    // standing, a fix every 30 min, then none for 5 h while the temperature comes every 30 min
    const rs = [...stopFixes2(DAY2, 3, 30), ...Array.from({ length: 9 }, (_, i) => reading(DAY2 + 3 * HOUR + (i + 1) * 30 * MIN, { kind: 'temperature', celsius: 20 })), ...stopFixes2(DAY2 + 8 * HOUR, 1, 30)];
    expect(rules(harness().feed(rs), 'LOCATION_GAP')).toHaveLength(1);
    expect(rules(harness([plan({ reporting: { stationaryFixIntervalMinutes: 180 } } as never)]).feed(rs), 'LOCATION_GAP')).toEqual([]);
  });

  it('while standing still the silence timer waits a day before it speaks', () => {
    const h = harness([plan(), plan({ tripId: 'T-OTHER', containerId: 'TGHU7654320', deviceId: 'acme-00077' })]);
    for (const r of stopFixes(DAY2, 2)) h.engine.ingest(r);
    const clock = (hours: number) => {
      for (let i = 0; i <= hours * 6; i++) h.engine.ingest(reading(DAY2 + i * 10 * MIN, { kind: 'temperature', celsius: 10 }, { containerId: 'TGHU7654320', tripId: 'T-OTHER', deviceId: 'acme-00077' }));
    };
    clock(20);
    expect(rules(h.alerts, 'LOCATION_GAP')).toEqual([]);
    clock(34);
    const a = rules(h.alerts, 'LOCATION_GAP');
    expect(a.map((x) => x.severity)).toEqual(['medium']);
    expect(a[0]!.summary).toMatch(/Every reading has stopped for 24\.0 h mid-trip \(the container was standing still\)/);
  });

  it('a GNSS dropout of 2 h while the rest reports on is not a gap; 4 h is', () => {
    // fixes every 30 min until 2 h, none for `hours`, temperatures every 30 min all along
    const gap = (hours: number) => [
      ...track([45.5, -8], [45.0, -8.5], DAY2, 120, 30, 16),
      ...Array.from({ length: hours * 2 - 1 }, (_, i) => reading(DAY2 + 2 * HOUR + (i + 1) * 30 * MIN, { kind: 'temperature', celsius: 12 })),
      ...track([44.0, -9.5], [43.9, -9.6], DAY2 + 2 * HOUR + hours * HOUR, 60, 30, 16),
    ];
    expect(rules(harness().feed(gap(2)), 'LOCATION_GAP')).toEqual([]);
    expect(rules(harness().feed(gap(4)), 'LOCATION_GAP')).toHaveLength(1);
  });
});

describe('trip plans whose zones carry no UN/LOCODE', () => {
  const ring = (lon: number, lat: number, r: number): Array<[number, number]> => Array.from({ length: 17 }, (_, i) => [lon + r * Math.cos((i * Math.PI) / 8), lat + r * Math.sin((i * Math.PI) / 8)] as [number, number]);
  // polygons drawn round the cities, not round our table's terminals, and named without a UN/LOCODE
  const zonedPlan = () =>
    plan({
      origin: 'ESALG',
      destination: 'NLRTM',
      transshipments: [],
      authorisedZones: [
        { name: 'Algeciras', polygon: ring(-5.45, 36.14, 0.15) },
        { name: 'Rotterdam', polygon: ring(4.5, 51.92, 0.15) },
      ],
    });

  it('the destination is the plan zone holding the route end, or the plan zone nearest our position of the port', () => {
    const p = zonedPlan();
    const opts = { defaultZoneRadiusKm: 15, activeAfterEtaMs: 72 * HOUR };
    // no route: the zone nearest our NLRTM (Maasvlakte, 31 km west of the city the plan's zone is drawn on)
    expect(compilePlan(p, defaultPorts(), opts).destinationZones.map((z) => z.name)).toEqual(['Rotterdam']);
    const routed = {
      ...p,
      route: [
        [-5.45, 36.14],
        [4.5, 51.92],
      ] as Array<[number, number]>,
    };
    expect(compilePlan(routed, defaultPorts(), opts).destinationZones.map((z) => z.name)).toEqual(['Rotterdam']);
  });

  it('so the trip ends on arrival there, and a device switched off at the quay raises no silence', () => {
    const p = zonedPlan();
    const other = plan({ tripId: 'T-OTHER', containerId: 'TGHU7654320', deviceId: 'acme-00077' });
    const h = harness([p, other]);
    for (const r of track([51.7, 3.9], [51.92, 4.5], DAY2, 120, 10, 12)) h.engine.ingest(r);
    for (let i = 0; i <= 96; i++) h.engine.ingest(reading(DAY2 + i * 10 * MIN, { kind: 'temperature', celsius: 10 }, { containerId: 'TGHU7654320', tripId: 'T-OTHER', deviceId: 'acme-00077' }));
    expect(h.alerts.filter((a) => a.containerId === 'MSCU1234566')).toEqual([]);
  });
});

describe('LIGHT_WITH_DOOR_CLOSED and devices that report light on change', () => {
  const closed = reading(DAY2 - 20 * HOUR, { kind: 'door', open: false });
  // a heartbeat every 6 h while dark
  const heartbeats = Array.from({ length: 4 }, (_, i) => reading(DAY2 - 19 * HOUR + i * 6 * HOUR, { kind: 'light', lux: 0 }));
  it('one lit reading that held 30 min until the dark one, from a device that reports on change: high', () => {
    const a = rules(harness().feed([closed, ...heartbeats, reading(DAY2 + HOUR, { kind: 'light', lux: 150 }), reading(DAY2 + 90 * MIN, { kind: 'light', lux: 0.1 })]), 'LIGHT_WITH_DOOR_CLOSED');
    expect(a.map((x) => x.severity)).toEqual(['high']);
    expect(a[0]!.summary).toMatch(/lit for 30 min until this dark reading/);
  });
  it('the same single lit reading from a device sampling every 15 min is a glitch; so is a 5-minute flash on change', () => {
    const periodic = Array.from({ length: 40 }, (_, i) => reading(DAY2 - 9 * HOUR + i * 15 * MIN, { kind: 'light', lux: i === 38 ? 150 : 0 }));
    expect(rules(harness().feed([closed, ...periodic]), 'LIGHT_WITH_DOOR_CLOSED')).toEqual([]);
    expect(rules(harness().feed([closed, ...heartbeats, reading(DAY2 + HOUR, { kind: 'light', lux: 150 }), reading(DAY2 + 65 * MIN, { kind: 'light', lux: 0.1 })]), 'LIGHT_WITH_DOOR_CLOSED')).toEqual([]);
  });
});

describe('TEMPERATURE_ANOMALY: a dry box fresh off the yard', () => {
  const series = (values: number[], from: number, stepMin = 30) => values.map((c, i) => reading(from + i * stepMin * MIN, { kind: 'temperature', celsius: c }));
  it('with six hours of history, a jump of 18 °C within half an hour held for hours: low', () => {
    const a = rules(harness().feed(series([24, 24.2, 23.9, 24.1, 24, 24.3, 23.8, 24, 24.1, 24, 24.2, 24, 42, 43.5, 44, 44.2, 43.8, 44.1, 43.9], DAY2)), 'TEMPERATURE_ANOMALY');
    expect(a.map((x) => x.severity)).toEqual(['low']);
    expect(a[0]!.summary).toMatch(/above the warmest \(24\.3 °C\) of this dry box's last [\d.]+ h, reached at \d+ °C\/h, faster than the sun or the night changes a box/);
  });
  it('a morning warming of 3 °C an hour to 12 °C above the night is the sun, not an anomaly', () => {
    const morning = [...Array.from({ length: 12 }, () => 20), ...Array.from({ length: 10 }, (_, i) => 20 + 1.5 * (i + 1)), 35, 35, 35, 35];
    expect(rules(harness().feed(series(morning, DAY2)), 'TEMPERATURE_ANOMALY')).toEqual([]);
  });
});
