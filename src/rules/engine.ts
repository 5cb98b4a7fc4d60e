import type { Config } from '../config/schema.js';
import { alertId, type Alert } from '../model/alert.js';
import type { PortTable } from '../model/ports.js';
import type { Reading } from '../model/reading.js';
import type { TripDirectory } from '../normalise/trip-directory.js';
import { Heap } from './heap.js';
import { kmBetween, knots } from './motion.js';
import { compilePlan, locateInZones, type CompiledPlan, type SeaRouter, type ZoneFix } from './plan.js';
import type { ContainerView, Fix, RaisedAlert, Rule, RuleContext } from './rule.js';

export interface EngineOutput {
  /** `arrival`: arrival time of the reading being processed (or the lane clock, for a timer). */
  alert(alert: Alert, arrival: number): void;
  /** A reading that came after the container's reasoning had passed its time: kept, counted, not evaluated. */
  late(reading: Reading, detail: string): void;
}

export interface EngineOptions {
  config: Pick<Config, 'engine' | 'rules' | 'trips'>;
  trips: TripDirectory;
  ports: PortTable;
  rules: readonly Rule[];
  output: EngineOutput;
  /** Computes the planned track of a plan that has no `route` (sea routing between its ports). */
  router?: SeaRouter;
}

export interface EngineStats {
  readingsIn: number;
  processed: number;
  late: number;
  duplicates: number;
  held: number;
  containers: number;
  timersFired: number;
  alerts: number;
}

interface Slot {
  view: ContainerView;
  tripId: string | null;
  states: unknown[];
  /** Readings waiting for release, sorted by (ts, eventId). */
  held: Reading[];
  /** Measurement time up to which this container has been reasoned about. */
  position: number;
  /** Release bound from matured arrivals: the largest ts of a reading whose hold has expired. */
  theta: number;
  /** Arrival time of the container's latest reading. */
  lastArrival: number;
  /** Event ids already evaluated at exactly `position`, so a duplicate at that time is not evaluated twice. */
  atPosition: string[];
  timers: Map<string, TimerState>;
  zoneCache: WeakMap<Fix, ZoneFix>;
  lane: Lane;
}

interface Maturity { at: number; seq: number; slot: Slot; ts: number }
/**
 * A queued wake-up of one (container, rule, key) timer; `due` orders the heap.
 * The timer's own event time lives in the slot's map, so re-arming a timer
 * later (as a rule does on every reading) costs no new heap entry: at most one
 * entry per timer is queued, and a popped one that is early re-queues itself.
 */
interface Timer { due: number; containerId: string; ruleIdx: number; key: string }
interface TimerState { at: number; queued: number }

/**
 * One ordered input stream (a Kafka partition; the whole stream when
 * embedded). Each lane has its own arrival clock, so a partition consumed
 * ahead of another never makes the other's readings look late: a container's
 * reasoning depends only on its own readings and its own lane's clock, which
 * is why the embedded single stream and Kafka's partitions give the same
 * alerts.
 */
class Lane {
  clock = -Infinity;
  readonly maturities = new Heap<Maturity>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  readonly timers = new Heap<Timer>((a, b) => a.due < b.due || (a.due === b.due && (a.containerId < b.containerId || (a.containerId === b.containerId && (a.ruleIdx < b.ruleIdx || (a.ruleIdx === b.ruleIdx && a.key < b.key))))));
  readonly dirty = new Set<Slot>();
}

/**
 * The event-time rule engine. Per container, readings are held for a short
 * arrival-time window and released in measurement-time order; once a
 * container's reasoning has passed a time, an older reading is late (sent to
 * the late output, never silently dropped). Timers fire when the arrival
 * clock, less the allowed lateness, passes them: a silence is believed only
 * once store-and-forward had its chance to fill it. The clock is the arrival
 * time carried by the readings themselves (recorded in captures), so a replay
 * at any speed reasons exactly as the live run did. No wall clock here.
 */
export class RuleEngine {
  private readonly slots = new Map<string, Slot>();
  private readonly lanes = new Map<number, Lane>();
  private readonly plans = new Map<string, CompiledPlan | null>();
  private readonly window: number;
  private readonly lateness: number;
  private seq = 0;
  private readonly ctx: EngineContext;
  readonly stats: EngineStats = { readingsIn: 0, processed: 0, late: 0, duplicates: 0, held: 0, containers: 0, timersFired: 0, alerts: 0 };

