import { describe, expect, it } from 'vitest';
import { harness, HOUR, MIN, plan, reading, T0, track } from '../helpers/fixtures.js';

// Bay of Biscay, well offshore; a French motorway rest area inland; Rotterdam Maasvlakte.
const BISCAY: [number, number] = [45.5, -8.0];
const BISCAY_2: [number, number] = [44.9, -8.6];
const INLAND_FR: [number, number] = [47.3, 2.0];
const MAASVLAKTE: [number, number] = [51.95, 4.05];
const DAY1 = T0 + 24 * HOUR;

describe('DOOR_OPEN_IN_TRANSIT', () => {
  it('fires once, critical, for a door opened at sea while sailing', () => {
    const h = harness();
    const alerts = h.feed([
      ...track(BISCAY, BISCAY_2, DAY1, 60, 5, 16),
      reading(DAY1 + 32 * MIN, { kind: 'door', open: true }),
      reading(DAY1 + 40 * MIN, { kind: 'door', open: true }),
      reading(DAY1 + 50 * MIN, { kind: 'door', open: false }),
    ]);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ rule: 'DOOR_OPEN_IN_TRANSIT', severity: 'critical', containerId: 'MSCU1234566', tripId: 'T-2026-000123', deviceId: 'acme-00042', startedAt: new Date(DAY1 + 32 * MIN).toISOString() });
    expect(a.summary).toMatch(/Door opened at sea, \d+ km from the nearest authorised zone .*speed 16\.0 kn/);
    expect(a.evidence).toHaveLength(2);
    expect(a.alertId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a door opened inside an authorised zone raises nothing, moving or not', () => {
    const h = harness();
    const alerts = h.feed([...track(MAASVLAKTE, [51.96, 4.1], DAY1, 30, 5, 4), reading(DAY1 + 12 * MIN, { kind: 'door', open: true }), reading(DAY1 + 20 * MIN, { kind: 'door', open: false })]);
    expect(alerts).toEqual([]);
  });

  it('nothing before departure or once the destination is reached', () => {
    const before = harness();
    expect(before.feed([...track(BISCAY, BISCAY_2, T0 - 5 * HOUR, 30, 5, 16), reading(T0 - 5 * HOUR + 10 * MIN, { kind: 'door', open: true })])).toEqual([]);
    const after = harness();
    const santos: [number, number] = [-23.98, -46.3];
    const alerts = after.feed([...track(santos, santos, DAY1, 10, 5, 0), ...track(BISCAY, BISCAY_2, DAY1 + HOUR, 30, 5, 16), reading(DAY1 + HOUR + 10 * MIN, { kind: 'door', open: true })]);
    expect(alerts).toEqual([]);
  });
});

