import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Reading } from '../../src/model/reading.js';
import { harness, HOUR, MIN, plan, reading, T0, testConfig, track } from '../helpers/fixtures.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { RuleId } from '../../src/model/alert.js';
import { RuleEngine } from '../../src/rules/engine.js';
import { defineRule } from '../../src/rules/rule.js';
import type { CompiledPlan } from '../../src/trips/compile.js';
import { TripDirectory } from '../../src/trips/directory.js';

const DAY1 = T0 + 24 * HOUR;
const PLANS = [plan({ reefer: { setpointC: -18, toleranceC: 2 } }), plan({ tripId: 'T-2', containerId: 'TGHU7654320', deviceId: 'acme-00077' })];
const B = { containerId: 'TGHU7654320', tripId: 'T-2', deviceId: 'acme-00077' };

/** Two containers at sea: a door opening, a light breach, a reefer excursion, a spoof jump, and noise. */
function scenario(): Reading[] {
  const rs: Reading[] = [
    reading(DAY1 - HOUR, { kind: 'door', open: false }, { id: 'a-door0' }),
    reading(DAY1 - HOUR, { kind: 'door', open: false }, { ...B, id: 'b-door0' }),
    ...track([45.5, -8], [44.5, -9], DAY1, 240, 5, 16),
    ...track([46.5, -7], [45.5, -8.2], DAY1, 240, 5, 15, B),
    reading(DAY1 + 62 * MIN, { kind: 'door', open: true }, { id: 'a-open' }),
    reading(DAY1 + 80 * MIN, { kind: 'door', open: false }, { id: 'a-close' }),
    ...[3, 4, 60, 90, 70, 2].map((lux, i) => reading(DAY1 + 100 * MIN + i * 5 * MIN + 20_000, { kind: 'light', lux }, { ...B, id: `b-light${i}` })),
    ...[-18, -17.5, -14, -13, -12.5, -12, -13, -18].map((c, i) => reading(DAY1 + 120 * MIN + i * 15 * MIN, { kind: 'temperature', celsius: c }, { id: `a-temp${i}` })),
    reading(DAY1 + 151 * MIN, { kind: 'location', lat: 38, lon: 12 }, { ...B, id: 'b-spoof' }),
  ];
  return rs;
}

const ids = (alerts: { alertId: string }[]) => alerts.map((a) => a.alertId).sort();

