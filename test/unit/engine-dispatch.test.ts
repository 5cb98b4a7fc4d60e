import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import type { Reading, ReadingKind } from '../../src/model/reading.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { seaLaneRouter } from '../../src/geo/sea-router.js';
import { RuleEngine } from '../../src/rules/engine.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { defineRule, type Rule } from '../../src/rules/rule.js';
import { TripDirectory } from '../../src/trips/directory.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { HOUR, MIN, plan, reading, T0, testConfig } from '../helpers/fixtures.js';
import { decodedCorpus } from '../helpers/sim-corpus.js';

function engineWith(rules: readonly Rule[], plans: TripPlan[]): { engine: RuleEngine; alerts: Alert[] } {
  const config = testConfig();
  const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, plans);
  const alerts: Alert[] = [];
  const engine = new RuleEngine({ config, trips, ports: defaultPorts(), rules, router: seaLaneRouter, output: { alert: (a) => alerts.push(a), late: () => {} } });
  return { engine, alerts };
}

/** A rule that records the kinds of the readings it was given, through onReading and learn. */
function recorder(kinds: readonly ReadingKind[] | undefined, seen: { reading: ReadingKind[]; learnt: ReadingKind[] }): Rule {
  return defineRule<null>({
    id: 'LOCATION_GAP',
    ...(kinds ? { kinds } : {}),
    initialState: () => null,
    onReading: (_s, r) => void seen.reading.push(r.kind),
    learn: (_s, r) => void seen.learnt.push(r.kind),
  });
}

/** A simulated fleet of 40 containers (seed `seed`, most of them breached): run(rules) feeds all its readings, in arrival order, to an engine with those rules and gives its alerts. */
function fleetRun(seed: number): (rules: readonly Rule[]) => Alert[] {
  const c = decodedCorpus({ seed, containers: 40, start: T0, voyageHours: 400, breachShare: 0.6 });
  const plans = [...c.plans.values()];
  const all = [...c.readings.values()].flat().sort((a, b) => a.receivedAt - b.receivedAt || (a.eventId < b.eventId ? -1 : 1));
  return (rules) => {
    const { engine, alerts } = engineWith(rules, plans);
    for (const r of all) engine.ingest(r);
    engine.flush();
    return alerts;
  };
}

describe('engine dispatch by reading kind', () => {
  const p = plan();
  const departure = Date.parse(p.departure);
  const one = (ts: number, kind: ReadingKind, id: string): Reading =>
    reading(ts, kind === 'location' ? { kind, lat: 44, lon: -9 } : kind === 'door' ? { kind, open: false } : kind === 'light' ? { kind, lux: 1 } : { kind, celsius: 5 }, { id });
  const kinds: ReadingKind[] = ['location', 'door', 'light', 'temperature'];
  // four readings before departure (learn) and four after (onReading)
  const readings = [...kinds.map((k, i) => one(departure - HOUR + i * MIN, k, `before-${k}`)), ...kinds.map((k, i) => one(departure + HOUR + i * MIN, k, `after-${k}`))];

  it('a rule that declares kinds is given readings of those kinds only, in onReading and in learn', () => {
    const seen = { reading: [] as ReadingKind[], learnt: [] as ReadingKind[] };
    const { engine } = engineWith([recorder(['door', 'light'], seen)], [p]);
    for (const r of readings) engine.ingest(r);
    engine.flush();
    expect(seen.reading).toEqual(['door', 'light']);
    expect(seen.learnt).toEqual(['door', 'light']);
  });

  it('a rule that declares nothing is given every reading', () => {
    const seen = { reading: [] as ReadingKind[], learnt: [] as ReadingKind[] };
    const { engine } = engineWith([recorder(undefined, seen)], [p]);
    for (const r of readings) engine.ingest(r);
    engine.flush();
    expect(seen.reading).toEqual(kinds);
    expect(seen.learnt).toEqual(kinds);
  });

  it("the built-in rules' declared kinds are honest: a simulated fleet raises the same alerts, in the same order, when every rule is given every reading", () => {
    const run = fleetRun(21);
    const declared = run(ALL_RULES);
    const undeclared = run(ALL_RULES.map(({ kinds: _kinds, ...rest }) => rest as Rule));
    expect(ALL_RULES.some((r) => r.kinds)).toBe(true);
    expect(declared.length).toBeGreaterThan(10);
    expect(declared).toEqual(undeclared);
  });

  it("the built-in rules' declared wakes are honest: a simulated fleet raises the same alerts, in the same order, when every idle rule is given every reading of its kinds", () => {
    const run = fleetRun(22);
    const declared = run(ALL_RULES);
    const undeclared = run(ALL_RULES.map(({ wakes: _wakes, ...rest }) => rest as Rule));
    expect(ALL_RULES.filter((r) => r.wakes).length).toBeGreaterThanOrEqual(4);
    // the fleet wakes them: each of the four rules that declare wakes raises in it
    for (const id of ['DOOR_OPEN_IN_TRANSIT', 'DOOR_OPEN_UNAUTHORISED_LOCATION', 'LIGHT_WITH_DOOR_CLOSED', 'RIP_ON_RIP_OFF'])
      expect(
        declared.some((a) => a.rule === id),
        id,
      ).toBe(true);
    expect(declared.length).toBeGreaterThan(10);
    expect(declared).toEqual(undeclared);
  });
});

