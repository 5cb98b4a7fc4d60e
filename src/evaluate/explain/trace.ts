import type { Config } from '../../config/schema.js';
import type { RuleId } from '../../model/alert.js';
import type { PortTable } from '../../geo/ports.js';
import type { Reading } from '../../model/reading.js';
import type { DeviceContainerMismatch } from '../../normalise/dead-letter.js';
import type { TripDirectory } from '../../trips/directory.js';
import { classifyPlace, onDoorFixTimer, trackDoorOpenings, type DoorOpeningState, type DoorPlace } from '../../rules/door-opening.js';
import { RuleEngine } from '../../rules/engine.js';
import type { CompiledPlan } from '../../trips/compile.js';
import { defineRule, type ContainerView, type Fix, type PrevFix, type Rule, type RuleContext } from '../../rules/rule.js';
import { seaLaneRouter } from '../../geo/sea-router.js';

/**
 * What the rules saw of one container, recorded by running its readings
 * through the real rule engine with two observer rules instead of the ten:
 * the engine alone keeps the view (fix, door, stop anchor, trip activity), so
 * a probe judges exactly the view a rule judged, without re-deriving it.
 */
export interface Step {
  reading: Reading;
  /** The rules evaluated this reading (trip under way); false: before departure, learnt from only. */
  active: boolean;
  plan: CompiledPlan | null;
  fix: Fix | null;
  prevFix: PrevFix | null;
  door: ContainerView['door'];
  doorSince: number;
  doorEventId: string | null;
  doorChanged: boolean;
  stopAnchor: Fix | null;
  inStop: boolean;
  stopOutlier: Fix | null;
  wayKn: number | null;
  arrivedAt: number | null;
}

/**
 * How the door rules placed an opening (door-opening.ts): by the latest fix at
 * the opening; by the next fix (at sea with neither a speed nor a stop the
 * next fix decides, and one within fixMaxAgeMs places it as a fix at the
 * opening would); from the fixes either side (bracket); or not at all, no fix
 * having come within bracketMaxMs (timeout).
 */
export type PlacedBy = 'fix' | 'next-fix' | 'bracket' | 'timeout';

/** A door opening placed by the door rules' own placement code (door-opening.ts). */
export interface PlacedOpening {
  ts: number;
  eventId: string;
  place: DoorPlace;
  /** The stop the placing fix was part of (classifyPlace: stationary whatever the speed), if it was. */
  stop: Fix | null;
  by: PlacedBy;
  /** The last fix before the opening, when the opening waited for the next one. */
  before: Fix | null;
  /** Measurement time of the reading (or timer) that placed it. */
  placedAt: number;
}

export interface Trace {
  containerId: string;
  /** Every decoded reading of the container, in measurement-time order, once per event id (the engine's view or not). */
  readings: Reading[];
  /** The readings the engine handed to the rules (or to their learning), in the order it did. */
  steps: Step[];
  openings: PlacedOpening[];
  /** Readings the engine refused as late (its reasoning had passed their time). */
  late: Reading[];
  /** Readings dead-lettered because no plan binds their device to the container they claim. */
  mismatches: DeviceContainerMismatch[];
  /** The arrival time of the last message of the input (the engine's clock at the end). */
  inputEnd: number;
}

export interface TraceOptions {
  config: Pick<Config, 'engine' | 'rules' | 'trips'>;
  trips: TripDirectory;
  ports: PortTable;
  /** Containers to trace (all when omitted). */
  containers?: ReadonlySet<string>;
}

/**
 * Feeds readings to an engine whose only rules record: call `advance` with
 * every message's arrival time (as replay does, so holds and timers end
 * exactly as they did there) and `reading` with each decoded reading.
 */
export class Tracer {
  private readonly traces = new Map<string, Trace>();
  private readonly seen = new Map<string, Set<string>>();
  private readonly engine: RuleEngine;
  private clock = -Infinity;

  constructor(private readonly opts: TraceOptions) {
    const rules = [stepRecorder((c) => this.trace(c).steps), doorRecorder((c) => this.trace(c).openings)] as Rule[];
    this.engine = new RuleEngine({ config: opts.config, trips: opts.trips, ports: opts.ports, rules, router: seaLaneRouter, output: { alert: () => {}, late: (r) => this.trace(r.containerId).late.push(r) } });
  }

  wants(containerId: string): boolean {
    return !this.opts.containers || this.opts.containers.has(containerId);
  }

  advance(arrival: number): void {
    if (arrival > this.clock) this.clock = arrival;
    this.engine.advanceTo(arrival);
  }

