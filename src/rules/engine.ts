import type { Config } from '../config/schema.js';
import type { RuleLookup } from '../config/rule-history.js';
import { alertId, type Alert } from '../model/alert.js';
import type { PortTable } from '../geo/ports.js';
import { oneShape, READING_KINDS, type Reading, type ReadingKind } from '../model/reading.js';
import type { TripDirectory } from '../trips/directory.js';
import { type HeapPlace, IndexedHeap } from '../heap.js';
import { compilePlan, insideAnyZone, locateInZones, type CompiledPlan, type SeaRouter, type ZoneFix } from '../trips/compile.js';
import { type ContainerView, DOOR_STATES, type DoorState, type Fix, type PrevFix, type RaisedAlert, type Rule, type RuleContext } from './rule.js';
import { trackStop } from './stop-tracker.js';
import { U32_MAX } from './bounded-list.js';
import { gunzipSync, gzipSync } from 'node:zlib';
import { swError } from '../errors.js';
import { RollingBaseline, type SavedBaseline, slabBulk } from './rolling-baseline.js';
import { AnomalyState } from './temperature-anomaly.js';
import { GraphDecoder, GraphEncoder, type Json, type SnapshotClass } from './snapshot-codec.js';

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
  /** Thresholds changed while running (src/config/rule-history.ts): ctx.rules is the version in force at the container's reasoning time, recorded on each alert; absent: config.rules throughout. */
  ruleTimeline?: RuleLookup;
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

// bits of SlotColumns.flags
const ACTIVE = 1;
const DOOR_CHANGED = 2;
const IN_STOP = 4;
const DIRTY = 8;
/** wayKn holds a number (clear: null). */
const HAS_WAY = 16;
/** arrivedAt holds a number (clear: null). */
const HAS_ARRIVED = 32;
/** The rules' states are set (a trip has started; clear: none, a snapshot's empty list). */
const HAS_STATES = 64;
/**
 * Another lane's holds, timers or dirty list may name the container (it
 * moved lanes, or a restored lane's entries resolved to it in its lane): its
 * lane dropped, it keeps a private copy of its numbers (Slot.detach); one
 * without is forgotten outright (Slot.forget).
 */
const ELSEWHERE = 128;

// bits of SlotColumns.prevBits: the fix before the latest (prevFix) is held, and which of its optional numbers are
const PREV_HELD = 1;
const PREV_SPEED = 2;
const PREV_HDOP = 4;

// SlotColumns' header bytes (the first word of a record)
const B_FLAGS = 0;
const B_DOOR = 1;
const B_PREV_BITS = 2;
// SlotColumns' float64 words of a record, after the header word; the ones every reading touches first
const W_POSITION = 1;
const W_THETA = 2;
const W_LAST_ARRIVAL = 3;
const W_LAST_TS = 4;
const W_PLAN_EPOCH = 5;
const W_DOOR_SINCE = 6;
const W_ARRIVED_AT = 7;
const W_WAY_KN = 8;
const W_ZONE_EPOCH = 9;
/** The fix before the latest, as numbers (the prevBits byte says whether there is one, and which of speed and hdop it has). */
const W_PREV_TS = 10;
const W_PREV_LAT = 11;
const W_PREV_LON = 12;
const W_PREV_SPEED = 13;
const W_PREV_HDOP = 14;
/** Words of a record the engine's own numbers take (the header word included); the rules' cells follow. */
const ENGINE_WORDS = 15;

/**
 * Where a container's numbers lie in its record: the header word (flags,
 * door, prevBits, a byte each), the engine's numbers (the W_ words), every
 * rule's cells in rule order, then every rule's 32-bit cells, the whole
 * rounded up to whole 8-byte words.
 */
class RecordLayout {
  /** Record size in 8-byte words. */
  readonly words: number;
  /** Per rule, the word of the record its first cell is at (Rule.cells). */
  readonly cellAt: number[] = [];
  /** Per rule, the 4-byte place in the record of its first 32-bit cell (Rule.cells32). */
  readonly cell32At: number[] = [];
  constructor(
    /** Per rule, its cells' values at a new trip (empty: none). */
    readonly initials: ReadonlyArray<readonly number[]>,
    /** Per rule, its 32-bit cells' values at a new trip (empty: none). */
    readonly initials32: ReadonlyArray<readonly number[]>,
  ) {
    let word = ENGINE_WORDS;
    for (const init of initials) {
      this.cellAt.push(word);
      word += init.length;
    }
    let quad = 2 * word;
    for (const init of initials32) {
      this.cell32At.push(quad);
      quad += init.length;
    }
    this.words = Math.ceil(quad / 2);
  }
}

/**
 * The numbers of up to `capacity` containers, a record each (a page of the
 * engine's ColumnPages): one buffer, seen as bytes, float64s and uint32s, so
 * a container's times, epochs, flags and rule cells are neither object fields
 * nor boxed doubles, and lie together. A record per container, not a column
 * per number: what one reading touches (its container's times and flags and
 * its rules' cells) shares a few cache lines, where columns put each number
 * on a line of its own, at 100,000 containers nearly every one a miss. The
 * rules' states are kept the same way: a container's one after another.
 * Entries freed by a dropped container are given out again. A page never
 * grows: more containers take a new page, so nothing is copied and at most
 * the newest page is partly empty (a growing array left up to a third of
 * itself unused after each growth).
 */
class SlotColumns {
  readonly f: Float64Array;
  readonly u: Uint32Array;
  readonly b: Uint8Array;
  /** Each entry's state of each rule (null for an idle one, Rule.idle, or before a trip): entry `no`'s from `rules * no`. */
  readonly states: unknown[];
  /** How many rules (states per entry). */
  readonly rules: number;
  private used = 0;
  private readonly free: number[] = [];

  constructor(
    readonly capacity: number,
    readonly layout: RecordLayout,
  ) {
    const buffer = new ArrayBuffer(capacity * layout.words * 8);
    this.f = new Float64Array(buffer);
    this.u = new Uint32Array(buffer);
    this.b = new Uint8Array(buffer);
    this.rules = layout.initials.length;
    this.states = new Array<unknown>(capacity * this.rules).fill(null);
  }

  /** Sets container `no`'s cells of every rule to their values at a new trip. */
  resetCells(no: number): void {
    const { initials, initials32, cellAt, cell32At, words } = this.layout;
    const at = no * words;
    for (let i = 0; i < initials.length; i++) {
      const init = initials[i]!;
      if (init.length > 0) this.f.set(init, at + cellAt[i]!);
      const init32 = initials32[i]!;
      if (init32.length > 0) this.u.set(init32, 2 * at + cell32At[i]!);
    }
  }

  /** Where container `no`'s cells are, in a snapshot's order: every rule's cells in rule order, then every rule's 32-bit cells. */
  private cellPlaces(no: number): Array<[Float64Array | Uint32Array, number]> {
    const { initials, initials32, cellAt, cell32At, words } = this.layout;
    const out: Array<[Float64Array | Uint32Array, number]> = [];
    const at = no * words;
    for (let i = 0; i < initials.length; i++) for (let k = 0; k < initials[i]!.length; k++) out.push([this.f, at + cellAt[i]! + k]);
    for (let i = 0; i < initials32.length; i++) for (let k = 0; k < initials32[i]!.length; k++) out.push([this.u, 2 * at + cell32At[i]! + k]);
    return out;
  }

  /** Container `no`'s cells as plain numbers (a snapshot's), in cellPlaces' order. */
  cellsOf(no: number): number[] {
    return this.cellPlaces(no).map(([a, i]) => a[i]!);
  }

