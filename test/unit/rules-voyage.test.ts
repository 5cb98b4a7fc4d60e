import { describe, expect, it } from 'vitest';
import type { Reading } from '../../src/model/reading.js';
import { harness, HOUR, MIN, plan, reading, T0, track } from '../helpers/fixtures.js';

const DAY2 = T0 + 48 * HOUR;
const MID_ATLANTIC: [number, number] = [35.0, -30.0];
const SINES: [number, number] = [37.935, -8.845]; // a real port the plan does not name
const SANTOS_ANCHORAGE: [number, number] = [-24.15, -46.2]; // ~20 km off the planned destination
const PORT_SAID_ROADS: [number, number] = [31.45, 32.35];
const ROUTE: Array<[number, number]> = [
  [4.48, 51.92],
  [-5.45, 36.14],
  [-46.3, -23.98],
];
const VIA_SUEZ = plan({ destination: 'SGSIN', transshipments: [] });
const rules = <A extends { rule: string }>(alerts: A[], rule: string) => alerts.filter((a) => a.rule === rule);

/** A stop at one place, fixes every 10 min with a little swing, plus temperature readings. */
function stop(at: [number, number], start: number, minutes: number): Reading[] {
  const out: Reading[] = [];
  for (let m = 0; m <= minutes; m += 10) out.push(reading(start + m * MIN, { kind: 'location', lat: at[0] + ((m / 10) % 3) * 0.001, lon: at[1] - ((m / 10) % 2) * 0.001, speedKn: 0.3 }));
  return out;
}

describe('UNSCHEDULED_STOP', () => {
  it('a 5-hour stop in mid-ocean: medium, once', () => {
    const a = rules(harness().feed(stop(MID_ATLANTIC, DAY2, 300)), 'UNSCHEDULED_STOP');
    expect(a.map((x) => x.severity)).toEqual(['medium']);
    expect(a[0]!.summary).toMatch(/^Stationary for 4\.0 h outside every authorised zone, nearest port .* away$/);
    expect(a[0]!.startedAt).toBe(new Date(DAY2).toISOString());
  });
  it('a stop at a port the plan does not name: an unplanned port call, high', () => {
    const a = rules(harness().feed(stop(SINES, DAY2, 240)), 'UNSCHEDULED_STOP');
    expect(a.map((x) => x.severity)).toEqual(['high']);
    expect(a[0]!.summary).toMatch(/at Sines \(PTSIE\), a port the plan does not name/);
  });
  it('waiting just off a planned port, at a canal the route runs through, a slow canal transit, or a short stop raise nothing', () => {
    expect(rules(harness().feed(stop(SANTOS_ANCHORAGE, DAY2, 600)), 'UNSCHEDULED_STOP')).toEqual([]);
    expect(rules(harness([VIA_SUEZ]).feed(stop(PORT_SAID_ROADS, DAY2, 600)), 'UNSCHEDULED_STOP')).toEqual([]);
    expect(rules(harness([VIA_SUEZ]).feed(track([30.6, 32.33], [29.95, 32.56], DAY2, 600, 10, 7)), 'UNSCHEDULED_STOP')).toEqual([]);
    expect(rules(harness().feed(stop(MID_ATLANTIC, DAY2, 150)), 'UNSCHEDULED_STOP')).toEqual([]);
  });
  it('a canal waiting area excuses a stop only on a route through the canal, and only for as long as queues take', () => {
    // Rotterdam -> Algeciras -> Santos never comes near Suez
    const a = rules(harness().feed(stop(PORT_SAID_ROADS, DAY2, 600)), 'UNSCHEDULED_STOP');
    expect(a.map((x) => x.severity)).toEqual(['medium']);
    const long = rules(harness([VIA_SUEZ]).feed(stop(PORT_SAID_ROADS, DAY2, 73 * 60)), 'UNSCHEDULED_STOP');
    expect(long).toHaveLength(1);
    expect(long[0]!.summary).toMatch(/^Stationary for 3\.0 days in the Port Said anchorage \(Suez Canal north\), longer than the 3\.0 days a wait there usually takes$/);
  });
  it('an anchorage-like stop 25 km or more off a planned port, not at a charted anchorage, is unscheduled', () => {
    // 35 km off Santos, on its approaches: farther than ships wait to enter
    const a = rules(harness().feed(stop([-24.3, -46.1], DAY2, 600)), 'UNSCHEDULED_STOP');
    expect(a.map((x) => x.severity)).toEqual(['medium']);
  });
});