  reading(r: Reading): void {
    if (!this.wants(r.containerId)) return;
    const ids = this.seen.get(r.containerId) ?? this.seen.set(r.containerId, new Set()).get(r.containerId)!;
    if (!ids.has(r.eventId)) {
      ids.add(r.eventId);
      this.trace(r.containerId).readings.push(r);
    }
    this.engine.ingest(r);
  }

  mismatch(m: DeviceContainerMismatch): void {
    if (this.wants(m.claimedContainerId)) this.trace(m.claimedContainerId).mismatches.push(m);
  }

  /** End of input: held readings released, readings sorted by measurement time. */
  finish(): Map<string, Trace> {
    this.engine.flush();
    for (const t of this.traces.values()) {
      t.readings.sort((a, b) => a.ts - b.ts || (a.eventId < b.eventId ? -1 : 1));
      t.inputEnd = this.clock;
    }
    return this.traces;
  }

  private trace(containerId: string): Trace {
    let t = this.traces.get(containerId);
    if (!t) this.traces.set(containerId, (t = { containerId, readings: [], steps: [], openings: [], late: [], mismatches: [], inputEnd: -Infinity }));
    return t;
  }
}

/** Traces readings given in arrival order (tests, small inputs). */
export function traceReadings(readings: readonly Reading[], opts: TraceOptions): Map<string, Trace> {
  const tracer = new Tracer(opts);
  for (const r of [...readings].sort((a, b) => a.receivedAt - b.receivedAt)) {
    tracer.advance(r.receivedAt);
    tracer.reading(r);
  }
  return tracer.finish();
}

// The observer rules' ids only key their state in the engine; they never raise.
const RECORDER = 'EXPLAIN_STEPS' as RuleId;
const DOOR_RECORDER = 'EXPLAIN_DOORS' as RuleId;

function snapshot(r: Reading, v: ContainerView, active: boolean): Step {
  return {
    reading: r,
    active,
    plan: v.plan,
    fix: v.fix,
    prevFix: v.prevFix,
    door: v.door,
    doorSince: v.doorSince,
    doorEventId: v.doorEventId,
    doorChanged: v.doorChanged,
    stopAnchor: v.stopAnchor,
    inStop: v.inStop,
    stopOutlier: v.stopOutlier,
    wayKn: v.wayKn,
    arrivedAt: v.arrivedAt,
  };
}

function stepRecorder(out: (containerId: string) => Step[]): Rule<null> {
  return defineRule<null>({
    id: RECORDER,
    initialState: () => null,
    onReading: (_s, r, ctx) => void out(ctx.view.containerId).push(snapshot(r, ctx.view, true)),
    learn: (_s, r, ctx) => void out(ctx.view.containerId).push(snapshot(r, ctx.view, false)),
  });
}

/** Runs the door rules' placement (trackDoorOpenings) and keeps every place it decides, raising nothing. */
function doorRecorder(out: (containerId: string) => PlacedOpening[]): Rule<DoorOpeningState> {
  const decide = (ctx: RuleContext, r: Reading | null, at: number, waited: DoorOpeningState['pending']) => (place: DoorPlace, opening: { ts: number; eventId: string }) => {
    const view = ctx.view;
    const by = placedBy(place, opening, r, ctx);
    // as classifyPlace asks it: the placing fix is the current one and part of a stop
    const stop = by !== 'bracket' && 'fix' in place && place.fix === view.fix && view.inStop ? view.stopAnchor : null;
    out(view.containerId).push({ ts: opening.ts, eventId: opening.eventId, place, stop, by, before: by === 'fix' ? null : (waited?.before ?? null), placedAt: at });
    return null;
  };
  return defineRule<DoorOpeningState>({
    id: DOOR_RECORDER,
    initialState: () => ({ pending: null }),
    onReading: (state, r, ctx) => trackDoorOpenings(state, r, ctx, decide(ctx, r, r.ts, state.pending)),
    onTimer: (state, at, _key, ctx) => onDoorFixTimer(state, ctx, decide(ctx, null, at, state.pending)),
  });
}

/**
 * Which path of trackDoorOpenings placed an opening: the reading that placed
 * it is the opening itself (its latest fix), or the next fix, which places it
 * as a fix at the opening would when close enough in time and classifyPlace
 * knows (asked again here: it is pure), else from the fixes either side.
 */
function placedBy(place: DoorPlace, opening: { ts: number; eventId: string }, r: Reading | null, ctx: RuleContext): PlacedBy {
  if (r?.eventId === opening.eventId) return 'fix';
  if (r?.kind !== 'location') return 'timeout';
  if (place.kind === 'unknown') return 'bracket';
  const direct = r.ts - opening.ts <= ctx.rules.doorOpen.fixMaxAgeMs && classifyPlace(ctx.view.fix, opening.ts, ctx).kind !== 'unknown';
  return direct ? 'next-fix' : 'bracket';
}