  /**
   * Puts cellsOf's numbers back as container `no`'s (false, nothing changed,
   * when they are not as many as the rules' cells, or one meant for a 32-bit
   * cell is not a whole number from 0 to 2^32 - 1).
   */
  setCellsOf(no: number, values: readonly number[]): boolean {
    const places = this.cellPlaces(no);
    const fits = (v: unknown, a: Float64Array | Uint32Array) => typeof v === 'number' && (a instanceof Float64Array || (Number.isInteger(v) && v >= 0 && v <= U32_MAX));
    if (values.length !== places.length || !places.every(([a], j) => fits(values[j], a))) return false;
    places.forEach(([a, i], j) => {
      a[i] = values[j]!;
    });
    return true;
  }

  /** Whether take has an entry to give. */
  get roomy(): boolean {
    return this.free.length > 0 || this.used < this.capacity;
  }

  /** An entry (there must be room), set as a new container's. */
  take(doorSince: number): number {
    let no = this.free.pop();
    if (no === undefined) {
      if (this.used === this.capacity) throw new Error('SlotColumns.take: the page is full');
      no = this.used++;
    }
    const at = no * this.layout.words;
    const f = this.f;
    f[at] = 0; // the header: flags, door, prevBits
    f[at + W_POSITION] = -Infinity;
    f[at + W_THETA] = -Infinity;
    f[at + W_LAST_ARRIVAL] = -Infinity;
    f[at + W_LAST_TS] = -Infinity;
    f[at + W_PLAN_EPOCH] = -1;
    f[at + W_DOOR_SINCE] = doorSince;
    f[at + W_ARRIVED_AT] = 0;
    f[at + W_WAY_KN] = 0;
    f[at + W_ZONE_EPOCH] = 0;
    this.resetCells(no);
    return no;
  }

  /** Gives a number back (its container no longer reads it); its states are let go. */
  release(no: number): void {
    this.states.fill(null, no * this.rules, (no + 1) * this.rules);
    this.free.push(no);
  }

  /** Copies entry `from` of `src` (of the same layout) into entry `to` of this. */
  copyFrom(src: SlotColumns, from: number, to: number): void {
    const w = this.layout.words;
    this.f.set(src.f.subarray(w * from, w * from + w), w * to);
    const n = this.rules;
    for (let i = 0; i < n; i++) this.states[n * to + i] = src.states[n * from + i];
  }
}

/** Pages are 64 entries at first, each twice the one before up to this. */
const PAGE_MOST = 4096;

/** The engine's SlotColumns pages: a new container takes an entry of the first page with room. */
class ColumnPages {
  private readonly pages: SlotColumns[] = [];
  /** Pages before this one have no room (a container dropped moves it back). */
  private firstRoomy = 0;
  constructor(readonly layout: RecordLayout) {}

  /** A page with an entry to take. */
  withRoom(): SlotColumns {
    for (let i = this.firstRoomy; i < this.pages.length; i++) {
      if (this.pages[i]!.roomy) {
        this.firstRoomy = i;
        return this.pages[i]!;
      }
    }
    const last = this.pages.at(-1);
    const page = new SlotColumns(last ? Math.min(PAGE_MOST, 2 * last.capacity) : 64, this.layout);
    this.pages.push(page);
    this.firstRoomy = this.pages.length - 1;
    return page;
  }

  private inertPage: SlotColumns | null = null;
  /** A one-entry page of no container's (Slot.forget). */
  inert(): SlotColumns {
    if (this.inertPage === null) {
      this.inertPage = new SlotColumns(1, this.layout);
      this.inertPage.take(0);
    }
    return this.inertPage;
  }

  /** Gives entry `no` of `page` back. */
  release(page: SlotColumns, no: number): void {
    page.release(no);
    const i = this.pages.indexOf(page);
    if (i >= 0 && i < this.firstRoomy) this.firstRoomy = i;
  }
}

/**
 * The engine's record of one container: the view the rules read (the slot is
 * the view, one object per container) and the engine's own bookkeeping. Its
 * numbers and flags live in the engine's SlotColumns at the slot's container
 * number (the accessors below read and write them there); the record holds
 * the references only.
 */
class Slot implements ContainerView {
  deviceId: string;
  plan: CompiledPlan | null = null;
  fix: Fix | null = null;
  doorEventId: string | null = null;
  stopAnchor: Fix | null = null;
  stopOutlier: Fix | null = null;
  tripId: string | null = null;
  /** Readings waiting for release, sorted by (ts, eventId). */
  held: Reading[] | null = null;
  /** Event ids already evaluated at exactly `position` (the first, then any more), so a duplicate at that time is not evaluated twice. */
  atPosition: string | null = null;
  atPositionMore: string[] | null = null;
  /** Live timers of this container (few: one per rule and key), linked through `next` in the order they were set. */
  timers: Timer | null = null;
  /** The page holding this container's numbers, its entry in it, and where the entry's record starts (float64 words). */
  private cols: SlotColumns;
  private no: number;
  private at: number;
  constructor(
    readonly containerId: string,
    deviceId: string,
    doorSince: number,
    public lane: Lane,
    pages: ColumnPages,
  ) {
    this.deviceId = deviceId;
    this.cols = pages.withRoom();
    this.no = this.cols.take(doorSince);
    this.at = this.no * this.cols.layout.words;
  }

  /** Points the slot at entry `no` of `cols`. */
  private place(cols: SlotColumns, no: number): void {
    this.cols = cols;
    this.no = no;
    this.at = no * cols.layout.words;
  }

  /**
   * Gives the slot's entry back to the shared columns, keeping a private copy
   * of its numbers: a dropped slot may still be reached (a timer queued in
   * another lane), and must then read what it held, never the entry's next
   * owner.
   */
  detach(pages: ColumnPages): void {
    const own = new SlotColumns(1, this.cols.layout);
    own.take(0);
    own.copyFrom(this.cols, this.no, 0);
    pages.release(this.cols, this.no);
    this.place(own, 0);
  }

  /**
   * Gives the slot's entry back to the shared columns outright, for a slot
   * nothing will reach again (its lane dropped, no other lane naming it: not
   * ELSEWHERE). It is pointed at the columns' inert entry, so even a stray
   * read or write could never touch the entry's next owner.
   */
  forget(pages: ColumnPages): void {
    pages.release(this.cols, this.no);
    this.place(pages.inert(), 0);
  }

  /** Another lane may name this container (ELSEWHERE). */
  get elsewhere(): boolean {
    return this.flag(ELSEWHERE);
  }
  set elsewhere(on: boolean) {
    this.setFlag(ELSEWHERE, on);
  }

  /** Rule `i`'s state for this container (null for a rule with `idle` while its state is idle: RuleEngine.stateFor). */
  stateOf(i: number): unknown {
    return this.cols.states[this.no * this.cols.rules + i];
  }
  setState(i: number, state: unknown): void {
    this.cols.states[this.no * this.cols.rules + i] = state;
  }
  /** Every rule's state in evaluation order (snapshots); empty before a trip has started. */
  get states(): unknown[] {
    const n = this.cols.rules;
    return this.flag(HAS_STATES) ? this.cols.states.slice(this.no * n, this.no * n + n) : [];
  }
  set states(list: unknown[]) {
    const n = this.cols.rules;
    if (list.length !== 0 && list.length !== n) throw swError('SW_ERR_SNAPSHOT_UNREADABLE', `engine snapshot holds ${list.length} rule states for ${this.containerId}, this engine runs ${n} rules`);
    for (let i = 0; i < n; i++) this.cols.states[this.no * n + i] = list.length === 0 ? null : list[i];
    this.setFlag(HAS_STATES, list.length !== 0);
  }

