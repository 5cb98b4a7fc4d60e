import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultPorts } from '../../src/geo/ports.js';
import { seaLaneRouter } from '../../src/geo/sea-router.js';
import type { Alert } from '../../src/model/alert.js';
import type { Reading } from '../../src/model/reading.js';
import { decodeLaneSnapshot, encodeLaneSnapshot, RuleEngine } from '../../src/rules/engine.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { defineRule, type Rule, type RuleContext as Ctx } from '../../src/rules/rule.js';
import { TripDirectory } from '../../src/trips/directory.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { HOUR, MIN, plan, reading, testConfig } from '../helpers/fixtures.js';
import { decodedCorpus } from '../helpers/sim-corpus.js';

/**
 * Rules with `idle` (Rule.idle): the engine keeps no state for a container
 * while the rule's state is idle, hands the rule a shared spare, keeps the
 * spare once a call leaves it otherwise and lets a state go when it is idle
 * again. Nothing a rule decides may change by it.
 */
const config = testConfig();

function engineWith(rules: readonly Rule[], plans: TripPlan[]): { engine: RuleEngine; alerts: Alert[] } {
  const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, plans);
  const alerts: Alert[] = [];
  const engine = new RuleEngine({ config, trips, ports: defaultPorts(), rules, router: seaLaneRouter, output: { alert: (a) => alerts.push(a), late: () => {} } });
  return { engine, alerts };
}

// (wakes goes with idle: it speaks of idle states, and the engine refuses it on a rule without idle)
const withoutIdle = (rules: readonly Rule[]): Rule[] => rules.map(({ idle: _idle, wakes: _wakes, ...rest }) => rest as Rule);

const corpus = decodedCorpus({ seed: 33, containers: 40, start: Date.parse('2026-01-07T10:00:00Z'), voyageHours: 400, breachShare: 0.6 });
const plans = [...corpus.plans.values()];
const all = [...corpus.readings.values()].flat().sort((a, b) => a.receivedAt - b.receivedAt || (a.eventId < b.eventId ? -1 : 1));

function run(rules: readonly Rule[], readings: readonly Reading[] = all): Alert[] {
  const { engine, alerts } = engineWith(rules, plans);
  for (const r of readings) engine.ingest(r);
  engine.flush();
  return alerts;
}