describe('rule engine ordering and determinism', () => {
  const baseline = harness(PLANS).feed(scenario());

  it('the scenario raises one alert per incident', () => {
    expect(baseline.map((a) => a.rule).sort()).toEqual(['DOOR_OPEN_IN_TRANSIT', 'LIGHT_WITH_DOOR_CLOSED', 'LOCATION_JUMP', 'TEMPERATURE_EXCURSION']);
  });

  it('gives the same alerts when arrival order is shuffled within the reorder window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 55_000 }), { minLength: 200, maxLength: 200 }), (delays) => {
        const rs = scenario().map((r, i) => ({ ...r, receivedAt: r.ts + delays[i % delays.length]! }));
        const h = harness(PLANS);
        const alerts = h.feed(rs);
        expect(h.engine.stats.late).toBe(0);
        expect(ids(alerts)).toEqual(ids(baseline));
        expect(alerts.map((a) => a.summary).sort()).toEqual(baseline.map((a) => a.summary).sort());
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same alerts when every reading is delivered twice', () => {
    const rs = scenario().flatMap((r) => [r, { ...r, receivedAt: r.receivedAt + 20_000 }]);
    const h = harness(PLANS);
    expect(ids(h.feed(rs))).toEqual(ids(baseline));
    expect(h.engine.stats.duplicates).toBeGreaterThan(0);
  });

  it('idle releases and clock advances between messages change nothing (live vs replay)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 200, maxLength: 200 }), (ticks) => {
        const h = harness(PLANS);
        const rs = scenario().sort((a, b) => a.receivedAt - b.receivedAt);
        rs.forEach((r, i) => {
          const next = rs[i + 1];
          h.engine.ingest(r);
          if (ticks[i % ticks.length] === 1) h.engine.releaseHeld(r.receivedAt + 30_000);
          if (ticks[i % ticks.length] === 2 && next) h.engine.advanceTo(next.receivedAt);
        });
        h.engine.flush();
        expect(ids(h.alerts)).toEqual(ids(baseline));
      }),
      { numRuns: 40 },
    );
  });

  it('per-partition lanes consumed out of step give the same alerts as one stream', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 400, maxLength: 400 }), fc.array(fc.integer({ min: 0, max: 55_000 }), { minLength: 200, maxLength: 200 }), (coin, delays) => {
        const arrival = scenario()
          .map((r, k) => ({ ...r, receivedAt: r.ts + delays[k % delays.length]! }))
          .sort((a, b) => a.receivedAt - b.receivedAt);
        const laneOf = (r: Reading) => (r.containerId === 'MSCU1234566' ? 0 : 1);
        const queues = [arrival.filter((r) => laneOf(r) === 0), arrival.filter((r) => laneOf(r) === 1)];
        const h = harness(PLANS);
        let i = 0;
        while (queues[0]!.length || queues[1]!.length) {
          const pick = queues[0]!.length === 0 ? 1 : queues[1]!.length === 0 ? 0 : coin[i++ % coin.length] ? 1 : 0;
          // one lane may run hours ahead of the other, as Kafka partitions do
          const r = queues[pick]!.shift()!;
          h.engine.ingest(r, pick);
        }
        h.engine.flush();
        expect(h.engine.stats.late).toBe(0);
        expect(ids(h.alerts)).toEqual(ids(baseline));
      }),
      { numRuns: 40 },
    );
  });

  it('a reading older than what its container was already evaluated on goes to the late output, not the rules', () => {
    const h = harness(PLANS);
    const rs = scenario();
    const stale = reading(DAY1 + 30 * MIN, { kind: 'door', open: true }, { id: 'stale-open', delay: 5 * HOUR });
    h.feed([...rs, stale]);
    expect(h.late.map((r) => r.eventId)).toEqual([stale.eventId]);
    expect(h.engine.stats.late).toBe(1);
    expect(ids(h.alerts)).toEqual(ids(baseline));
  });

  it('a store-and-forward backlog that arrives hours late but in order is evaluated normally', () => {
    // the whole scenario reaches the pipeline 5 h after measurement
    const alerts = harness(PLANS).feed(scenario().map((r) => ({ ...r, receivedAt: r.ts + 5 * HOUR })));
    expect(ids(alerts)).toEqual(ids(baseline));
  });

  it('alert ids depend on the data, not on when it was processed', () => {
    const again = harness(PLANS).feed(scenario());
    expect(ids(again)).toEqual(ids(baseline));
    const otherTrip = harness([plan({ tripId: 'T-9', reefer: { setpointC: -18, toleranceC: 2 } }), PLANS[1]!]).feed(scenario().map((r) => (r.containerId === 'MSCU1234566' ? { ...r, tripId: 'T-9' } : r)));
    expect(ids(otherTrip)).not.toEqual(ids(baseline));
  });
});