describe('RIP_ON_RIP_OFF', () => {
  const closed = reading(DAY2 - HOUR, { kind: 'door', open: false });
  it('open, short dwell, close during a call at an unplanned port: critical, naming the port and the dwell', () => {
    const rs = [closed, ...stop(SINES, DAY2, 180), reading(DAY2 + 62 * MIN, { kind: 'door', open: true }), reading(DAY2 + 104 * MIN, { kind: 'door', open: false })];
    const a = rules(harness().feed(rs), 'RIP_ON_RIP_OFF');
    expect(a.map((x) => x.severity)).toEqual(['critical']);
    expect(a[0]!.summary).toMatch(/Door opened for 42 min and closed again at Sines \(PTSIE\), which the plan does not name; stopped there for 104 min so far/);
    expect(a[0]!.startedAt).toBe(new Date(DAY2 + 62 * MIN).toISOString());
    expect(a[0]!.detectedAt).toBe(new Date(DAY2 + 104 * MIN).toISOString());
  });
  it('not inside an authorised zone, not while under way, not when the door stays open', () => {
    const algeciras: [number, number] = [36.13, -5.44];
    expect(rules(harness().feed([closed, ...stop(algeciras, DAY2, 180), reading(DAY2 + 60 * MIN, { kind: 'door', open: true }), reading(DAY2 + 90 * MIN, { kind: 'door', open: false })]), 'RIP_ON_RIP_OFF')).toEqual([]);
    expect(rules(harness().feed([closed, ...track([45.5, -8], [44.5, -9], DAY2, 180, 10, 16), reading(DAY2 + 60 * MIN, { kind: 'door', open: true }), reading(DAY2 + 90 * MIN, { kind: 'door', open: false })]), 'RIP_ON_RIP_OFF')).toEqual([]);
    expect(rules(harness().feed([closed, ...stop(SINES, DAY2, 600), reading(DAY2 + 60 * MIN, { kind: 'door', open: true }), reading(DAY2 + 9 * HOUR, { kind: 'door', open: false })]), 'RIP_ON_RIP_OFF')).toEqual([]);
  });
});

describe('ROUTE_DEVIATION', () => {
  const routed = [plan({ route: ROUTE })];
  it('following the planned route raises nothing', () => {
    // along the Gibraltar -> Santos leg
    expect(rules(harness(routed).feed(track([36.1, -5.6], [30.48, -10.67], DAY2, 24 * 60, 15, 16)), 'ROUTE_DEVIATION')).toEqual([]);
  });
  it('300 km off the route for 3 h: one alert with the distance', () => {
    const on = track([36.1, -5.6], [33.34, -8.14], DAY2, 120, 15, 16);
    const off = track([34.0, -11.0], [34.2, -12.5], DAY2 + 135 * MIN, 240, 15, 16);
    const a = rules(harness(routed).feed([...on, ...off]), 'ROUTE_DEVIATION');
    expect(a).toHaveLength(1);
    expect(a[0]!.severity).toBe('high');
    expect(a[0]!.summary).toMatch(/^\d+ km from the planned route \(up to \d+ km\) for 2\.0 h, limit 100 km$/);
    expect(a[0]!.details!.maxDistanceKm).toBeGreaterThan(300);
    expect(a[0]!.startedAt).toBe(new Date(DAY2 + 135 * MIN).toISOString());
  });
  it('a trans-Pacific route across the antimeridian is followed without alarm', () => {
    const pacific = [
      plan({
        origin: 'CAVAN',
        destination: 'JPYOK',
        transshipments: [],
        route: [
          [-123.08, 49.29],
          [-140, 50],
          [-175, 47],
          [170, 45],
          [141, 34.6],
        ],
      }),
    ];
    const across = track([46.9, -176.5], [45.3, -187.5], DAY2, 20 * 60, 15, 18).map((r) => (r.kind === 'location' && r.lon < -180 ? { ...r, lon: r.lon + 360 } : r));
    expect(across.some((r) => r.kind === 'location' && r.lon > 170)).toBe(true);
    expect(rules(harness(pacific).feed(across), 'ROUTE_DEVIATION')).toEqual([]);
    expect(rules(harness(pacific).feed(track([45.3, 172.5], [45.0, 170.2], DAY2, 6 * 60, 15, 18)), 'ROUTE_DEVIATION')).toEqual([]);
  });

  it('a plan whose ports cannot be routed and has no route: nothing to compare with, silent', () => {
    expect(rules(harness([plan({ origin: 'NLRTM', destination: 'NLRTM', transshipments: [] })]).feed(track([36.5, -12.0], [36.0, -13.0], DAY2, 240, 15, 16)), 'ROUTE_DEVIATION')).toEqual([]);
  });
});