describe('DOOR_OPEN_UNAUTHORISED_LOCATION', () => {
  it('fires, high, for a door opened while stationary on land outside every zone', () => {
    const h = harness();
    const alerts = h.feed([...track(INLAND_FR, INLAND_FR, DAY1, 60, 10, 0), reading(DAY1 + 25 * MIN, { kind: 'door', open: true }), reading(DAY1 + 50 * MIN, { kind: 'door', open: false })]);
    // open 25 min and closed again while stopped: the rip-on/rip-off pattern as well
    expect(alerts.map((a) => [a.rule, a.severity])).toEqual([
      ['DOOR_OPEN_UNAUTHORISED_LOCATION', 'high'],
      ['RIP_ON_RIP_OFF', 'critical'],
    ]);
    expect(alerts[0]!.summary).toMatch(/stationary outside every authorised zone, \d+ km from the nearest authorised zone/);
  });

  it('places an opening with the next fix when the last one is stale', () => {
    const h = harness();
    const alerts = h
      .feed([
        reading(DAY1 - 3 * HOUR, { kind: 'location', lat: INLAND_FR[0], lon: INLAND_FR[1], speedKn: 0 }),
        reading(DAY1, { kind: 'door', open: true }),
        reading(DAY1 + 10 * MIN, { kind: 'location', lat: INLAND_FR[0], lon: INLAND_FR[1], speedKn: 0 }),
      ])
      .filter((a) => a.rule.startsWith('DOOR'));
    expect(alerts.map((a) => a.rule)).toEqual(['DOOR_OPEN_UNAUTHORISED_LOCATION']);
    expect(alerts[0]!.location).toEqual({ lat: INLAND_FR[0], lon: INLAND_FR[1] });
    expect(alerts[0]!.severity).toBe('high');
  });

  it('an opening no fix can place is raised medium once the bracket window (6 h) passes without a fix', () => {
    const h = harness();
    const doors = <A extends { rule: string }>(as: A[]) => as.filter((a) => a.rule.startsWith('DOOR'));
    expect(doors(h.feed([reading(DAY1, { kind: 'door', open: true }), reading(DAY1 + 3 * HOUR, { kind: 'temperature', celsius: 12 }), reading(DAY1 + 5 * HOUR, { kind: 'temperature', celsius: 12 })]))).toEqual([]);
    const alerts = doors(h.feed([reading(DAY1 + 6.5 * HOUR, { kind: 'temperature', celsius: 12 })]));
    expect(alerts.map((a) => [a.rule, a.severity])).toEqual([['DOOR_OPEN_UNAUTHORISED_LOCATION', 'medium']]);
    expect(alerts[0]!.location).toBeNull();
  });

  it('total silence after an unplaced opening: the event-time timer raises it once the watermark passes (6 h bracket + 6 h lateness)', () => {
    const h = harness([plan(), plan({ tripId: 'T-OTHER', containerId: 'TGHU7654320', deviceId: 'acme-00077' })]);
    h.engine.ingest(reading(DAY1, { kind: 'door', open: true }));
    h.engine.flush();
    expect(h.alerts).toEqual([]);
    // another container keeps the arrival clock moving; 6 h of allowed lateness after the 6 h bracket window
    for (let i = 0; i <= 11 * 6; i++) h.engine.ingest(reading(DAY1 + i * 10 * MIN, { kind: 'temperature', celsius: 10 }, { containerId: 'TGHU7654320', tripId: 'T-OTHER', deviceId: 'acme-00077' }));
    expect(h.alerts).toEqual([]);
    for (let i = 11 * 6 + 1; i <= 13 * 6; i++) h.engine.ingest(reading(DAY1 + i * 10 * MIN, { kind: 'temperature', celsius: 10 }, { containerId: 'TGHU7654320', tripId: 'T-OTHER', deviceId: 'acme-00077' }));
    expect(h.alerts.map((a) => a.rule)).toEqual(['DOOR_OPEN_UNAUTHORISED_LOCATION']);
    expect(h.alerts[0]!.detectedAt).toBe(new Date(DAY1).toISOString());
    // the silence itself is believed once it has lasted 12 h (under way, at sea) and its lateness has passed
    for (let i = 13 * 6 + 1; i <= 19 * 6; i++) h.engine.ingest(reading(DAY1 + i * 10 * MIN, { kind: 'temperature', celsius: 10 }, { containerId: 'TGHU7654320', tripId: 'T-OTHER', deviceId: 'acme-00077' }));
    expect(h.alerts.map((a) => a.rule)).toEqual(['DOOR_OPEN_UNAUTHORISED_LOCATION', 'LOCATION_GAP']);
  });
});

describe('sparse trackers: an opening placed by the fixes on either side', () => {
  const hourly = (from: [number, number], to: [number, number], speedKn: number) => track(from, to, DAY1, 6 * 60, 120, speedKn);
  it('between two fixes inside the same authorised zone: nothing', () => {
    const rs = [...hourly(MAASVLAKTE, [51.951, 4.051], 0), reading(DAY1 + 60 * MIN, { kind: 'door', open: true }), reading(DAY1 + 90 * MIN, { kind: 'door', open: false })];
    expect(harness().feed(rs)).toEqual([]);
  });
  it('between two fixes 60 km apart at sea: in transit, critical', () => {
    const rs = [...hourly(BISCAY, [44.0, -9.6], 16), reading(DAY1 + 60 * MIN, { kind: 'door', open: true })];
    const a = harness()
      .feed(rs)
      .filter((x) => x.rule.startsWith('DOOR'));
    expect(a.map((x) => [x.rule, x.severity])).toEqual([['DOOR_OPEN_IN_TRANSIT', 'critical']]);
  });
  it('between two fixes at the same place on land outside the zones: unauthorised location', () => {
    const rs = [...hourly(INLAND_FR, INLAND_FR, 0), reading(DAY1 + 60 * MIN, { kind: 'door', open: true })];
    const a = harness()
      .feed(rs)
      .filter((x) => x.rule.startsWith('DOOR'));
    expect(a.map((x) => [x.rule, x.severity])).toEqual([['DOOR_OPEN_UNAUTHORISED_LOCATION', 'high']]);
  });
});

