import type { Config } from '../config/schema.js';
import type { RuleId, Severity } from '../model/alert.js';
import type { PortTable } from '../geo/ports.js';
import type { Reading, ReadingKind } from '../model/reading.js';
import type { CompiledPlan, ZoneFix } from '../trips/compile.js';

/** A container's door as the engine knows it, in the order the engine's columns and rules' cells number them. */
export const DOOR_STATES = ['unknown', 'open', 'closed'] as const;
export type DoorState = (typeof DOOR_STATES)[number];

export interface Fix {
  ts: number;
  lat: number;
  lon: number;
  /** Speed over ground as the device reported it, if it did. */
  speedKn: number | null;
  hdop: number | null;
  eventId: string;
}

/** A fix without its event id: what the engine keeps of the fix before the latest. */
export type PrevFix = Omit<Fix, 'eventId'>;

/**
 * What the engine knows of one container at the current reading, shared by
 * every rule and kept up to date by the engine alone (rules only read it).
 */
export interface ContainerView {
  containerId: string;
  deviceId: string;
  plan: CompiledPlan | null;
  /** A plan binds the container and the trip is under way (departed, not arrived, not expired). */
  active: boolean;
  fix: Fix | null;
  /** The fix before `fix` (numbers only: a new object on each read, never identical to a fix held elsewhere). */
  prevFix: PrevFix | null;
  door: DoorState;
  doorSince: number;
  doorEventId: string | null;
  /** The door reading being processed changed the state (closed/unknown -> open or back). */
  doorChanged: boolean;
  /** The first fix of the current stationary period (null while under way); see stop-tracker.ts. */
  stopAnchor: Fix | null;
  /** The latest fix belongs to the stop of `stopAnchor` (false on a fix that may be the stop's end). */
  inStop: boolean;
  /** A fix out of the stop, held until the next fix says whether the stop ended. */
  stopOutlier: Fix | null;
  /** Way on at the latest fix, knots (reported, else from the fix before); null when neither. */
  wayKn: number | null;
  /** Measurement time of the latest reading of any kind. */
  lastTs: number;
  arrivedAt: number | null;
}

export interface RaisedAlert {
  severity: Severity;
  /** Identifies the incident within this container and trip: the alert id derives from it. */
  incidentKey: string;
  startedAt: number;
  detectedAt: number;
  location: { lat: number; lon: number } | null;
  summary: string;
  evidence: string[];
  details?: Record<string, number | string | boolean | null>;
}

export interface RuleContext {
  readonly rules: Config['rules'];
  readonly view: ContainerView;
  /**
   * The numbers of a rule with `cells`, for the bound container: entries
   * `base` to `base + cells.length - 1` of this array (read and write them
   * there; another container's are elsewhere in it). Empty for a rule without.
   */
  readonly cells: Float64Array;
  readonly base: number;
  /** The same for a rule with `cells32`: entries `base32` to `base32 + cells32.length - 1` of this array. */
  readonly cells32: Uint32Array;
  readonly base32: number;
  readonly ports: PortTable;
  /** The authorised-zone situation of a fix under the current plan (cached per fix). */
  zones(fix: Fix): ZoneFix;
  raise(alert: RaisedAlert): void;
  /** An event-time timer for this rule and container; the same key replaces the earlier one. */
  setTimer(at: number, key: string): void;
  cancelTimer(key: string): void;
}

/**
 * A rule is pure: its state is plain data it owns per container and trip; it
 * reads the shared view, and raises alerts and sets timers through ctx. No I/O
 * and no clock: time is the readings' measurement time and the engine's
 * event-time timers.
 */
export interface Rule<S = unknown> {
  readonly id: RuleId;
  /**
   * The reading kinds onReading and learn act on: the engine calls them for
   * readings of these kinds only (a reading of another kind must leave the
   * rule's state and timers as they were). Absent: every reading.
   */
  readonly kinds?: readonly ReadingKind[];
  initialState(): S;
  /**
   * True only when `state` is as initialState() makes it (nothing pending,
   * nothing learnt). A rule that says so is kept no state of its own for a
   * container while its state is idle: the engine hands it a spare state,
   * shared by every such container, and keeps the state only once a call
   * has left it otherwise (it lets it go again when it is idle once more).
   * So a rule whose state is idle for most containers costs them nothing.
   * Absent: every container keeps its state. `idle` must read the state
   * only; a state it calls idle must be one the rule can start any
   * container from.
   */
  idle?(state: S): boolean;
  /**
   * What can take the rule out of its idle state (needs `idle`): readings of
   * the kinds listed, and with 'door-opening' a door reading that opens the
   * door (ContainerView.doorChanged, open). While a container keeps no state
   * of the rule, the engine calls onReading with those readings only: from
   * an idle state any other reading must change nothing, neither the state
   * nor the cells nor a timer, and raise nothing. Once a call has left the
   * state otherwise, every reading of `kinds` is given again. A door rule
   * that waits for an opening is idle for nearly every reading of nearly
   * every container: the engine then spares it the call. Absent: every
   * reading of `kinds`, idle or not.
   */
  readonly wakes?: readonly (ReadingKind | 'door-opening')[];
  /**
   * Numbers the rule keeps per container outside its state: their values at
   * a new trip (the list's length is how many). The engine keeps them in
   * the container's record, beside its own numbers and the other rules'
   * cells (one buffer per page of containers, seen as a Float64Array), so
   * they are neither fields of an object nor boxed doubles (16 bytes each),
   * and lie on the cache lines the container's reading touches anyway: a
   * rule reads and writes its own entries only. Reset with the
   * state at a new trip, written into snapshots, kept by a dropped container
   * a timer still reaches. The rule reads and writes them as
   * `ctx.cells[ctx.base + k]`, in any of its hooks. `idle` speaks of the
   * state alone: the cells are the container's whatever it says.
   */
  readonly cells?: readonly number[];
  /**
   * The same for whole numbers from 0 to 4,294,967,295 (counts, flags,
   * intervals in whole milliseconds up to 49.7 days), four bytes each
   * instead of eight: the same records seen as a Uint32Array, read and written as
   * `ctx.cells32[ctx.base32 + k]`. A value written outside that range wraps
   * and a fraction is cut, as a Uint32Array does: the rule clamps what could
   * be larger (clampU32 in bounded-list.ts).
   */
  readonly cells32?: readonly number[];
  onReading(state: S, reading: Reading, ctx: RuleContext): void;
  onTimer?(state: S, at: number, key: string, ctx: RuleContext): void;
  /** Readings of a bound container before departure: history to learn from, never alerts. */
  learn?(state: S, reading: Reading, ctx: RuleContext): void;
}

export function defineRule<S>(rule: Rule<S>): Rule<S> {
  return rule;
}