describe('LOCATION_GAP', () => {
  it('positions stop while temperature keeps coming: medium at sea, once', () => {
    const rs = [...track([45.5, -8], [45.0, -8.5], DAY2, 60, 10, 16), ...Array.from({ length: 20 }, (_, i) => reading(DAY2 + 70 * MIN + i * 15 * MIN, { kind: 'temperature', celsius: 12 }))];
    const a = rules(harness().feed(rs), 'LOCATION_GAP');
    expect(a.map((x) => x.severity)).toEqual(['medium']);
    expect(a[0]!.summary).toMatch(/No position for 3\.\d h while the device kept reporting \(\d+ other readings\)/);
  });
  it('near a port the same gap is low', () => {
    const rs = [...stop(SINES, DAY2, 30), ...Array.from({ length: 14 }, (_, i) => reading(DAY2 + 40 * MIN + i * 15 * MIN, { kind: 'temperature', celsius: 12 }))];
    expect(rules(harness().feed(rs), 'LOCATION_GAP').map((x) => x.severity)).toEqual(['low']);
  });
  it('every reading stops mid-trip: the silence timer raises it once the allowed lateness has passed', () => {
    const h = harness([plan(), plan({ tripId: 'T-OTHER', containerId: 'TGHU7654320', deviceId: 'acme-00077' })]);
    for (const r of track([45.5, -8], [45.0, -8.5], DAY2, 60, 10, 16)) h.engine.ingest(r);
    // another container keeps the arrival clock moving: 12 h of silence under way, then 6 h of allowed lateness
    for (let i = 0; i <= 17 * 6; i++) h.engine.ingest(reading(DAY2 + i * 10 * MIN, { kind: 'temperature', celsius: 10 }, { containerId: 'TGHU7654320', tripId: 'T-OTHER', deviceId: 'acme-00077' }));
    expect(rules(h.alerts, 'LOCATION_GAP')).toEqual([]);
    for (let i = 17 * 6 + 1; i <= 19 * 6; i++) h.engine.ingest(reading(DAY2 + i * 10 * MIN, { kind: 'temperature', celsius: 10 }, { containerId: 'TGHU7654320', tripId: 'T-OTHER', deviceId: 'acme-00077' }));
    const a = rules(h.alerts, 'LOCATION_GAP');
    expect(a.map((x) => x.severity)).toEqual(['high']);
    expect(a[0]!.summary).toMatch(/Every reading has stopped for 12\.0 h mid-trip and none has arrived since/);
  });
  it('a regular cadence raises nothing; a sparse tracker is judged on its own cadence', () => {
    expect(rules(harness().feed(track([45.5, -8], [40, -12], DAY2, 24 * 60, 15, 16)), 'LOCATION_GAP')).toEqual([]);
    const hourly = [...track([45.5, -8], [44, -9], DAY2, 6 * 60, 60, 16), ...Array.from({ length: 24 }, (_, i) => reading(DAY2 + i * 15 * MIN + 7 * MIN, { kind: 'light', lux: 0 }))];
    expect(rules(harness().feed(hourly), 'LOCATION_GAP')).toEqual([]);
  });
});