  constructor(private readonly opts: EngineOptions) {
    this.window = opts.config.engine.reorderWindowMs;
    this.lateness = opts.config.engine.allowedLatenessMs;
    this.ctx = new EngineContext(this, opts);
    opts.trips.onChange((plan) => this.plans.delete(plan.tripId));
  }

  private lane(id: number): Lane {
    let l = this.lanes.get(id);
    if (!l) this.lanes.set(id, (l = new Lane()));
    return l;
  }

  /** A lane's arrival clock: the latest arrival time seen or advanced to. */
  arrivalClock(lane = 0): number {
    return this.lanes.get(lane)?.clock ?? -Infinity;
  }

  /** A lane's event-time watermark for timers. */
  watermark(lane = 0): number {
    return this.arrivalClock(lane) - this.lateness;
  }

  /** One reading from input stream `lane` (a container's readings must all come through one lane). */
  ingest(r: Reading, laneId = 0): void {
    this.stats.readingsIn++;
    this.advanceTo(r.receivedAt, laneId);
    const slot = this.slot(r, laneId);
    const lane = slot.lane;
    if (r.receivedAt > slot.lastArrival) slot.lastArrival = r.receivedAt;
    if (r.ts === slot.position && slot.atPosition.includes(r.eventId)) {
      this.stats.duplicates++;
      return;
    }
    if (r.ts < slot.position) {
      this.stats.late++;
      this.opts.output.late(r, `measured ${new Date(r.ts).toISOString()}, but ${r.containerId} was already evaluated up to ${new Date(slot.position).toISOString()}`);
      return;
    }
    if (!insertSorted(slot.held, r)) {
      this.stats.duplicates++;
      return;
    }
    this.stats.held++;
    const at = Math.max(r.receivedAt, lane.clock) + this.window;
    if (this.window === 0) {
      if (r.ts > slot.theta) slot.theta = r.ts;
      this.release(slot, slot.theta);
    } else lane.maturities.push({ at, seq: this.seq++, slot, ts: r.ts });
  }

  /** Moves a lane's arrival clock forward: releases matured readings and fires due timers. */
  advanceTo(arrival: number, laneId = 0): void {
    const lane = this.lane(laneId);
    if (!(arrival > lane.clock)) return;
    lane.clock = arrival;
    this.mature(lane, arrival);
    const wm = lane.clock - this.lateness;
    for (let t = lane.timers.peek(); t && t.due <= wm; t = lane.timers.peek()) {
      lane.timers.pop();
      const slot = this.slots.get(t.containerId)!;
      const key = `${t.ruleIdx}:${t.key}`;
      const state = slot.timers.get(key);
      if (!state || state.queued !== t.due) continue; // cancelled, or a stale entry of a re-queued timer
      // A container still delivering (a store-and-forward backlog arriving now) is not silent:
      // its timers wait until it has been quiet, in arrival time, for the allowed lateness too.
      const due = Math.max(state.at, slot.lastArrival);
      if (due > wm) {
        state.queued = due;
        lane.timers.push({ ...t, due });
        continue;
      }
      this.release(slot, Math.max(slot.theta, state.at));
      if (slot.timers.get(key) !== state) continue; // a released reading cancelled it
      if (state.at > wm) {
        // a released reading re-armed it for later
        state.queued = state.at;
        lane.timers.push({ ...t, due: state.at });
        continue;
      }
      slot.timers.delete(key);
      if (state.at > slot.position) {
        slot.position = state.at;
        slot.atPosition.length = 0;
      }
      this.fire(slot, state.at, t.ruleIdx, t.key);
    }
    for (const slot of lane.dirty) this.release(slot, Math.max(slot.theta, wm));
    lane.dirty.clear();
  }

  /**
   * Live mode only: when no message has arrived for a while, held readings
   * whose hold has expired by `arrival` are released (every lane, or one).
   * Timers do not move.
   */
  releaseHeld(arrival: number, laneId?: number): void {
    for (const [id, lane] of this.lanes) {
      if (laneId !== undefined && id !== laneId) continue;
      this.mature(lane, arrival);
      for (const slot of lane.dirty) this.release(slot, slot.theta);
      lane.dirty.clear();
    }
  }

  /** End of input (replay): every held reading is released; timers stay where the data left them. */
  flush(): void {
    this.releaseHeld(Infinity);
  }

  private mature(lane: Lane, arrival: number): void {
    for (let m = lane.maturities.peek(); m && m.at <= arrival; m = lane.maturities.peek()) {
      lane.maturities.pop();
      if (m.ts > m.slot.theta) m.slot.theta = m.ts;
      lane.dirty.add(m.slot);
    }
  }

