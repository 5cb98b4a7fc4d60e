import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPorts } from '../../src/geo/ports.js';
import { seaLaneRouter } from '../../src/geo/sea-router.js';
import type { RuleId } from '../../src/model/alert.js';
import type { Reading } from '../../src/model/reading.js';
import { decodeLaneSnapshot, encodeLaneSnapshot, RuleEngine } from '../../src/rules/engine.js';
import { defineRule, type Rule } from '../../src/rules/rule.js';
import { GraphDecoder } from '../../src/rules/snapshot-codec.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { HOUR, MIN, plan, reading, T0, testConfig } from '../helpers/fixtures.js';

/**
 * The engine's event-time timers against a plain model: timers set, re-armed
 * earlier or later, cancelled, dropped by a new trip, set again as they fire,
 * across snapshots, on several containers and rules. The model keeps each
 * timer's event time (`at`) and the time it wakes up (`queued`: never later
 * than `at`; re-arming later leaves it, earlier moves it) and, at each clock
 * step, wakes the smallest (queued, container, rule, key) due by the
 * watermark: one whose container still delivered after the watermark, or
 * whose `at` is still ahead, waits again; any other fires. The engine must
 * raise its timers' alerts in exactly the model's order, and its snapshots
 * must hold exactly the model's live timers, each queued once (a timer
 * cancelled or dropped leaves its heap at once).
 */
const CONTAINERS = [
  { containerId: 'MSCU1234566', tripId: 'T-2026-000123', deviceId: 'acme-00042' },
  { containerId: 'TGHU7654320', tripId: 'T-2', deviceId: 'acme-00077' },
  { containerId: 'CSQU3054383', tripId: 'T-3', deviceId: 'acme-00078' },
];
const RULES: RuleId[] = ['TEMPERATURE_EXCURSION', 'LOCATION_GAP'];
const KEYS = ['a', 'b'];

type Step = { kind: 'set' | 'cancel'; c: number; gap: number; rule: number; key: number; offset: number } | { kind: 'untrip' | 'tick' | 'snapshot'; c: number; gap: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), c: fc.nat(2), gap: fc.nat(15), rule: fc.nat(1), key: fc.nat(1), offset: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), c: fc.nat(2), gap: fc.nat(15), rule: fc.nat(1), key: fc.nat(1), offset: fc.constant(0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('untrip' as const, 'tick' as const, 'snapshot' as const), c: fc.nat(2), gap: fc.nat(30) }) },
);

/** A fired timer's firing, set again `chainMin` on when its minute is a multiple of 3 (a timer set while its wake-up is handled). */
const chains = (at: number) => (at / MIN) % 3 === 0;
const chainMin = 7;

type Fired = [container: string, rule: number, key: string, at: number];
/** At each snapshot: the queued wake-ups [queued, container, rule, key] and the timers' records [container, rule, key, at, queued], each as sorted JSON rows. */
type Held = { wake: string[]; recs: string[] };
interface Outcome {
  fired: Fired[];
  held: Held[];
}
const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();

function model(steps: Step[], lateness: number, t0: number): Outcome {
  interface T {
    c: string;
    rule: number;
    key: string;
    at: number;
    queued: number;
  }
  const timers = new Map<string, T>();
  const lastArrival = new Map<string, number>();
  const fired: Fired[] = [];
  const held: Held[] = [];
  const id = (c: string, rule: number, key: string) => `${c}|${rule}|${key}`;
  const set = (c: string, rule: number, key: string, at: number) => {
    const t = timers.get(id(c, rule, key));
    if (!t) timers.set(id(c, rule, key), { c, rule, key, at, queued: at });
    else {
      t.at = at;
      if (t.queued > at) t.queued = at;
    }
  };
  const first = (a: T, b: T) => (a.queued !== b.queued ? a.queued < b.queued : a.c !== b.c ? a.c < b.c : a.rule !== b.rule ? a.rule < b.rule : a.key < b.key);
  const advance = (clock: number) => {
    const wm = clock - lateness;
    for (;;) {
      let next: T | undefined;
      for (const t of timers.values()) if (t.queued <= wm && (next === undefined || first(t, next))) next = t;
      if (next === undefined) return;
      const due = Math.max(next.at, lastArrival.get(next.c)!);
      if (due > wm) {
        next.queued = due;
        continue;
      }
      timers.delete(id(next.c, next.rule, next.key));
      fired.push([next.c, next.rule, next.key, next.at]);
      if (chains(next.at)) set(next.c, next.rule, next.key, next.at + chainMin * MIN);
    }
  };
  let clock = t0;
  for (const s of steps) {
    clock += s.gap * MIN;
    advance(clock);
    if (s.kind === 'tick' || s.kind === 'snapshot') {
      const live = [...timers.values()];
      if (s.kind === 'snapshot') held.push({ wake: sorted(live.map((t) => [t.queued, t.c, t.rule, t.key])), recs: sorted(live.map((t) => [t.c, t.rule, t.key, t.at, t.queued])) });
      continue;
    }
    const c = CONTAINERS[s.c]!.containerId;
    lastArrival.set(c, clock);
    if (s.kind === 'untrip') {
      for (const [k, t] of timers) if (t.c === c) timers.delete(k);
    } else if (s.kind === 'set') set(c, s.rule, KEYS[s.key]!, clock + s.offset * MIN);
    else if (s.kind === 'cancel') timers.delete(id(c, s.rule, KEYS[s.key]!));
  }
  return { fired, held };
}