describe('TEMPERATURE_ANOMALY', () => {
  const reefer = [plan({ reefer: { setpointC: -18, toleranceC: 2 } })];
  const series = (values: number[], stepMin = 15) => values.map((c, i) => reading(DAY2 + i * stepMin * MIN, { kind: 'temperature', celsius: c }));
  const steady = Array.from({ length: 60 }, (_, i) => -18 + (((i * 7) % 5) - 2) * 0.1); // 15 h of history
  it('a reefer steady at -18 that settles at -16.3 for 90 min (inside its band): medium', () => {
    const a = rules(harness(reefer).feed(series([...steady, -16.4, -16.3, -16.2, -16.3, -16.4, -16.3, -16.3])), 'TEMPERATURE_ANOMALY');
    expect(a.map((x) => x.severity)).toEqual(['medium']);
    expect(a[0]!.summary).toMatch(/this container's recent median of -18\.0 °C .*still inside the reefer band/);
  });
  it("a defrost spike, out-of-band readings (the excursion rule's) and a dry box's daily cycle raise nothing", () => {
    expect(rules(harness(reefer).feed(series([...steady, -16.2, -16.0, -18, -18.1, -17.9])), 'TEMPERATURE_ANOMALY')).toEqual([]);
    expect(rules(harness(reefer).feed(series([...steady, -12, -11, -10, -10, -11, -12])), 'TEMPERATURE_ANOMALY')).toEqual([]);
    const daily = Array.from({ length: 96 }, (_, i) => 22 + 6 * Math.sin((2 * Math.PI * i) / 48));
    expect(rules(harness().feed(series(daily, 30)), 'TEMPERATURE_ANOMALY')).toEqual([]);
    // a box on deck in the tropics: 24 °C at night, 45 °C at noon, for three days
    const deck = Array.from({ length: 288 }, (_, i) => 34.5 + 10.5 * Math.sin((2 * Math.PI * i) / 96) + (((i * 13) % 7) - 3) * 0.2);
    expect(rules(harness().feed(series(deck, 15)), 'TEMPERATURE_ANOMALY')).toEqual([]);
  });
  it('a dry box that jumps 14 °C above its own history for hours: low', () => {
    const a = rules(harness().feed(series([...Array.from({ length: 96 }, (_, i) => 20 + 1.5 * Math.sin((2 * Math.PI * i) / 96) + (i % 3) * 0.3), 34, 35, 35, 34, 35, 36, 35])), 'TEMPERATURE_ANOMALY');
    expect(a.map((x) => x.severity)).toEqual(['low']);
  });
});

describe('ROUTE_DEVIATION without a route in the plan', () => {
  it('judges against the sea route computed between the planned ports', async () => {
    const { seaLaneRouter } = await import('../../src/geo/sea-router.js');
    const { defaultPorts } = await import('../../src/geo/ports.js');
    const ports = defaultPorts();
    const stops = ['NLRTM', 'ESALG', 'BRSSZ'].map((c) => ({ locode: c, lat: ports.get(c)!.lat, lon: ports.get(c)!.lon }));
    const route = seaLaneRouter(stops)!;
    expect(route.length).toBeGreaterThan(5);
    // a leg of the computed route well away from ports, sailed at 16 kn
    const legs = route.map((p, i) => [p, route[i + 1]] as const).filter(([a, b]) => b && Math.abs(a[1]) < 40 && Math.abs(a[1]) > 5 && Math.abs(b[1] - a[1]) > 3);
    expect(legs.length).toBeGreaterThan(0);
    const [a, b] = legs[0]!;
    const on = track([a[1], a[0]], [b![1], b![0]], DAY2, 6 * 60, 15, 16);
    expect(rules(harness([plan()]).feed(on), 'ROUTE_DEVIATION')).toEqual([]);
    const off = track([a[1], a[0] - 4], [b![1], b![0] - 4], DAY2, 6 * 60, 15, 16);
    expect(rules(harness([plan()]).feed(off), 'ROUTE_DEVIATION')).toHaveLength(1);
  });
});

describe('stops, anchorages and baselines (refinements)', () => {
  it('a stop starts at the first stationary fix, not at the last fix under way', () => {
    const approach = [reading(DAY2 - 30 * MIN, { kind: 'location', lat: 35.1, lon: -30.1, speedKn: 9 }), reading(DAY2 - 15 * MIN, { kind: 'location', lat: 35.005, lon: -30.005, speedKn: 4 })];
    const a = rules(harness().feed([...approach, ...stop(MID_ATLANTIC, DAY2, 300)]), 'UNSCHEDULED_STOP');
    expect(a.map((x) => x.startedAt)).toEqual([new Date(DAY2).toISOString()]);
  });
  it("waiting in a planned port's anchorage near another port is waiting; alongside that other port's quays it is a call", () => {
    const hk = [plan({ origin: 'HKHKG', destination: 'NLRTM', transshipments: [] })];
    // 7 km off Chiwan, 7 km outside Hong Kong's 15 km zone: waiting to enter Hong Kong
    expect(rules(harness(hk).feed(stop([22.435, 113.934], DAY2, 400)), 'UNSCHEDULED_STOP')).toEqual([]);
    // at Shekou's quays
    const call = rules(harness(hk).feed(stop([22.476, 113.897], DAY2, 400)), 'UNSCHEDULED_STOP');
    expect(call.map((x) => x.severity)).toEqual(['high']);
    expect(call[0]!.summary).toMatch(/a port the plan does not name/);
  });
  it('a reefer shift of 1.6 °C inside the band, with sensor noise round the threshold, is one anomaly', () => {
    const reefer = [plan({ reefer: { setpointC: -18, toleranceC: 2 } })];
    const noise = [0.1, -0.2, 0.25, -0.1, 0, 0.2, -0.25, 0.15];
    const history = Array.from({ length: 60 }, (_, i) => -18 + noise[i % noise.length]! * 0.5);
    const shifted = Array.from({ length: 12 }, (_, i) => -16.4 + noise[i % noise.length]!);
    const a = rules(harness(reefer).feed([...history, ...shifted].map((c, i) => reading(DAY2 + i * 15 * MIN, { kind: 'temperature', celsius: c }))), 'TEMPERATURE_ANOMALY');
    expect(a).toHaveLength(1);
  });
  it('the days in the yard before departure are the baseline: an anomaly soon after departure is seen', () => {
    const dep = Date.parse('2026-01-07T10:00:00Z');
    const yard = Array.from({ length: 100 }, (_, i) => reading(dep - 25 * HOUR + i * 15 * MIN, { kind: 'temperature', celsius: 21 + Math.sin((2 * Math.PI * i) / 96) }));
    const hot = Array.from({ length: 10 }, (_, i) => reading(dep + HOUR + i * 15 * MIN, { kind: 'temperature', celsius: 36 }));
    const a = rules(harness().feed([...yard, ...hot]), 'TEMPERATURE_ANOMALY');
    expect(a).toHaveLength(1);
    expect(Date.parse(a[0]!.startedAt)).toBe(dep + HOUR);
  });
});

describe('river ports and silenced devices (refinements)', () => {
  it('waiting in the German Bight for Hamburg is waiting only when the plan names Hamburg', () => {
    const bight: [number, number] = [54.05, 7.9];
    expect(rules(harness([plan({ origin: 'DEHAM', destination: 'BRSSZ', transshipments: [] })]).feed(stop(bight, DAY2, 400)), 'UNSCHEDULED_STOP')).toEqual([]);
    expect(rules(harness([plan({ origin: 'NLRTM', destination: 'BRSSZ', transshipments: [] })]).feed(stop(bight, DAY2, 400)), 'UNSCHEDULED_STOP')).toHaveLength(1);
  });
  it('a device silenced mid-trip is one gap, not also a "no position" gap when it comes back', () => {
    // a day of reporting every 10 min, never quiet: then 7 h of nothing at sea
    const before = track([49.5, -4], [45.3, -8.2], DAY2 - 23 * HOUR, 24 * 60, 10, 16);
    const after = [
      reading(DAY2 + 7 * HOUR, { kind: 'temperature', celsius: 12 }),
      reading(DAY2 + 7 * HOUR + 10 * MIN, { kind: 'light', lux: 0 }),
      reading(DAY2 + 7 * HOUR + 20 * MIN, { kind: 'door', open: false }),
      ...track([44.5, -9], [44.4, -9.1], DAY2 + 7 * HOUR + 30 * MIN, 30, 10, 16),
    ];
    const a = rules(harness().feed([...before, ...after]), 'LOCATION_GAP');
    expect(a).toHaveLength(1);
    expect(a[0]!.summary).toMatch(/^Every reading stopped for/);
  });
});