  private release(slot: Slot, upTo: number): void {
    let n = 0;
    while (n < slot.held.length && slot.held[n]!.ts <= upTo) n++;
    if (n === 0) return;
    const batch = slot.held.splice(0, n);
    this.stats.held -= n;
    for (const r of batch) this.process(slot, r);
  }

  private slot(r: Reading, laneId: number): Slot {
    let s = this.slots.get(r.containerId);
    if (!s) {
      s = {
        view: { containerId: r.containerId, deviceId: r.deviceId, plan: null, active: false, fix: null, prevFix: null, door: 'unknown', doorSince: r.ts, doorEventId: null, doorChanged: false, stopAnchor: null, lastTs: -Infinity, arrivedAt: null },
        tripId: null,
        states: [],
        held: [],
        position: -Infinity,
        theta: -Infinity,
        lastArrival: -Infinity,
        atPosition: [],
        timers: new Map(),
        zoneCache: new WeakMap(),
        lane: this.lane(laneId),
      };
      this.slots.set(r.containerId, s);
      this.stats.containers++;
    } else if (s.lane !== this.lanes.get(laneId)) {
      s.lane = this.lane(laneId); // the container's partition moved; its pending timers still fire from the old lane
    }
    return s;
  }

  private plan(tripId: string | null): CompiledPlan | null {
    if (tripId === null) return null;
    let p = this.plans.get(tripId);
    if (p === undefined) {
      const plan = this.opts.trips.get(tripId);
      p = plan ? compilePlan(plan, this.opts.ports, this.opts.config.trips, this.opts.router) : null;
      this.plans.set(tripId, p);
    }
    return p;
  }

  private currentArrival = 0;

  private process(slot: Slot, r: Reading): void {
    this.stats.processed++;
    this.currentArrival = r.receivedAt;
    if (r.ts > slot.position) {
      slot.position = r.ts;
      slot.atPosition.length = 0;
    }
    slot.atPosition.push(r.eventId);
    const v = slot.view;
    if (r.tripId !== slot.tripId) {
      slot.tripId = r.tripId;
      slot.states = this.opts.rules.map((rule) => rule.initialState());
      slot.timers.clear();
      v.arrivedAt = null;
      v.stopAnchor = null;
      slot.zoneCache = new WeakMap();
    }
    const plan = this.plan(r.tripId);
    v.plan = plan;
    v.deviceId = r.deviceId;
    v.doorChanged = false;
    if (r.kind === 'location') {
      v.prevFix = v.fix;
      const fix: Fix = { ts: r.ts, lat: r.lat, lon: r.lon, speedKn: r.speedKn ?? null, hdop: r.hdop ?? null, eventId: r.eventId };
      v.fix = fix;
      // A stop begins at the first fix that is itself stationary: reported speed at most the
      // limit, or (no speed reported) no faster than the limit since the previous fix.
      const st = this.opts.config.rules.stationary;
      const prev = v.prevFix;
      const underWay = fix.speedKn !== null ? fix.speedKn > st.maxSpeedKn : prev !== null && fix.ts > prev.ts && knots(Math.max(0, kmBetween(prev, fix) - 0.05), fix.ts - prev.ts) > st.maxSpeedKn;
      const a = v.stopAnchor;
      if (underWay) v.stopAnchor = null;
      else if (!a || kmBetween(a, fix) > st.radiusKm) v.stopAnchor = fix;
    } else if (r.kind === 'door') {
      const next = r.open ? 'open' : 'closed';
      if (next !== v.door) {
        v.doorChanged = v.door !== 'unknown' || r.open;
        v.door = next;
        v.doorSince = r.ts;
        v.doorEventId = r.eventId;
      }
    }
    v.lastTs = r.ts;
    v.active = plan !== null && r.ts >= plan.departure && r.ts <= plan.activeUntil && v.arrivedAt === null;
    if (!v.active) {
      // Before departure a bound container raises nothing, but rules that need history may learn from it.
      if (plan !== null && r.ts < plan.departure) {
        const rules = this.opts.rules;
        for (let i = 0; i < rules.length; i++) {
          const learn = rules[i]!.learn;
          if (!learn) continue;
          this.ctx.bind(slot, i);
          learn(slot.states[i], r, this.ctx);
        }
      }
      return;
    }
    const rules = this.opts.rules;
    for (let i = 0; i < rules.length; i++) {
      this.ctx.bind(slot, i);
      rules[i]!.onReading(slot.states[i], r, this.ctx);
    }
    if (r.kind === 'location' && plan!.destinationZones.length > 0 && r.ts >= plan!.departure) {
      const z = locateInZones(plan!.destinationZones, r.lat, r.lon);
      if (z.inside) v.arrivedAt = r.ts;
    }
  }