function run(steps: Step[], lateness: number, t0: number): Outcome {
  const fired: Fired[] = [];
  const held: Held[] = [];
  const probe = (ruleIdx: number): Rule =>
    defineRule<Record<string, never>>({
      id: RULES[ruleIdx]!,
      kinds: ['temperature'],
      initialState: () => ({}),
      onReading(_s, r, ctx) {
        if (r.kind !== 'temperature') return;
        const s = steps[r.celsius]!;
        if ((s.kind !== 'set' && s.kind !== 'cancel') || s.rule !== ruleIdx) return;
        if (s.kind === 'set') ctx.setTimer(r.ts + s.offset * MIN, KEYS[s.key]!);
        else ctx.cancelTimer(KEYS[s.key]!);
      },
      onTimer(_s, at, key, ctx) {
        ctx.raise({ severity: 'low', incidentKey: `${key}@${at}`, startedAt: at, detectedAt: at, location: null, summary: key, evidence: [] });
        if (chains(at)) ctx.setTimer(at + chainMin * MIN, key);
      },
    }) as Rule;
  const rules = [probe(0), probe(1)];
  const cfg = testConfig(['engine.reorderWindowMs=0', `engine.allowedLatenessMs=${lateness}`]);
  const plans = CONTAINERS.map((c) => plan(c));
  const make = () =>
    new RuleEngine({
      config: cfg,
      trips: new TripDirectory({ bindBeforeDepartureMs: cfg.trips.bindBeforeDepartureMs, activeAfterEtaMs: cfg.trips.activeAfterEtaMs }, plans),
      ports: defaultPorts(),
      rules,
      router: seaLaneRouter,
      output: { alert: (a) => fired.push([a.containerId, RULES.indexOf(a.rule), a.summary, Date.parse(a.startedAt)]), late: () => {} },
    });
  let e = make();
  let clock = t0;
  steps.forEach((s, i) => {
    clock += s.gap * MIN;
    if (s.kind === 'tick') e.advanceTo(clock);
    else if (s.kind === 'snapshot') {
      e.advanceTo(clock);
      const snap = decodeLaneSnapshot(encodeLaneSnapshot(e.snapshotLane(0)));
      const body = new GraphDecoder([]).decode(snap.body) as { slots: Array<{ containerId: string; timers: unknown[][] }>; timers: unknown[][] };
      const recs = body.slots.flatMap((slot) => slot.timers.map(([rule, key, at, queued]) => [slot.containerId, rule, key, at, queued]));
      held.push({ wake: sorted(body.timers), recs: sorted(recs) });
      e = make();
      e.restoreLane(0, snap);
    } else {
      const c = CONTAINERS[s.c]!;
      const r: Reading = reading(clock, { kind: 'temperature', celsius: i }, { ...c, tripId: s.kind === 'untrip' ? null : c.tripId, delay: 0, id: `s${i}` });
      e.ingest(r);
    }
  });
  return { fired, held };
}

describe('engine timers', () => {
  it('fire as the model says, in its order, through re-arming earlier and later, cancelling, new trips, firing and snapshots', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.constantFrom(0, 10 * MIN), (steps, lateness) => {
        const t0 = T0 + HOUR;
        // a final tick far enough on that every timer set has had its chance
        const all = [...steps, { kind: 'tick' as const, c: 0, gap: 4 * 60 }];
        expect(run(all, lateness, t0)).toEqual(model(all, lateness, t0));
      }),
      { numRuns: 400 },
    );
  });

  it('the model is not trivially met: its runs fire timers, chained ones and re-armed ones among them', () => {
    const steps: Step[] = [
      { kind: 'set', c: 0, gap: 0, rule: 0, key: 0, offset: 30 },
      { kind: 'set', c: 1, gap: 1, rule: 1, key: 0, offset: 20 },
      { kind: 'set', c: 0, gap: 1, rule: 0, key: 0, offset: 5 }, // earlier: wakes before container 1's
      { kind: 'set', c: 1, gap: 1, rule: 1, key: 1, offset: 60 },
      { kind: 'set', c: 1, gap: 1, rule: 1, key: 1, offset: 2 },
      { kind: 'cancel', c: 1, gap: 0, rule: 1, key: 1, offset: 0 },
      { kind: 'tick', c: 0, gap: 240 },
    ];
    const t0 = T0 + HOUR;
    const { fired } = run(steps, 0, t0);
    expect(fired).toEqual(model(steps, 0, t0).fired);
    expect(fired.map(([c, rule, key, at]) => [c.slice(0, 4), rule, key, (at - t0) / MIN])).toEqual([
      ['MSCU', 0, 'a', 7],
      ['TGHU', 1, 'a', 21],
      ['TGHU', 1, 'a', 28], // set again as it fired (21 minutes on is a multiple of 3 minutes)
    ]);
  });
});