  /** The page's float64 view (every rule's cells are in it: RuleContext.cells), and where rule `i`'s cells of this container start. */
  get f64(): Float64Array {
    return this.cols.f;
  }
  cellsBase(i: number): number {
    return this.at + this.cols.layout.cellAt[i]!;
  }
  /** The same for the 32-bit cells (RuleContext.cells32, base32). */
  get u32(): Uint32Array {
    return this.cols.u;
  }
  cells32Base(i: number): number {
    return 2 * this.at + this.cols.layout.cell32At[i]!;
  }
  /** Sets every rule's cells to their values at a new trip. */
  resetCells(): void {
    this.cols.resetCells(this.no);
  }
  /** Every rule's cells, in rule order, then every rule's 32-bit cells (snapshots). */
  get cells(): number[] {
    return this.cols.cellsOf(this.no);
  }
  set cells(values: number[]) {
    if (!this.cols.setCellsOf(this.no, values))
      throw swError(
        'SW_ERR_SNAPSHOT_UNREADABLE',
        `engine snapshot holds ${values.length} rule cells for ${this.containerId}, not as many as this engine's rules keep (or one meant for a 32-bit cell is not a whole number from 0 to 4294967295)`,
      );
  }

  private flag(bit: number): boolean {
    return (this.cols.b[8 * this.at + B_FLAGS]! & bit) !== 0;
  }
  private setFlag(bit: number, on: boolean): void {
    const b = this.cols.b;
    const k = 8 * this.at + B_FLAGS;
    if (on) b[k]! |= bit;
    else b[k]! &= ~bit;
  }

  /** A plan binds the container and the trip is under way. */
  get active(): boolean {
    return this.flag(ACTIVE);
  }
  set active(on: boolean) {
    this.setFlag(ACTIVE, on);
  }
  get door(): DoorState {
    return DOOR_STATES[this.cols.b[8 * this.at + B_DOOR]!]!;
  }
  set door(d: DoorState) {
    this.cols.b[8 * this.at + B_DOOR] = d === 'open' ? 1 : d === 'closed' ? 2 : 0;
  }
  get doorSince(): number {
    return this.cols.f[this.at + W_DOOR_SINCE]!;
  }
  set doorSince(ts: number) {
    this.cols.f[this.at + W_DOOR_SINCE] = ts;
  }
  get doorChanged(): boolean {
    return this.flag(DOOR_CHANGED);
  }
  set doorChanged(on: boolean) {
    this.setFlag(DOOR_CHANGED, on);
  }
  get inStop(): boolean {
    return this.flag(IN_STOP);
  }
  set inStop(on: boolean) {
    this.setFlag(IN_STOP, on);
  }
  get wayKn(): number | null {
    return this.flag(HAS_WAY) ? this.cols.f[this.at + W_WAY_KN]! : null;
  }
  set wayKn(kn: number | null) {
    if (kn === null) this.setFlag(HAS_WAY, false);
    else {
      this.cols.f[this.at + W_WAY_KN] = kn;
      this.setFlag(HAS_WAY, true);
    }
  }
  get lastTs(): number {
    return this.cols.f[this.at + W_LAST_TS]!;
  }
  set lastTs(ts: number) {
    this.cols.f[this.at + W_LAST_TS] = ts;
  }
  get arrivedAt(): number | null {
    return this.flag(HAS_ARRIVED) ? this.cols.f[this.at + W_ARRIVED_AT]! : null;
  }
  set arrivedAt(ts: number | null) {
    if (ts === null) this.setFlag(HAS_ARRIVED, false);
    else {
      this.cols.f[this.at + W_ARRIVED_AT] = ts;
      this.setFlag(HAS_ARRIVED, true);
    }
  }
  /** Measurement time up to which this container has been reasoned about. */
  get position(): number {
    return this.cols.f[this.at + W_POSITION]!;
  }
  /** Sets the reasoning position as a snapshot recorded it (the evaluated ids come with it); the engine moves it with moveTo. */
  set position(ts: number) {
    this.cols.f[this.at + W_POSITION] = ts;
  }
  /** Release bound from matured arrivals: the largest ts of a reading whose hold has expired. */
  get theta(): number {
    return this.cols.f[this.at + W_THETA]!;
  }
  set theta(ts: number) {
    this.cols.f[this.at + W_THETA] = ts;
  }
  /** Arrival time of the container's latest reading. */
  get lastArrival(): number {
    return this.cols.f[this.at + W_LAST_ARRIVAL]!;
  }
  set lastArrival(at: number) {
    this.cols.f[this.at + W_LAST_ARRIVAL] = at;
  }
  /** Zone answers cached on this container's fixes are valid while this matches (a new trip starts a new epoch). */
  get zoneEpoch(): number {
    return this.cols.f[this.at + W_ZONE_EPOCH]!;
  }
  set zoneEpoch(e: number) {
    this.cols.f[this.at + W_ZONE_EPOCH] = e;
  }
  /** The compiled plan in `plan` is current while this matches the engine's plan epoch. */
  get planEpoch(): number {
    return this.cols.f[this.at + W_PLAN_EPOCH]!;
  }
  set planEpoch(e: number) {
    this.cols.f[this.at + W_PLAN_EPOCH] = e;
  }
  /**
   * The fix before the latest: kept as numbers in the columns, not as the
   * fix object (which would keep its boxed numbers and event id alive), and
   * read back as a new object on each call (rules that ask are few: speed
   * from two fixes, at a door opening).
   */
  get prevFix(): PrevFix | null {
    const f = this.cols.f;
    const at = this.at;
    const bits = this.cols.b[8 * at + B_PREV_BITS]!;
    if ((bits & PREV_HELD) === 0) return null;
    return {
      ts: f[at + W_PREV_TS]!,
      lat: f[at + W_PREV_LAT]!,
      lon: f[at + W_PREV_LON]!,
      speedKn: (bits & PREV_SPEED) !== 0 ? f[at + W_PREV_SPEED]! : null,
      hdop: (bits & PREV_HDOP) !== 0 ? f[at + W_PREV_HDOP]! : null,
    };
  }
  set prevFix(p: PrevFix | null) {
    const f = this.cols.f;
    const at = this.at;
    if (p === null) {
      this.cols.b[8 * at + B_PREV_BITS] = 0;
      return;
    }
    f[at + W_PREV_TS] = p.ts;
    f[at + W_PREV_LAT] = p.lat;
    f[at + W_PREV_LON] = p.lon;
    let bits = PREV_HELD;
    if (p.speedKn !== null) {
      f[at + W_PREV_SPEED] = p.speedKn;
      bits |= PREV_SPEED;
    }
    if (p.hdop !== null) {
      f[at + W_PREV_HDOP] = p.hdop;
      bits |= PREV_HDOP;
    }
    this.cols.b[8 * at + B_PREV_BITS] = bits;
  }
  /** Queued in its lane's dirty list. */
  get dirty(): boolean {
    return this.flag(DIRTY);
  }
  set dirty(on: boolean) {
    this.setFlag(DIRTY, on);
  }

  hasEvaluated(eventId: string): boolean {
    return this.atPosition === eventId || this.atPositionMore?.includes(eventId) === true;
  }

  /** Moves the reasoning position forward: nothing is evaluated at the new time yet. */
  moveTo(ts: number): void {
    this.cols.f[this.at + W_POSITION] = ts;
    this.atPosition = null;
    this.atPositionMore = null;
  }

  evaluated(eventId: string): void {
    if (this.atPosition === null) this.atPosition = eventId;
    else (this.atPositionMore ??= []).push(eventId);
  }
}

