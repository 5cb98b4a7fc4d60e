import type { TripPlan } from './schema.js';

export interface BindingWindow {
  bindBeforeDepartureMs: number;
  activeAfterEtaMs: number;
}

interface Entry {
  plan: TripPlan;
  departure: number;
  from: number;
  until: number;
}

/**
 * Which trip plan binds a device or a container at a given measurement time.
 * A plan binds from `departure - bindBeforeDepartureMs` (containers wait at
 * the origin terminal with the device on) to `eta + activeAfterEtaMs`.
 */
export class TripDirectory {
  private readonly byId = new Map<string, Entry>();
  private readonly byDevice = new Map<string, Entry[]>();
  private readonly byContainer = new Map<string, Entry[]>();
  private listeners: Array<(plan: TripPlan) => void> = [];
  private changes = 0;
  /**
   * Set by the `...Spanned` lookups: the measurement times [spanFrom,
   * spanUntil) around the asked time over which the same lookup gives the
   * same answer while `version` stays (for whole-millisecond times, as
   * readings have). The normaliser memoises answers per device with it.
   */
  spanFrom = Number.NEGATIVE_INFINITY;
  spanUntil = Number.POSITIVE_INFINITY;

  constructor(
    private readonly window: BindingWindow,
    plans: Iterable<TripPlan> = [],
  ) {
    for (const p of plans) this.upsert(p);
  }

  /** Adds or replaces a plan (by tripId). */
  upsert(plan: TripPlan): void {
    const old = this.byId.get(plan.tripId);
    if (old) {
      remove(this.byDevice, old.plan.deviceId, old);
      remove(this.byContainer, old.plan.containerId, old);
    }
    const departure = Date.parse(plan.departure);
    const entry: Entry = { plan, departure, from: departure - this.window.bindBeforeDepartureMs, until: Date.parse(plan.eta) + this.window.activeAfterEtaMs };
    this.byId.set(plan.tripId, entry);
    insert(this.byDevice, plan.deviceId, entry);
    insert(this.byContainer, plan.containerId, entry);
    this.changes++;
    for (const l of this.listeners) l(plan);
  }

  /** Changes with every upsert: an answer memoised at one version holds while it stays. */
  get version(): number {
    return this.changes;
  }

  /** Calls `listener` with every plan upserted from now on, until the function returned is called. */
  onChange(listener: (plan: TripPlan) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  get(tripId: string): TripPlan | undefined {
    return this.byId.get(tripId)?.plan;
  }

  all(): TripPlan[] {
    return [...this.byId.values()].map((e) => e.plan);
  }

  get size(): number {
    return this.byId.size;
  }

  forDevice(deviceId: string, ts: number): TripPlan | null {
    return pick(this.byDevice.get(deviceId), ts);
  }

  forContainer(containerId: string, ts: number): TripPlan | null {
    return pick(this.byContainer.get(containerId), ts);
  }

  /** `forDevice`, setting `spanFrom`/`spanUntil`. */
  forDeviceSpanned(deviceId: string, ts: number): TripPlan | null {
    const list = this.byDevice.get(deviceId);
    this.spanFrom = Number.NEGATIVE_INFINITY;
    this.spanUntil = Number.POSITIVE_INFINITY;
    if (list) for (const e of list) this.narrowTo(e, ts, true);
    return pick(list, ts);
  }

  /** `forContainer`, setting `spanFrom`/`spanUntil`. */
  forContainerSpanned(containerId: string, ts: number): TripPlan | null {
    const list = this.byContainer.get(containerId);
    this.spanFrom = Number.NEGATIVE_INFINITY;
    this.spanUntil = Number.POSITIVE_INFINITY;
    if (list) for (const e of list) this.narrowTo(e, ts, true);
    return pick(list, ts);
  }

  /** `binding`, narrowing (not resetting) `spanFrom`/`spanUntil`: called after `forContainerSpanned` for the pair's joint span. */
  bindingNarrowed(deviceId: string, containerId: string, ts: number): TripPlan | null {
    const list = this.byDevice.get(deviceId);
    if (list) for (const e of list) if (e.plan.containerId === containerId) this.narrowTo(e, ts, false);
    return this.binding(deviceId, containerId, ts);
  }

  /**
   * Narrows the span to the times where each of the entry's tests (ts >= from,
   * ts > until, and with `departure` ts >= departure) answers as at ts.
   * `ts > until` is `ts >= floor(until) + 1` for whole-millisecond times; NaN
   * bounds answer false at every time and narrow nothing.
   */
  private narrowTo(e: Entry, ts: number, departure: boolean): void {
    this.narrowAt(e.from, ts);
    this.narrowAt(Math.floor(e.until) + 1, ts);
    if (departure) this.narrowAt(e.departure, ts);
  }

  private narrowAt(b: number, ts: number): void {
    if (ts >= b) {
      if (b > this.spanFrom) this.spanFrom = b;
    } else if (ts < b && b < this.spanUntil) this.spanUntil = b;
  }

  /**
   * A plan whose window holds ts and that binds exactly this device to this
   * container, if any. Overlapping windows (a device or box reused while the
   * previous trip is in its grace period) never make a bound pair look
   * mismatched: any active plan naming the pair is enough.
   */
  binding(deviceId: string, containerId: string, ts: number): TripPlan | null {
    for (const e of this.byDevice.get(deviceId) ?? []) if (e.plan.containerId === containerId && ts >= e.from && ts <= e.until) return e.plan;
    return null;
  }
}

function insert(index: Map<string, Entry[]>, key: string, entry: Entry) {
  const list = index.get(key) ?? [];
  list.push(entry);
  list.sort((a, b) => a.departure - b.departure || (a.plan.tripId < b.plan.tripId ? -1 : 1));
  index.set(key, list);
}

function remove(index: Map<string, Entry[]>, key: string, entry: Entry) {
  const list = index.get(key);
  if (!list) return;
  const i = list.indexOf(entry);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) index.delete(key);
}

/**
 * Of the plans whose window holds ts: the one that departed last before ts
 * (a newer trip supersedes an older one still in its grace period), or, when
 * none has departed yet, the one departing first.
 */
function pick(list: Entry[] | undefined, ts: number): TripPlan | null {
  if (!list) return null;
  let departed: Entry | null = null;
  let upcoming: Entry | null = null;
  for (const e of list) {
    if (ts < e.from || ts > e.until) continue;
    if (e.departure <= ts)
      departed = e; // list is sorted by departure: the last one wins
    else if (!upcoming) upcoming = e;
  }
  return (departed ?? upcoming)?.plan ?? null;
}