  private fire(slot: Slot, at: number, ruleIdx: number, key: string): void {
    this.stats.timersFired++;
    this.currentArrival = slot.lane.clock;
    const v = slot.view;
    const plan = v.plan;
    if (!plan || v.arrivedAt !== null || at > plan.activeUntil) return;
    const rule = this.opts.rules[ruleIdx]!;
    if (!rule.onTimer) return;
    v.active = true;
    v.doorChanged = false;
    this.ctx.bind(slot, ruleIdx);
    rule.onTimer(slot.states[ruleIdx], at, key, this.ctx);
  }

  /** @internal used by the context */
  emit(slot: Slot, ruleIdx: number, a: RaisedAlert): void {
    const rule = this.opts.rules[ruleIdx]!;
    const v = slot.view;
    const alert: Alert = {
      alertId: alertId(rule.id, v.containerId, slot.tripId, a.incidentKey),
      rule: rule.id,
      severity: a.severity,
      containerId: v.containerId,
      tripId: slot.tripId,
      deviceId: v.deviceId,
      startedAt: new Date(a.startedAt).toISOString(),
      detectedAt: new Date(a.detectedAt).toISOString(),
      location: a.location ? { lat: round(a.location.lat, 5), lon: round(a.location.lon, 5) } : null,
      summary: a.summary,
      evidence: a.evidence,
    };
    if (a.details) alert.details = a.details;
    this.stats.alerts++;
    this.opts.output.alert(alert, this.currentArrival);
  }

  /** @internal */
  setTimer(slot: Slot, ruleIdx: number, at: number, key: string): void {
    const k = `${ruleIdx}:${key}`;
    let state = slot.timers.get(k);
    if (state) {
      state.at = at;
      if (state.queued <= at) return; // the queued entry wakes first and re-queues for `at`
    } else {
      state = { at, queued: Infinity };
      slot.timers.set(k, state);
    }
    state.queued = at;
    slot.lane.timers.push({ due: at, containerId: slot.view.containerId, ruleIdx, key });
  }

  /** @internal */
  cancelTimer(slot: Slot, ruleIdx: number, key: string): void {
    slot.timers.delete(`${ruleIdx}:${key}`);
  }

  /** @internal */
  zones(slot: Slot, fix: Fix): ZoneFix {
    let z = slot.zoneCache.get(fix);
    if (!z) {
      z = slot.view.plan ? locateInZones(slot.view.plan.zones, fix.lat, fix.lon) : { inside: null, nearest: null, nearestKm: Infinity };
      slot.zoneCache.set(fix, z);
    }
    return z;
  }
}

class EngineContext implements RuleContext {
  private slot!: Slot;
  private ruleIdx = 0;
  readonly rules: Config['rules'];
  readonly ports: PortTable;

  constructor(private readonly engine: RuleEngine, opts: EngineOptions) {
    this.rules = opts.config.rules;
    this.ports = opts.ports;
  }

  bind(slot: Slot, ruleIdx: number): void {
    this.slot = slot;
    this.ruleIdx = ruleIdx;
  }

  get view(): ContainerView {
    return this.slot.view;
  }

  zones(fix: Fix): ZoneFix {
    return this.engine.zones(this.slot, fix);
  }

  raise(alert: RaisedAlert): void {
    this.engine.emit(this.slot, this.ruleIdx, alert);
  }

  setTimer(at: number, key: string): void {
    this.engine.setTimer(this.slot, this.ruleIdx, at, key);
  }

  cancelTimer(key: string): void {
    this.engine.cancelTimer(this.slot, this.ruleIdx, key);
  }
}

/** Inserts keeping (ts, eventId) order; false when the same event id is already held. */
function insertSorted(held: Reading[], r: Reading): boolean {
  let i = held.length;
  while (i > 0) {
    const h = held[i - 1]!;
    if (h.ts < r.ts || (h.ts === r.ts && h.eventId < r.eventId)) break;
    if (h.eventId === r.eventId) return false;
    i--;
  }
  for (let j = i - 1; j >= 0 && held[j]!.ts === r.ts; j--) if (held[j]!.eventId === r.eventId) return false;
  held.splice(i, 0, r);
  return true;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
