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
    const c = decodedCorpus({ seed: 21, containers: 40, start: T0, voyageHours: 400, breachShare: 0.6 });
    const plans = [...c.plans.values()];
    const all = [...c.readings.values()].flat().sort((a, b) => a.receivedAt - b.receivedAt || (a.eventId < b.eventId ? -1 : 1));
    const run = (rules: readonly Rule[]) => {
      const { engine, alerts } = engineWith(rules, plans);
      for (const r of all) engine.ingest(r);
      engine.flush();
      return alerts;
    };
    const declared = run(ALL_RULES);
    const undeclared = run(ALL_RULES.map(({ kinds: _kinds, ...rest }) => rest as Rule));
    expect(ALL_RULES.some((r) => r.kinds)).toBe(true);
    expect(declared.length).toBeGreaterThan(10);
    expect(declared).toEqual(undeclared);
  });
});