const NO_CELLS = new Float64Array(0);
const NO_CELLS32 = new Uint32Array(0);

/** A fix as the engine keeps it, with the authorised-zone answer cached for the container's current trip. */
class EngineFix implements Fix {
  zonesEpoch = 0;
  zones: ZoneFix | null = null;
  constructor(
    readonly ts: number,
    readonly lat: number,
    readonly lon: number,
    readonly speedKn: number | null,
    readonly hdop: number | null,
    readonly eventId: string,
  ) {}
}

/**
 * One live (container, rule, key) timer: at the same time the container's
 * record of it (`at`, the event time it fires at, in the slot's list) and
 * its lane's heap entry (`queued`, the time it wakes up at, orders the heap).
 * Re-arming a timer later (as a rule does on every reading) leaves it where
 * it is queued: it wakes early and queues itself again for `at`. Re-arming it
 * earlier moves it up in its heap in place. A timer set is queued in the heap
 * of its container's lane and stays there (re-queued there when it wakes
 * early) unless re-armed earlier after the container moved to another lane.
 */
class Timer implements HeapPlace {
  /** Place in the heap of the lane it is queued in; -1 while not queued (being handled, or its lane dropped). */
  heapIndex = -1;
  /** The container's next timer. */
  next: Timer | null = null;
  constructor(
    readonly slot: Slot,
    readonly ruleIdx: number,
    readonly key: string,
    public at: number,
    public queued: number,
  ) {}
}

function findTimer(slot: Slot, ruleIdx: number, key: string): Timer | null {
  for (let t = slot.timers; t !== null; t = t.next) if (t.ruleIdx === ruleIdx && t.key === key) return t;
  return null;
}

/** Takes a timer out of its container's list. */
function unlinkTimer(slot: Slot, timer: Timer): void {
  let prev: Timer | null = null;
  for (let t = slot.timers; t !== null; prev = t, t = t.next) {
    if (t !== timer) continue;
    if (prev === null) slot.timers = t.next;
    else prev.next = t.next;
    t.next = null;
    return;
  }
}

function timerLess(a: Timer, b: Timer): boolean {
  if (a.queued !== b.queued) return a.queued < b.queued;
  const ca = a.slot.containerId;
  const cb = b.slot.containerId;
  if (ca !== cb) return ca < cb;
  return a.ruleIdx < b.ruleIdx || (a.ruleIdx === b.ruleIdx && a.key < b.key);
}

/**
 * Readings in their arrival-time hold, in arrival order. Every reading's hold
 * ends at its lane's clock (already advanced to its arrival) plus the window,
 * so holds end in the order they were queued: a FIFO, no heap and no object
 * per reading.
 */
class MaturityQueue {
  // parallel arrays used as a ring that only grows: entries [head, tail) are queued
  private readonly at: number[] = [];
  private readonly ts: number[] = [];
  private readonly slots: Slot[] = [];
  private head = 0;
  private tail = 0;

  /** Holds queued and not yet ended. */
  get size(): number {
    return this.tail - this.head;
  }

  push(at: number, slot: Slot, ts: number): void {
    const t = this.tail;
    if (t === this.at.length) {
      this.at.push(at);
      this.ts.push(ts);
      this.slots.push(slot);
    } else {
      this.at[t] = at;
      this.ts[t] = ts;
      this.slots[t] = slot;
    }
    this.tail = t + 1;
  }

  /** The queued holds, oldest first: [hold end, slot, measurement time]. */
  entries(): Array<[number, Slot, number]> {
    const out: Array<[number, Slot, number]> = [];
    for (let i = this.head; i < this.tail; i++) out.push([this.at[i]!, this.slots[i]!, this.ts[i]!]);
    return out;
  }