describe('store-and-forward backlogs', () => {
  /** Container A reports live for 2 h, then loses coverage; its backlog arrives `outageH` later, oldest first, while B reports live throughout. */
  function outage(outageH: number) {
    const h = harness(PLANS);
    const live: Reading[] = [];
    for (let m = 0; m <= (outageH + 4) * 60; m += 10) live.push(reading(DAY1 + m * MIN, { kind: 'temperature', celsius: 12 }, { ...B, id: `live-${m}` }));
    const own: Reading[] = [];
    const back = 120 + outageH * 60;
    for (let m = 0; m <= back; m += 10) {
      const arrival = m < 120 ? DAY1 + m * MIN + 5000 : DAY1 + back * MIN + (m - 120) * 100;
      own.push(reading(DAY1 + m * MIN, { kind: 'location', lat: 45.5 - m * 0.002, lon: -8 - m * 0.002, speedKn: 16 }, { id: `own-${m}`, delay: arrival - (DAY1 + m * MIN) }));
    }
    h.feed([...live, ...own]);
    return h;
  }

  it('a 5-hour backlog (within the allowed lateness) delivered at once is evaluated in full: nothing late, no false silence', () => {
    const h = outage(5);
    expect(h.engine.stats.late).toBe(0);
    expect(h.alerts.filter((a) => a.rule === 'LOCATION_GAP')).toEqual([]);
  });

  it('a device whose every reading arrives 12 h after measurement (batch uploads) is not mistaken for a silent one', () => {
    const h = harness(PLANS);
    const rs: Reading[] = [];
    for (let m = 0; m <= 24 * 60; m += 10) rs.push(reading(DAY1 + m * MIN, { kind: 'location', lat: 45.5 - m * 0.001, lon: -8 - m * 0.001, speedKn: 16 }, { id: `late12-${m}`, delay: 12 * HOUR }));
    for (let m = 0; m <= 36 * 60; m += 10) rs.push(reading(DAY1 + m * MIN, { kind: 'temperature', celsius: 12 }, { ...B, id: `b-${m}` }));
    h.feed(rs);
    expect(h.engine.stats.late).toBe(0);
    expect(h.alerts).toEqual([]);
  });

  it('a 20-hour outage outlasts the silence limit (12 h under way) and the 6-hour allowed lateness: the silence is believed and what arrives for the time before it is late, kept aside', () => {
    const h = outage(20);
    expect(h.alerts.filter((a) => a.rule === 'LOCATION_GAP').map((a) => a.severity)).toEqual(['high']);
    expect(h.engine.stats.late).toBeGreaterThan(0);
    expect(h.late.every((r) => r.containerId === 'MSCU1234566')).toBe(true);
  });
});

describe('trip plans changed while the engine runs', () => {
  const INLAND_FR: [number, number] = [47.3, 2.0];

  it("keeps a container's compiled plan when another trip changes, and compiles its own amended plan at its next reading", () => {
    const config = testConfig();
    const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, PLANS);
    const seen: Array<CompiledPlan | null> = [];
    const probe = defineRule<null>({ id: 'PROBE' as RuleId, initialState: () => null, onReading: (_s, _r, ctx) => void seen.push(ctx.view.plan) });
    const engine = new RuleEngine({ config, trips, ports: defaultPorts(), rules: [probe], output: { alert: () => {}, late: () => {} } });
    const at = (m: number) => {
      engine.ingest(reading(DAY1 + m * MIN, { kind: 'temperature', celsius: 10 }));
      engine.flush();
      return seen.at(-1)!;
    };
    const first = at(0);
    expect(first?.plan).toBe(PLANS[0]);
    trips.upsert({ ...PLANS[1]!, eta: '2026-01-30T06:00:00Z' });
    expect(at(10)).toBe(first);
    const amended = { ...PLANS[0]!, eta: '2026-01-28T06:00:00Z' };
    trips.upsert(amended);
    const second = at(20);
    expect(second).not.toBe(first);
    expect(second?.plan).toBe(amended);
    expect(second?.eta).toBe(Date.parse('2026-01-28T06:00:00Z'));
    expect(at(30)).toBe(second);
  });

  it('answers zone questions from the amended plan at once, even on the fix whose answer was cached before', () => {
    const h = harness([plan(), plan({ tripId: 'T-2', containerId: 'TGHU7654320', deviceId: 'acme-00077' })]);
    const doors = () => h.alerts.filter((a) => a.rule === 'DOOR_OPEN_UNAUTHORISED_LOCATION');
    // standing inland outside every zone: an opening there is unauthorised
    h.feed([...track(INLAND_FR, INLAND_FR, DAY1, 60, 10, 0), reading(DAY1 + 61 * MIN, { kind: 'door', open: true }), reading(DAY1 + 62 * MIN, { kind: 'door', open: false })]);
    expect(doors()).toHaveLength(1);
    // the plan now authorises a depot there; no new fix comes before the next opening
    h.engine.ingest(reading(DAY1 + 63 * MIN, { kind: 'temperature', celsius: 12 }));
    const trips = (h.engine as unknown as { opts: { trips: TripDirectory } }).opts.trips;
    trips.upsert(plan({ authorisedZones: [{ name: 'Inland depot', lat: INLAND_FR[0], lon: INLAND_FR[1], radiusKm: 5 }] }));
    h.feed([reading(DAY1 + 64 * MIN, { kind: 'door', open: true }), reading(DAY1 + 65 * MIN, { kind: 'door', open: false })]);
    expect(doors()).toHaveLength(1);
  });
});