describe('LIGHT_WITH_DOOR_CLOSED', () => {
  const closed = reading(DAY1 - HOUR, { kind: 'door', open: false });
  it('fires on two consecutive readings above 20 lux with the door closed', () => {
    const alerts = harness().feed([
      closed,
      reading(DAY1, { kind: 'light', lux: 2 }),
      reading(DAY1 + 5 * MIN, { kind: 'light', lux: 85 }),
      reading(DAY1 + 10 * MIN, { kind: 'light', lux: 140 }),
      reading(DAY1 + 15 * MIN, { kind: 'light', lux: 120 }),
    ]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'LIGHT_WITH_DOOR_CLOSED', severity: 'high', startedAt: new Date(DAY1 + 5 * MIN).toISOString(), detectedAt: new Date(DAY1 + 10 * MIN).toISOString() });
    expect(alerts[0]!.summary).toMatch(/Light of 140 lux .* door has been closed for 65 min/);
  });
  it('one very bright reading is enough', () => {
    expect(
      harness()
        .feed([closed, reading(DAY1, { kind: 'light', lux: 900 })])
        .map((a) => a.rule),
    ).toEqual(['LIGHT_WITH_DOOR_CLOSED']);
  });
  it('seal leakage, a single dim spike, light with the door open, and unknown door state raise nothing', () => {
    expect(harness().feed([closed, ...[3, 5, 4, 2, 45, 3, 6].map((lux, i) => reading(DAY1 + i * 20 * MIN, { kind: 'light', lux }))])).toEqual([]);
    expect(
      harness()
        .feed([reading(DAY1, { kind: 'door', open: true }), reading(DAY1 + MIN, { kind: 'light', lux: 800 }), reading(DAY1 + 2 * MIN, { kind: 'light', lux: 800 })])
        .filter((a) => a.rule === 'LIGHT_WITH_DOOR_CLOSED'),
    ).toEqual([]);
    expect(harness().feed([reading(DAY1, { kind: 'light', lux: 800 }), reading(DAY1 + MIN, { kind: 'light', lux: 800 })])).toEqual([]);
  });
  it('light just after the door closed (within the grace) raises nothing', () => {
    expect(harness().feed([reading(DAY1, { kind: 'door', open: false }), reading(DAY1 + 30_000, { kind: 'light', lux: 300 }), reading(DAY1 + 60_000, { kind: 'light', lux: 150 })])).toEqual([]);
  });
});

describe('TEMPERATURE_EXCURSION', () => {
  const reefer = [plan({ reefer: { setpointC: -18, toleranceC: 2 } })];
  const series = (values: number[], stepMin = 15) => values.map((c, i) => reading(DAY1 + i * stepMin * MIN, { kind: 'temperature', celsius: c }));
  it('fires once when out of band for 45 min or more', () => {
    const alerts = harness(reefer).feed(series([-18, -17.8, -14.5, -13, -12, -11.5, -11, -12, -18]));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'TEMPERATURE_EXCURSION', severity: 'high', startedAt: new Date(DAY1 + 30 * MIN).toISOString(), detectedAt: new Date(DAY1 + 75 * MIN).toISOString() });
    expect(alerts[0]!.summary).toMatch(/Reefer at -11\.5 °C, 6\.5 °C above its -18\.0 °C setpoint \(tolerance ±2 °C\) for 45 min/);
  });
  it('a 30-minute defrost rise and sensor noise raise nothing', () => {
    expect(harness(reefer).feed(series([-18, -18.3, -17.7, -15, -14.2, -17, -18.1, -18.2, -17.9], 15))).toEqual([]);
  });
  it('uses the reading setpoint when the plan has no reefer block; a dry box is not judged', () => {
    expect(harness().feed(series([20, 25, 31, 35, 33, 30, 28]))).toEqual([]);
    const withSet = [5, 5.2, 9, 10, 11, 12].map((c, i) => reading(DAY1 + i * 15 * MIN, { kind: 'temperature', celsius: c, setpointC: 5 }));
    expect(
      harness()
        .feed(withSet)
        .map((a) => [a.rule, a.severity]),
    ).toEqual([['TEMPERATURE_EXCURSION', 'high']]);
  });
});

describe('LOCATION_JUMP', () => {
  it('fires once for a spoofed jump and its return within 6 h', () => {
    const real = track(BISCAY, BISCAY_2, DAY1, 120, 10, 16);
    const spoofed = [reading(DAY1 + 35 * MIN, { kind: 'location', lat: 40.0, lon: 3.0 }), reading(DAY1 + 45 * MIN, { kind: 'location', lat: 40.01, lon: 3.01 })];
    const alerts = harness().feed([...real, ...spoofed].sort((a, b) => a.ts - b.ts));
    expect(alerts.map((a) => a.rule)).toEqual(['LOCATION_JUMP']);
    expect(alerts[0]!.summary).toMatch(/Position jumped \d+ km in 5 min \(implied [\d,]+ kn, limit 80 kn\)/);
    expect(alerts[0]!.startedAt).toBe(new Date(DAY1 + 35 * MIN).toISOString());
  });
  it('a normal voyage, GPS jitter and a 10-hour gap in coverage raise no jump', () => {
    const jitter = Array.from({ length: 30 }, (_, i) => reading(DAY1 + i * MIN, { kind: 'location', lat: BISCAY_2[0] + ((i * 7) % 5) * 0.0003, lon: BISCAY_2[1] + ((i * 3) % 5) * 0.0003 }));
    const alerts = harness().feed([...track(BISCAY, BISCAY_2, DAY1 - 2 * HOUR, 100, 10, 16), ...jitter, ...track([44, -9.5], [43.5, -9.9], DAY1 + 10 * HOUR, 60, 10, 16)]);
    expect(alerts.filter((a) => a.rule === 'LOCATION_JUMP')).toEqual([]);
    // the 10 hours without any reading ended where the voyage would have taken it: a coverage hole, nobody's business
    expect(alerts.map((a) => a.rule)).toEqual([]);
  });
});