  /** Ends every hold due by `arrival`: raises each slot's release bound and lists it in the lane's dirty slots. */
  matureUpTo(arrival: number, lane: Lane): void {
    const at = this.at;
    let h = this.head;
    const n = this.tail;
    if (h === n || !(at[h]! <= arrival)) return;
    const ts = this.ts;
    const slots = this.slots;
    while (h < n && at[h]! <= arrival) {
      const slot = slots[h]!;
      const t = ts[h]!;
      if (t > slot.theta) slot.theta = t;
      if (!slot.dirty) {
        slot.dirty = true;
        lane.addDirty(slot);
      }
      h++;
    }
    if (h === n) {
      this.head = 0;
      this.tail = 0;
    } else if (h > 4096 && h * 2 > n) {
      // move the queued entries to the front (at most once per half a ring's worth of pops)
      for (let i = h; i < n; i++) {
        at[i - h] = at[i]!;
        ts[i - h] = ts[i]!;
        slots[i - h] = slots[i]!;
      }
      this.head = 0;
      this.tail = n - h;
    } else this.head = h;
  }
}

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
  readonly maturities = new MaturityQueue();
  readonly timers = new IndexedHeap<Timer>(timerLess);
  /** Slots whose release bound moved, in the order they first did: the first `dirtyCount` (emptied by each release pass). */
  readonly dirty: Slot[] = [];
  dirtyCount = 0;

  addDirty(slot: Slot): void {
    if (this.dirtyCount === this.dirty.length) this.dirty.push(slot);
    else this.dirty[this.dirtyCount] = slot;
    this.dirtyCount++;
  }
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
  /** The numbers of every container this engine holds. */
  private readonly cols: ColumnPages;
  private readonly lanes = new Map<number, Lane>();
  private lastLaneId = NaN;
  private lastLane: Lane | null = null;
  private readonly unsubscribe: () => void;
  /** Bumped whenever a plan changes: slots then look their plan up again (and compile it only if it is not the one they hold). */
  private planEpoch = 0;
  private zoneEpochs = 0;
  private readonly window: number;
  private readonly lateness: number;
  private readonly stationary: Config['rules']['stationary'];
  private readonly ctx: EngineContext;
  /** Per reading kind, the indices (in evaluation order) of the rules whose onReading / learn act on it. */
  private readonly readers: Record<ReadingKind, Int32Array>;
  private readonly learners: Record<ReadingKind, Int32Array>;
  /** Per reading kind and rule, when an idle rule is called with it (WAKE_ALWAYS, WAKE_NEVER, WAKE_ON_OPENING: Rule.wakes). */
  private readonly wakes: Record<ReadingKind, Uint8Array>;
  /** Per rule, its `idle` (null for a rule without one), and the spare state handed to it for containers that keep none. */
  private readonly idlers: Array<((state: unknown) => boolean) | null>;
  private readonly spares: unknown[];
  /**
   * Held-reading arrays emptied by release, for the next container that holds
   * a reading: a container's readings are held for the reorder window and
   * released together, so most readings would otherwise make a new array
   * and grow it (some 300 bytes of garbage per container and window).
   */
  private readonly heldPool: Reading[][] = [];
  readonly stats: EngineStats = { readingsIn: 0, processed: 0, late: 0, duplicates: 0, held: 0, containers: 0, timersFired: 0, alerts: 0 };

  constructor(private readonly opts: EngineOptions) {
    this.window = opts.config.engine.reorderWindowMs;
    this.lateness = opts.config.engine.allowedLatenessMs;
    this.stationary = opts.config.rules.stationary;
    this.cols = new ColumnPages(
      new RecordLayout(
        opts.rules.map((r) => r.cells ?? []),
        opts.rules.map((r) => r.cells32 ?? []),
      ),
    );
    this.ctx = new EngineContext(this, opts);
    this.readers = dispatchTable(opts.rules, false);
    this.learners = dispatchTable(opts.rules, true);
    this.wakes = wakeTable(opts.rules);
    this.idlers = opts.rules.map((r) => (r.idle ? (r.idle.bind(r) as (state: unknown) => boolean) : null));
    this.spares = opts.rules.map(() => null);
    this.unsubscribe = opts.trips.onChange(() => {
      this.planEpoch++;
    });
  }

  /**
   * Lets go of everything: every lane dropped (its containers' states and
   * baselines left to the collector), and the trip directory no longer told
   * to call this engine (it would keep the engine, and all it holds, alive as
   * long as the directory lives). A closed engine is not used again.
   */
  close(): void {
    this.unsubscribe();
    for (const id of this.laneIds()) this.dropLane(id);
  }

  private lane(id: number): Lane {
    if (id === this.lastLaneId) return this.lastLane!;
    let l = this.lanes.get(id);
    if (!l) this.lanes.set(id, (l = new Lane()));
    this.lastLaneId = id;
    this.lastLane = l;
    return l;
  }

  /** A lane's arrival clock: the latest arrival time seen or advanced to. */
  arrivalClock(lane = 0): number {
    return this.lanes.get(lane)?.clock ?? -Infinity;
  }

  /** How many readings of a lane wait for their arrival-time hold to end (what an idle release could free). */
  heldIn(lane = 0): number {
    return this.lanes.get(lane)?.maturities.size ?? 0;
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
    if (r.ts === slot.position && slot.hasEvaluated(r.eventId)) {
      this.stats.duplicates++;
      return;
    }
    if (r.ts < slot.position) {
      this.stats.late++;
      this.opts.output.late(r, `measured ${new Date(r.ts).toISOString()}, but ${r.containerId} was already evaluated up to ${new Date(slot.position).toISOString()}`);
      return;
    }
    if (slot.held === null) {
      const pooled = this.heldPool.pop();
      if (pooled === undefined) slot.held = [r];
      else {
        pooled.push(r);
        slot.held = pooled;
      }
    } else if (!insertSorted(slot.held, r)) {
      this.stats.duplicates++;
      return;
    }
    this.stats.held++;
    if (this.window === 0) {
      if (r.ts > slot.theta) slot.theta = r.ts;
      this.release(slot, slot.theta);
    } else lane.maturities.push(Math.max(r.receivedAt, lane.clock) + this.window, slot, r.ts);
  }

  /** Moves a lane's arrival clock forward: releases matured readings and fires due timers. */
  advanceTo(arrival: number, laneId = 0): void {
    const lane = this.lane(laneId);
    if (!(arrival > lane.clock)) return;
    lane.clock = arrival;
    this.mature(lane, arrival);
    const wm = lane.clock - this.lateness;
    const heap = lane.timers;
    // every queued timer is live: cancelling or dropping a timer takes it out of its heap
    for (let t = heap.peek(); t !== undefined && t.queued <= wm; t = heap.peek()) {
      const slot = t.slot;
      // A container still delivering (a store-and-forward backlog arriving now) is not silent:
      // its timers wait until it has been quiet, in arrival time, for the allowed lateness too.
      const due = Math.max(t.at, slot.lastArrival);
      if (due > wm) {
        // woken early (re-armed later, or still delivering): it waits again, moved down from the top in place
        t.queued = due;
        heap.update(t);
        continue;
      }
      heap.pop();
      this.release(slot, Math.max(slot.theta, t.at));
      if (findTimer(slot, t.ruleIdx, t.key) !== t) continue; // a released reading cancelled it
      if (t.at > wm) {
        // a released reading re-armed it for later (and perhaps earlier first, queuing it in its container's lane)
        this.requeue(t, lane, t.at);
        continue;
      }
      this.deleteTimer(slot, t);
      if (t.at > slot.position) slot.moveTo(t.at);
      this.fire(slot, t.at, t.ruleIdx, t.key);
    }
    this.releaseDirty(lane, wm);
  }

  /** Releases what the matured holds allow in every slot they touched (and, with `wm`, what the watermark allows). */
  private releaseDirty(lane: Lane, wm: number): void {
    const n = lane.dirtyCount;
    if (n === 0) return;
    // releasing never marks a slot dirty (only maturing does), so the list does not change under the loop
    const dirty = lane.dirty;
    for (let i = 0; i < n; i++) {
      const slot = dirty[i]!;
      slot.dirty = false;
      this.release(slot, Math.max(slot.theta, wm));
    }
    lane.dirtyCount = 0;
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
      this.releaseDirty(lane, -Infinity);
    }
  }

  /** End of input (replay): every held reading is released; timers stay where the data left them. */
  flush(): void {
    this.releaseHeld(Infinity);
  }

  /**
   * Everything the engine holds for input stream `laneId` (a telemetry
   * partition), as plain JSON-safe data: the lane's arrival clock, its
   * queued holds and timer wake-ups, and every container whose lane it is,
   * with its fixes, held readings, rule states and timers. Restoring it
   * (restoreLane) into an engine with the same rules and configuration
   * continues the lane exactly as this engine would. Caches (compiled plans,
   * zone answers) are not written: they are computed again. Take it between
   * calls, never from inside an output callback. One difference a restore
   * can make: a container's compiled plan is looked up afresh, so a plan
   * changed after the container's latest reading applies to its timers at
   * once (this engine would apply it from the next reading on).
   */
  snapshotLane(laneId: number): LaneSnapshot {
    const lane = this.lanes.get(laneId);
    const enc = new GraphEncoder(SNAPSHOT_CLASSES);
    const slots: Record<string, unknown>[] = [];
    if (lane) {
      for (const s of this.slots.values()) {
        if (s.lane !== lane) continue;
        const rec: Record<string, unknown> = { containerId: s.containerId };
        for (const f of SLOT_FIELDS) rec[f] = s[f];
        const timers: Array<[number, string, number, number]> = [];
        for (let t = s.timers; t !== null; t = t.next) timers.push([t.ruleIdx, t.key, t.at, t.queued]);
        rec.timers = timers;
        slots.push(rec);
      }
    }
    const body = {
      clock: lane?.clock ?? -Infinity,
      slots,
      maturities: lane ? lane.maturities.entries().map(([at, slot, ts]) => [at, slot.containerId, ts]) : [],
      timers: lane ? lane.timers.contents().map((t) => [t.queued, t.slot.containerId, t.ruleIdx, t.key]) : [],
    };
    return { format: SNAPSHOT_FORMAT, schemaVersion: SNAPSHOT_SCHEMA_VERSION, lane: laneId, rules: this.opts.rules.map((r) => r.id), containers: slots.length, body: enc.encode(body) };
  }

  /**
   * Puts a lane back as snapshotLane took it (replacing whatever this engine
   * held for that lane). Refuses, with SW_ERR_SNAPSHOT_UNREADABLE and
   * nothing changed, a snapshot of another format or schema version or of
   * another rule set: the caller then rebuilds the lane from the log.
   */
  restoreLane(laneId: number, snap: LaneSnapshot): { containers: number } {
    checkSnapshot(snap, this.opts.rules);
    // (the baselines' blocks are all taken here: the slab doubles while they are, and is fitted after)
    const body = slabBulk(() => new GraphDecoder(SNAPSHOT_CLASSES).decode(snap.body)) as {
      clock: number;
      slots: Array<Record<string, unknown> & { containerId: string; timers: Array<[number, string, number, number]> }>;
      maturities: Array<[number, string, number]>;
      timers: Array<[number, string, number, string]>;
    };
    this.dropLane(laneId);
    const lane = this.lane(laneId);
    lane.clock = body.clock;
    for (const rec of body.slots) {
      const s = new Slot(rec.containerId, rec.deviceId as string, rec.doorSince as number, lane, this.cols);
      const target = s as unknown as Record<string, unknown>;
      for (const f of SLOT_FIELDS) target[f] = rec[f];
      let tail: Timer | null = null;
      for (const [ruleIdx, key, at, queued] of rec.timers) {
        const t = new Timer(s, ruleIdx, key, at, queued);
        if (tail === null) s.timers = t;
        else tail.next = t;
        tail = t;
      }
      s.plan = this.plan(s.tripId, null);
      s.planEpoch = this.planEpoch;
      s.zoneEpoch = ++this.zoneEpochs;
      const old = this.slots.get(s.containerId);
      if (!old) this.stats.containers++;
      else {
        this.stats.held -= old.held?.length ?? 0;
        old.detach(this.cols);
      }
      this.slots.set(s.containerId, s);
      if (s.held?.length === 0) s.held = null;
      // held readings decoded from the snapshot, made again by model/reading.ts: of the one shape every reading has
      else if (s.held) s.held = s.held.map(oneShape);
      this.stats.held += s.held?.length ?? 0;
    }
    // entries of a container that has since moved to another lane resolve to it there, if this engine holds it
    for (const [at, id, ts] of body.maturities) {
      const slot = this.slots.get(id);
      if (!slot) continue;
      if (slot.lane !== lane) slot.elsewhere = true;
      lane.maturities.push(at, slot, ts);
    }
    // a timer is queued once, at the time its record says: a listed wake-up that does not match its container's timer, or a second one, queues nothing
    for (const [due, id, ruleIdx, key] of body.timers) {
      const slot = this.slots.get(id);
      const t = slot ? findTimer(slot, ruleIdx, key) : null;
      if (t === null || t.queued !== due || t.heapIndex >= 0) continue;
      if (slot!.lane !== lane) slot!.elsewhere = true;
      lane.timers.push(t);
    }
    return { containers: body.slots.length };
  }

  /** Forgets a lane and every container whose lane it is (a partition revoked from this instance). */
  dropLane(laneId: number): void {
    const lane = this.lanes.get(laneId);
    if (!lane) return;
    for (const [id, s] of this.slots) {
      if (s.lane !== lane) continue;
      this.slots.delete(id);
      this.stats.containers--;
      this.stats.held -= s.held?.length ?? 0;
      // a copy of its numbers only for a container another lane may still reach
      if (s.elsewhere) s.detach(this.cols);
      else s.forget(this.cols);
    }
    // timers queued here of containers of other lanes are left not queued (they never wake unless set earlier again)
    lane.timers.clear();
    this.lanes.delete(laneId);
    if (this.lastLane === lane) {
      this.lastLane = null;
      this.lastLaneId = NaN;
    }
  }

  /** The lanes this engine holds. */
  laneIds(): number[] {
    return [...this.lanes.keys()];
  }

  private mature(lane: Lane, arrival: number): void {
    lane.maturities.matureUpTo(arrival, lane);
  }

  private release(slot: Slot, upTo: number): void {
    const held = slot.held;
    if (held === null) return;
    const len = held.length;
    let n = 0;
    while (n < len && held[n]!.ts <= upTo) n++;
    if (n === 0) return;
    this.stats.held -= n;
    // processing never adds to a slot's held readings (only ingest does), so they are processed in place and dropped after
    for (let i = 0; i < n; i++) this.process(slot, held[i]!);
    if (n === len) {
      slot.held = null;
      if (len <= HELD_POOLED_MOST && this.heldPool.length < HELD_POOL_MOST) {
        for (let i = 0; i < len; i++) held.pop();
        this.heldPool.push(held);
      }
    } else {
      for (let i = n; i < len; i++) held[i - n] = held[i]!;
      // (popped, not cut by setting the length: that lets the array's store go, and the next reading held grows a new one)
      for (let i = 0; i < n; i++) held.pop();
    }
  }

  private slot(r: Reading, laneId: number): Slot {
    let s = this.slots.get(r.containerId);
    if (!s) {
      s = new Slot(r.containerId, r.deviceId, r.ts, this.lane(laneId), this.cols);
      this.slots.set(r.containerId, s);
      this.stats.containers++;
    } else {
      const lane = this.lane(laneId); // (the last lane used is cached: no Map lookup per reading)
      if (s.lane !== lane) {
        // the container's partition moved; its pending timers still fire from the old lane
        s.lane = lane;
        s.elsewhere = true;
      }
    }
    return s;
  }

  /**
   * The compiled plan of `tripId` as the directory has it now: `held` again
   * when it was compiled from the very plan the directory holds (most plan
   * changes are other containers' trips), else compiled afresh. Each
   * container keeps its own compiled plan; no engine-wide cache by trip id
   * (a Map entry per container, some 40 bytes, for answers the slot holds).
   */
  private plan(tripId: string | null, held: CompiledPlan | null): CompiledPlan | null {
    if (tripId === null) return null;
    const plan = this.opts.trips.get(tripId);
    if (plan === undefined) return null;
    if (held !== null && held.plan === plan) return held;
    return compilePlan(plan, this.opts.ports, this.opts.config.trips, this.opts.router);
  }

  private currentArrival = 0;

  private process(slot: Slot, r: Reading): void {
    this.stats.processed++;
    this.currentArrival = r.receivedAt;
    if (r.ts > slot.position) slot.moveTo(r.ts);
    slot.evaluated(r.eventId);
    const v = slot;
    if (r.tripId !== slot.tripId) {
      slot.tripId = r.tripId;
      slot.states = this.opts.rules.map((rule) => (rule.idle ? null : rule.initialState()));
      slot.resetCells();
      this.dropTimers(slot);
      v.arrivedAt = null;
      v.stopAnchor = null;
      v.stopOutlier = null;
      v.inStop = false;
      v.wayKn = null;
      slot.zoneEpoch = ++this.zoneEpochs;
      slot.planEpoch = -1;
    }
    if (slot.planEpoch !== this.planEpoch) {
      const plan = this.plan(r.tripId, v.plan);
      // a plan amended mid-trip may move its zones: answers cached on the fixes no longer hold
      if (plan !== v.plan) slot.zoneEpoch = ++this.zoneEpochs;
      v.plan = plan;
      slot.planEpoch = this.planEpoch;
    }
    const plan = v.plan;
    v.deviceId = r.deviceId;
    v.doorChanged = false;
    if (r.kind === 'location') {
      const prev = v.fix;
      v.prevFix = prev;
      const fix = new EngineFix(r.ts, r.lat, r.lon, r.speedKn ?? null, r.hdop ?? null, r.eventId);
      v.fix = fix;
      trackStop(v, prev, fix, this.stationary);
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
    const rules = this.opts.rules;
    const ctx = this.ctx;
    if (!v.active) {
      // Before departure a bound container raises nothing, but rules that need history may learn from it.
      if (plan !== null && r.ts < plan.departure) {
        const learners = this.learners[r.kind];
        for (let j = 0; j < learners.length; j++) {
          const i = learners[j]!;
          ctx.bind(slot, i);
          const state = this.stateFor(slot, i);
          rules[i]!.learn!(state, r, ctx);
          this.settle(slot, i, state);
        }
      }
      return;
    }
    const readers = this.readers[r.kind];
    const wakes = this.wakes[r.kind];
    const opening = r.kind === 'door' && r.open && v.doorChanged;
    for (let j = 0; j < readers.length; j++) {
      const i = readers[j]!;
      const w = wakes[i]!;
      // a rule idle for this container is not called with a reading that cannot wake it (Rule.wakes)
      if (w !== WAKE_ALWAYS && (w === WAKE_NEVER || !opening) && slot.stateOf(i) === null) continue;
      ctx.bind(slot, i);
      const state = this.stateFor(slot, i);
      rules[i]!.onReading(state, r, ctx);
      this.settle(slot, i, state);
    }
    if (r.kind === 'location' && plan!.destinationZones.length > 0 && r.ts >= plan!.departure) {
      if (insideAnyZone(plan!.destinationZones, r.lat, r.lon)) v.arrivedAt = r.ts;
    }
  }

  private fire(slot: Slot, at: number, ruleIdx: number, key: string): void {
    this.stats.timersFired++;
    this.currentArrival = slot.lane.clock;
    const v = slot;
    const plan = v.plan;
    if (!plan || v.arrivedAt !== null || at > plan.activeUntil) return;
    const rule = this.opts.rules[ruleIdx]!;
    if (!rule.onTimer) return;
    v.active = true;
    v.doorChanged = false;
    this.ctx.bind(slot, ruleIdx);
    const state = this.stateFor(slot, ruleIdx);
    rule.onTimer(state, at, key, this.ctx);
    this.settle(slot, ruleIdx, state);
  }

  /**
   * The state to hand rule `i` for this container: its own, or, while it
   * keeps none (a rule with `idle` whose state was idle), the rule's spare
   * state, which is idle.
   */
  private stateFor(slot: Slot, i: number): unknown {
    const own = slot.stateOf(i);
    if (own !== null || this.idlers[i] === null) return own;
    let spare = this.spares[i];
    if (spare === null) spare = this.spares[i] = this.opts.rules[i]!.initialState();
    return spare;
  }

  /**
   * After a call with `state` (stateFor's): a spare the call left not idle
   * becomes the container's own (the next container gets a new spare); an
   * own state the call left idle is let go (kept as the spare if there is
   * none).
   */
  private settle(slot: Slot, i: number, state: unknown): void {
    const idle = this.idlers[i];
    if (idle === null) return;
    if (slot.stateOf(i) === null) {
      if (!idle(state)) {
        slot.setState(i, state);
        this.spares[i] = null;
      }
    } else if (idle(state)) {
      slot.setState(i, null);
      if (this.spares[i] === null) this.spares[i] = state;
    }
  }

  /** @internal used by the context */
  emit(slot: Slot, ruleIdx: number, a: RaisedAlert): void {
    const rule = this.opts.rules[ruleIdx]!;
    const v = slot;
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
    if (this.opts.ruleTimeline) alert.ruleVersion = this.opts.ruleTimeline.at(slot.position).version;
    this.stats.alerts++;
    this.opts.output.alert(alert, this.currentArrival);
  }

  /** @internal */
  setTimer(slot: Slot, ruleIdx: number, at: number, key: string): void {
    let t = findTimer(slot, ruleIdx, key);
    if (t === null) {
      t = new Timer(slot, ruleIdx, key, at, at);
      if (slot.timers === null) slot.timers = t;
      else {
        let last = slot.timers;
        while (last.next !== null) last = last.next;
        last.next = t;
      }
      slot.lane.timers.push(t);
      return;
    }
    t.at = at;
    if (t.queued <= at) return; // it wakes first and re-queues itself for `at`
    this.requeue(t, slot.lane, at);
  }

  /** @internal */
  cancelTimer(slot: Slot, ruleIdx: number, key: string): void {
    const t = findTimer(slot, ruleIdx, key);
    if (t !== null) this.deleteTimer(slot, t);
  }

  /** The lane whose heap a timer is queued in, if any (its container's lane, unless the container moved). */
  private laneHolding(t: Timer): Lane | null {
    if (t.heapIndex < 0) return null;
    if (t.slot.lane.timers.has(t)) return t.slot.lane;
    for (const lane of this.lanes.values()) if (lane.timers.has(t)) return lane;
    return null;
  }

  /** Queues a timer to wake at `due` in `lane`'s heap, taking it out of the heap it was queued in. */
  private requeue(t: Timer, lane: Lane, due: number): void {
    const holder = this.laneHolding(t);
    t.queued = due;
    if (holder === lane) lane.timers.update(t);
    else {
      holder?.timers.remove(t);
      lane.timers.push(t);
    }
  }

  /** Forgets a timer: out of its container's list and out of its heap. */
  private deleteTimer(slot: Slot, t: Timer): void {
    unlinkTimer(slot, t);
    this.laneHolding(t)?.timers.remove(t);
  }

  /** Forgets every timer of a container (a new trip). */
  private dropTimers(slot: Slot): void {
    for (let t = slot.timers; t !== null; ) {
      const next = t.next;
      this.laneHolding(t)?.timers.remove(t);
      t.next = null;
      t = next;
    }
    slot.timers = null;
  }

  /** @internal */
  zones(slot: Slot, fix: Fix): ZoneFix {
    const cached = fix instanceof EngineFix && fix.zonesEpoch === slot.zoneEpoch ? fix.zones : null;
    if (cached) return cached;
    const z = slot.plan ? locateInZones(slot.plan.zones, fix.lat, fix.lon) : { inside: null, nearest: null, nearestKm: Infinity };
    if (fix instanceof EngineFix) {
      fix.zones = z;
      fix.zonesEpoch = slot.zoneEpoch;
    }
    return z;
  }
}