describe('idle rule states', () => {
  it("the built-in rules' idle is honest: every state they call idle is their initial state, and a simulated fleet raises the same alerts with and without it", () => {
    const checks = new Map<string, { idle: number; busy: number }>();
    const check = (rule: Rule, state: unknown) => {
      const c = checks.get(rule.id) ?? { idle: 0, busy: 0 };
      checks.set(rule.id, c);
      if (!rule.idle!(state)) {
        c.busy++;
        return;
      }
      c.idle++;
      if (!isDeepStrictEqual(state, rule.initialState())) throw new Error(`${rule.id} called a state idle that is not its initial state: ${JSON.stringify(state)}`);
    };
    // each rule with idle, wrapped to check its state after every call (before the engine settles it)
    const checked = ALL_RULES.map((rule): Rule => {
      if (!rule.idle) return rule;
      return {
        ...rule,
        onReading: (s, r, ctx) => {
          rule.onReading(s, r, ctx);
          check(rule, s);
        },
        ...(rule.learn
          ? {
              learn: (s: unknown, r: Reading, ctx: Ctx) => {
                rule.learn!(s, r, ctx);
                check(rule, s);
              },
            }
          : {}),
        ...(rule.onTimer
          ? {
              onTimer: (s: unknown, at: number, key: string, ctx: Ctx) => {
                rule.onTimer!(s, at, key, ctx);
                check(rule, s);
              },
            }
          : {}),
      };
    });
    const withIdle = run(checked);
    const without = run(withoutIdle(ALL_RULES));
    const idleRules = ALL_RULES.filter((r) => r.idle).map((r) => r.id);
    expect(idleRules.length).toBeGreaterThanOrEqual(5);
    // every rule with idle was seen both idle and busy (the fleet has door openings, stops, excursions)
    for (const id of idleRules) expect({ id, idle: checks.get(id)!.idle > 0, busy: checks.get(id)!.busy > 0 }).toEqual({ id, idle: true, busy: true });
    expect(idleRules.filter((id) => without.some((a) => a.rule === id)).length).toBeGreaterThanOrEqual(3);
    expect(withIdle).toEqual(without);
  });

  it('each built-in idle is true for the initial state and false for it with any one field changed', () => {
    const rules = ALL_RULES.filter((r) => r.idle);
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const rule of rules) {
      const initial = rule.initialState() as Record<string, unknown>;
      expect({ rule: rule.id, idle: rule.idle!(initial) }).toEqual({ rule: rule.id, idle: true });
      for (const key of Object.keys(initial)) {
        const changed = { ...initial, [key]: initial[key] === null ? 'x' : null };
        expect({ rule: rule.id, key, idle: rule.idle!(changed) }).toEqual({ rule: rule.id, key, idle: false });
      }
    }
  });

  /** A door rule of its own: remembers the open reading's id while open, and cites it when the door closes. */
  const pairs = defineRule<{ openedBy: string | null }>({
    id: 'DOOR_OPEN_IN_TRANSIT',
    kinds: ['door'],
    initialState: () => ({ openedBy: null }),
    idle: (s) => s.openedBy === null,
    onReading(state, r, ctx) {
      if (r.kind !== 'door') return;
      if (r.open) state.openedBy ??= r.eventId;
      else if (state.openedBy !== null) {
        ctx.raise({ severity: 'low', incidentKey: state.openedBy, startedAt: r.ts, detectedAt: r.ts, location: null, summary: 'closed', evidence: [state.openedBy, r.eventId] });
        state.openedBy = null;
      }
    },
  });
  const boxes = ['MSCU1234566', 'TGHU7654320', 'CAIU1000007'];
  const boxPlans = boxes.map((containerId, i) => plan({ tripId: `T-${i}`, containerId, deviceId: `dev-${i}` }));
  const door = (ts: number, i: number, open: boolean, id: string) => reading(ts, { kind: 'door', open }, { containerId: boxes[i], tripId: `T-${i}`, deviceId: `dev-${i}`, id });
  const t = Date.parse(plan().departure) + HOUR;
  // openings and closings of three containers interleaved: each container's own opening must come back at its closing
  const doors = [
    door(t, 0, true, 'a-open'),
    door(t + MIN, 1, true, 'b-open'),
    door(t + 2 * MIN, 2, false, 'c-closed'),
    door(t + 3 * MIN, 0, false, 'a-closed'),
    door(t + 4 * MIN, 2, true, 'c-open'),
    door(t + 5 * MIN, 1, false, 'b-closed'),
    door(t + 6 * MIN, 0, true, 'a-open-2'),
    door(t + 7 * MIN, 2, false, 'c-closed-2'),
    door(t + 8 * MIN, 0, false, 'a-closed-2'),
  ];

  it("a state that leaves idle is the container's own from then on, and one that is idle again is let go, for each container apart", () => {
    const { engine, alerts } = engineWith([pairs], boxPlans);
    for (const r of doors) engine.ingest(r);
    engine.flush();
    expect(alerts.map((a) => a.evidence)).toEqual([
      ['json-v1:dev-0:a-open', 'json-v1:dev-0:a-closed'],
      ['json-v1:dev-1:b-open', 'json-v1:dev-1:b-closed'],
      ['json-v1:dev-2:c-open', 'json-v1:dev-2:c-closed-2'],
      ['json-v1:dev-0:a-open-2', 'json-v1:dev-0:a-closed-2'],
    ]);
    // every state is idle again: the engine keeps none of them
    const text = JSON.stringify(engine.snapshotLane(0).body);
    expect(text).not.toContain('openedBy');
    // and the same as an engine that keeps every state
    const kept = engineWith(withoutIdle([pairs]), boxPlans);
    for (const r of doors) kept.engine.ingest(r);
    kept.engine.flush();
    expect(alerts).toEqual(kept.alerts);
    expect(JSON.stringify(kept.engine.snapshotLane(0).body)).toContain('openedBy');
  });

  it('a snapshot does not write idle states: smaller than one of an engine that keeps them, and restored it continues as the uninterrupted run', () => {
    const cut = Math.floor(all.length / 2);
    const want = run(ALL_RULES);
    const keeping = engineWith(withoutIdle(ALL_RULES), plans);
    for (const r of all.slice(0, cut)) keeping.engine.ingest(r);
    const now = engineWith(ALL_RULES, plans);
    for (const r of all.slice(0, cut)) now.engine.ingest(r);
    const current = now.engine.snapshotLane(0);
    expect(JSON.stringify(current.body).length).toBeLessThan(JSON.stringify(keeping.engine.snapshotLane(0).body).length);
    const restored = engineWith(ALL_RULES, plans);
    restored.engine.restoreLane(0, decodeLaneSnapshot(encodeLaneSnapshot(current)));
    for (const r of all.slice(cut)) restored.engine.ingest(r);
    restored.engine.flush();
    expect([...now.alerts, ...restored.alerts]).toEqual(want);
  });
});