/**
 * A rule idle until a reading wakes it: it records every reading it is
 * given; a light reading over 100 lux (or a door opening, with `wakes`
 * naming 'door-opening') leaves it holding a state, a light reading under
 * 10 lux makes it idle again.
 */
function sleeper(wakes: Rule['wakes'], seen: string[]): Rule {
  return defineRule<{ awake: boolean }>({
    id: 'LIGHT_WITH_DOOR_CLOSED',
    kinds: ['door', 'light', 'location'],
    wakes,
    initialState: () => ({ awake: false }),
    idle: (s) => !s.awake,
    onReading: (s, r, ctx) => {
      seen.push(r.eventId.split(':').at(-1)!);
      if ((r.kind === 'light' && r.lux > 100) || (r.kind === 'door' && r.open && ctx.view.doorChanged)) s.awake = true;
      if (r.kind === 'light' && r.lux < 10) s.awake = false;
    },
  });
}

describe('engine dispatch to idle rules (Rule.wakes)', () => {
  const p = plan();
  const t = Date.parse(p.departure) + HOUR;
  const at = (k: number, values: Parameters<typeof reading>[1], id: string) => reading(t + k * MIN, values, { id });
  const readings = [
    at(0, { kind: 'location', lat: 44, lon: -9 }, 'fix-idle'),
    at(1, { kind: 'door', open: false }, 'closed-idle'),
    at(2, { kind: 'light', lux: 5 }, 'dark-idle'),
    at(3, { kind: 'light', lux: 500 }, 'lit'),
    at(4, { kind: 'location', lat: 44, lon: -9.01 }, 'fix-awake'),
    at(5, { kind: 'door', open: false }, 'closed-awake'),
    at(6, { kind: 'light', lux: 1 }, 'dark'),
    at(7, { kind: 'location', lat: 44, lon: -9.02 }, 'fix-idle-again'),
    at(8, { kind: 'door', open: true }, 'opening'),
    at(9, { kind: 'location', lat: 44, lon: -9.03 }, 'fix-after-opening'),
  ];

  it('an idle rule is given only the kinds that can wake it; once it holds a state, every reading of its kinds', () => {
    const seen: string[] = [];
    const { engine } = engineWith([sleeper(['light'], seen)], [p]);
    for (const r of readings) engine.ingest(r);
    engine.flush();
    expect(seen).toEqual(['dark-idle', 'lit', 'fix-awake', 'closed-awake', 'dark']);
  });

  it("'door-opening' wakes an idle rule with a door reading that opens the door, not with one that leaves it closed", () => {
    const seen: string[] = [];
    const { engine } = engineWith([sleeper(['door-opening'], seen)], [p]);
    for (const r of readings) engine.ingest(r);
    engine.flush();
    expect(seen).toEqual(['opening', 'fix-after-opening']);
  });

  it('a rule without wakes is given every reading of its kinds, idle or not', () => {
    const seen: string[] = [];
    const { engine } = engineWith([sleeper(undefined, seen)], [p]);
    for (const r of readings) engine.ingest(r);
    engine.flush();
    expect(seen).toEqual(readings.map((r) => r.eventId.split(':').at(-1)));
  });

  it('refuses wakes on a rule without idle, and wakes naming a kind the rule does not read', () => {
    const base = sleeper(['light'], []);
    const { idle: _idle, ...noIdle } = base;
    expect(() => engineWith([noIdle as Rule], [p])).toThrow(/LIGHT_WITH_DOOR_CLOSED: wakes needs idle/);
    expect(() => engineWith([{ ...base, wakes: ['temperature'] }], [p])).toThrow(/wakes names temperature, but the rule reads door, light, location/);
    expect(() => engineWith([{ ...base, kinds: ['light'], wakes: ['door-opening'] }], [p])).toThrow(/wakes names door-opening/);
  });
});