class EngineContext implements RuleContext {
  private slot!: Slot;
  private ruleIdx = 0;
  private readonly baseRules: Config['rules'];
  private readonly timeline: RuleLookup | null;
  readonly ports: PortTable;
  /** Per rule, whether it has cells (bind looks its array and base up only then). */
  private readonly hasCells: boolean[];
  private readonly hasCells32: boolean[];
  cells: Float64Array = NO_CELLS;
  base = 0;
  cells32: Uint32Array = NO_CELLS32;
  base32 = 0;

  constructor(
    private readonly engine: RuleEngine,
    opts: EngineOptions,
  ) {
    this.baseRules = opts.config.rules;
    this.timeline = opts.ruleTimeline ?? null;
    this.ports = opts.ports;
    this.hasCells = opts.rules.map((r) => (r.cells?.length ?? 0) > 0);
    this.hasCells32 = opts.rules.map((r) => (r.cells32?.length ?? 0) > 0);
  }

  /** The thresholds in force at the bound container's reasoning time (its reading's, or its timer's when later). */
  get rules(): Config['rules'] {
    return this.timeline ? this.timeline.at(this.slot.position).rules : this.baseRules;
  }

  bind(slot: Slot, ruleIdx: number): void {
    this.slot = slot;
    this.ruleIdx = ruleIdx;
    if (this.hasCells[ruleIdx]) {
      this.cells = slot.f64;
      this.base = slot.cellsBase(ruleIdx);
    } else {
      this.cells = NO_CELLS;
      this.base = 0;
    }
    if (this.hasCells32[ruleIdx]) {
      this.cells32 = slot.u32;
      this.base32 = slot.cells32Base(ruleIdx);
    } else {
      this.cells32 = NO_CELLS32;
      this.base32 = 0;
    }
  }

