import type { Config } from '../../config/schema.js';
import type { RuleId } from '../../model/alert.js';
import type { PortTable } from '../../geo/ports.js';
import { fmtDuration, fmtKm } from '../../rules/door-opening.js';
import { kmBetween, knots } from '../../geo/distance.js';
import { locateInZones, type ZoneFix } from '../../trips/compile.js';
import type { Fix, PrevFix, RuleContext } from '../../rules/rule.js';
import type { Step, Trace } from './trace.js';

/**
 * A probe asks of one container's trace what its rule asks, and says how
 * close the rule's key quantity came to its threshold: score = quantity /
 * threshold, 1 or more = the quantity would fire the rule. A rule with two
 * thresholds in sequence (deviation, then duration) is scored on the first
 * one its data did not pass. A gate that is no quantity (a stop inside an
 * authorised zone, an opening whose fix is part of a stop) scores 0 and is
 * named in the reason. Thresholds come from the configuration only.
 */
export interface ProbeResult {
  rule: RuleId;
  /** null: the rule does not apply to this container (a dry box for a reefer rule, a plan without a route). */
  score: number | null;
  reason: string;
  /** Measurement time of the incident the reason describes, if any. */
  at: number | null;
}

export interface ProbeInput {
  trace: Trace;
  /** The window an incident's start must lie in (for a label: its from/to widened by the matching slack). */
  from: number;
  to: number;
  rules: Config['rules'];
  /** The engine's settings (allowed lateness: when a silence is believed). */
  engine: Config['engine'];
  ports: PortTable;
}

export interface Probe {
  readonly rule: RuleId;
  run(input: ProbeInput): ProbeResult;
}

/**
 * Scores are rounded to hundredths and capped at 99 (a jump in no time
 * implies infinite speed); one under 1 stays under it (0.998 is 0.99: it
 * would not fire).
 */
export function result(rule: RuleId, score: number | null, reason: string, at: number | null = null): ProbeResult {
  if (score === null) return { rule, score: null, reason, at };
  const rounded = Number.isNaN(score) ? 0 : Math.round(Math.min(score, 99) * 100) / 100;
  return { rule, score: score < 1 ? Math.min(rounded, 0.99) : rounded, reason, at };
}

/** Steps the rules evaluated (trip under way). */
export function activeSteps(trace: Trace): Step[] {
  return trace.steps.filter((s) => s.active);
}

export function inWindow(ts: number, input: Pick<ProbeInput, 'from' | 'to'>): boolean {
  return ts >= input.from && ts <= input.to;
}

/** A rule context answering as the engine's did at this step (zones from the step's plan); it cannot raise or set timers. */
export function contextAt(step: Step, input: Pick<ProbeInput, 'rules' | 'ports'>): RuleContext {
  const view = {
    containerId: step.reading.containerId,
    deviceId: step.reading.deviceId,
    plan: step.plan,
    active: step.active,
    fix: step.fix,
    prevFix: step.prevFix,
    door: step.door,
    doorSince: step.doorSince,
    doorEventId: step.doorEventId,
    doorChanged: step.doorChanged,
    stopAnchor: step.stopAnchor,
    inStop: step.inStop,
    stopOutlier: step.stopOutlier,
    wayKn: step.wayKn,
    lastTs: step.reading.ts,
    arrivedAt: step.arrivedAt,
  };
  const refuse = (): never => {
    throw new Error('a probe context cannot raise alerts or set timers');
  };
  return { rules: input.rules, view, ports: input.ports, cells: new Float64Array(0), base: 0, cells32: new Uint32Array(0), base32: 0, zones: (fix: Fix) => zonesOf(step, fix), raise: refuse, setTimer: refuse, cancelTimer: refuse };
}

export function zonesOf(step: Pick<Step, 'plan'>, p: { lat: number; lon: number }): ZoneFix {
  return step.plan ? locateInZones(step.plan.zones, p.lat, p.lon) : { inside: null, nearest: null, nearestKm: Infinity };
}

/** Knots between two fixes, or null when they share a time. */
export function derivedKn(prev: PrevFix | null, fix: Fix): number | null {
  if (!prev || fix.ts <= prev.ts) return null;
  return knots(kmBetween(prev, fix), fix.ts - prev.ts);
}

export function hhmm(ts: number): string {
  return new Date(ts).toISOString().slice(11, 16);
}

/** `03-06 10:22`: month-day and minute, UTC. */
export function when(ts: number): string {
  return new Date(ts).toISOString().slice(5, 16).replace('T', ' ');
}

export function pos(p: { lat: number; lon: number }): string {
  return `${Math.abs(p.lat).toFixed(3)}${p.lat >= 0 ? 'N' : 'S'} ${Math.abs(p.lon).toFixed(3)}${p.lon >= 0 ? 'E' : 'W'}`;
}

export function kn(x: number | null): string {
  return x === null ? '?' : Number.isFinite(x) ? `${x.toFixed(1)} kn` : 'inf kn';
}

export { fmtDuration as dur, fmtKm as km };