  get view(): ContainerView {
    return this.slot;
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

// how an idle rule takes a reading of a kind (RuleEngine.wakes)
const WAKE_NEVER = 0;
const WAKE_ALWAYS = 1;
/** Only a door reading that opens the door. */
const WAKE_ON_OPENING = 2;

/**
 * For each reading kind, per rule, whether a reading of that kind is given
 * to the rule while it is idle for the container (Rule.wakes): always for a
 * rule that declares no `wakes`. Refuses `wakes` on a rule without `idle`,
 * or naming a kind the rule does not read.
 */
function wakeTable(rules: readonly Rule[]): Record<ReadingKind, Uint8Array> {
  for (const rule of rules) {
    if (!rule.wakes) continue;
    if (!rule.idle) throw new Error(`rule ${rule.id}: wakes needs idle (a rule that keeps its state for every container is called with every reading)`);
    for (const w of rule.wakes) {
      const kind = w === 'door-opening' ? 'door' : w;
      if (!(READING_KINDS as readonly string[]).includes(kind) || (rule.kinds && !rule.kinds.includes(kind)))
        throw new Error(`rule ${rule.id}: wakes names ${w}, but the rule reads ${rule.kinds ? rule.kinds.join(', ') : 'every kind'} (expected some of ${[...(rule.kinds ?? READING_KINDS), 'door-opening'].join(', ')})`);
    }
  }
  const table = {} as Record<ReadingKind, Uint8Array>;
  for (const kind of READING_KINDS) {
    table[kind] = Uint8Array.from(rules, (rule) => {
      if (!rule.wakes || rule.wakes.includes(kind)) return WAKE_ALWAYS;
      return kind === 'door' && rule.wakes.includes('door-opening') ? WAKE_ON_OPENING : WAKE_NEVER;
    });
  }
  return table;
}

/**
 * For each reading kind, the rules to call with it, in evaluation order: a
 * rule that declares `kinds` gets those kinds only, one that does not gets
 * every reading. `learning`: only rules with a learn hook.
 */
function dispatchTable(rules: readonly Rule[], learning: boolean): Record<ReadingKind, Int32Array> {
  const table = {} as Record<ReadingKind, Int32Array>;
  for (const kind of READING_KINDS) {
    const idx: number[] = [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (learning && !rule.learn) continue;
      if (rule.kinds && !rule.kinds.includes(kind)) continue;
      idx.push(i);
    }
    table[kind] = Int32Array.from(idx);
  }
  return table;
}

/** Held-reading arrays pooled at most (RuleEngine.heldPool), and the most readings an array may have held to be pooled (a longer one has grown a store too large to keep). */
const HELD_POOL_MOST = 1024;
const HELD_POOLED_MOST = 16;

/** Inserts keeping (ts, eventId) order; false when the same event id is already held. */
function insertSorted(held: Reading[], r: Reading): boolean {
  const len = held.length;
  let i = len;
  while (i > 0) {
    const h = held[i - 1]!;
    if (h.ts < r.ts || (h.ts === r.ts && h.eventId < r.eventId)) break;
    if (h.eventId === r.eventId) return false;
    i--;
  }
  for (let j = i - 1; j >= 0 && held[j]!.ts === r.ts; j--) if (held[j]!.eventId === r.eventId) return false;
  // moved up one in place (splice would make a result array each time)
  held.push(r);
  for (let j = len; j > i; j--) held[j] = held[j - 1]!;
  held[i] = r;
  return true;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Marks a lane snapshot (LaneSnapshot.format). */
export const SNAPSHOT_FORMAT = 'sealwatch.engine-lane';
/** Bumped whenever what a snapshot holds or how changes. */
export const SNAPSHOT_SCHEMA_VERSION = 5;
/**
 * The versions this engine restores: its own only. (3 wrote idle rule
 * states as null, Rule.idle; 4 adds every container's rule cells, Rule.cells,
 * and LOCATION_GAP's numbers moved from its state to its cells: a version 2
 * or 3 snapshot's LOCATION_GAP state is not one this version reads; 5 adds
 * the 32-bit cells, Rule.cells32, after the others, and LOCATION_GAP and
 * LIGHT_WITH_DOOR_CLOSED keep their counts and intervals there: a version 4
 * snapshot's cells are laid out otherwise.)
 */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [SNAPSHOT_SCHEMA_VERSION];

function unreadableVersion(version: unknown): Error {
  return swError('SW_ERR_SNAPSHOT_UNREADABLE', `engine snapshot schemaVersion ${JSON.stringify(version)} is not readable by this version (it reads ${READABLE_SCHEMA_VERSIONS.join(' and ')})`);
}

/** One lane's state (RuleEngine.snapshotLane), JSON-safe. */
export interface LaneSnapshot {
  format: string;
  schemaVersion: number;
  lane: number;
  /** The rules in evaluation order: rule states are kept by position. */
  rules: string[];
  containers: number;
  /** The lane's clock, holds, timers and containers, in the encoding of snapshot-codec.ts. */
  body: Json;
}

/** The Slot fields a snapshot carries (besides containerId and timers); plan, epochs and the dirty mark are recomputed. */
const SLOT_FIELDS = [
  'deviceId',
  'active',
  'fix',
  'prevFix',
  'door',
  'doorSince',
  'doorEventId',
  'doorChanged',
  'stopAnchor',
  'inStop',
  'stopOutlier',
  'wayKn',
  'lastTs',
  'arrivedAt',
  'tripId',
  'states',
  'held',
  'position',
  'theta',
  'lastArrival',
  'atPosition',
  'atPositionMore',
  'cells',
] as const satisfies ReadonlyArray<keyof Slot>;

/** Classes found in engine state; anything else of a class is refused by the encoder. */
const SNAPSHOT_CLASSES: SnapshotClass[] = [
  { name: 'EngineFix', proto: EngineFix.prototype, skip: { zonesEpoch: 0, zones: null } },
  { name: 'RollingBaseline', proto: RollingBaseline.prototype, save: (b) => RollingBaseline.save(b as RollingBaseline), load: (d) => RollingBaseline.load(d as SavedBaseline) },
  { name: 'AnomalyState', proto: AnomalyState.prototype, save: (s) => AnomalyState.saveState(s as AnomalyState), load: (d) => AnomalyState.loadState(d as Parameters<typeof AnomalyState.loadState>[0]) },
];

function checkSnapshot(snap: LaneSnapshot, rules: readonly Rule[]): void {
  if (snap === null || typeof snap !== 'object' || snap.format !== SNAPSHOT_FORMAT) throw swError('SW_ERR_SNAPSHOT_UNREADABLE', `not an engine lane snapshot (format ${JSON.stringify((snap as { format?: unknown } | null)?.format)})`);
  if (!READABLE_SCHEMA_VERSIONS.includes(snap.schemaVersion)) throw unreadableVersion(snap.schemaVersion);
  const ids = rules.map((r) => r.id);
  if (!Array.isArray(snap.rules) || snap.rules.join(',') !== ids.join(',')) throw swError('SW_ERR_SNAPSHOT_UNREADABLE', `engine snapshot was taken with rules ${JSON.stringify(snap.rules)}, this engine runs ${JSON.stringify(ids)}`);
}

/** A lane snapshot as bytes: gzip'd JSON. */
export function encodeLaneSnapshot(snap: LaneSnapshot): Buffer {
  return gzipSync(JSON.stringify(snap));
}

/** Reads encodeLaneSnapshot's bytes; SW_ERR_SNAPSHOT_UNREADABLE when they are not a snapshot of this format and schema version. */
export function decodeLaneSnapshot(bytes: Buffer): LaneSnapshot {
  let snap: LaneSnapshot;
  try {
    snap = JSON.parse(gunzipSync(bytes).toString('utf8')) as LaneSnapshot;
  } catch (err) {
    throw swError('SW_ERR_SNAPSHOT_UNREADABLE', `engine snapshot cannot be read: ${(err as Error).message}`);
  }
  if (snap === null || typeof snap !== 'object' || snap.format !== SNAPSHOT_FORMAT) throw swError('SW_ERR_SNAPSHOT_UNREADABLE', 'not an engine lane snapshot');
  if (!READABLE_SCHEMA_VERSIONS.includes(snap.schemaVersion)) throw unreadableVersion(snap.schemaVersion);
  return snap;
}
