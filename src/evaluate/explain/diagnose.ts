import type { Config } from '../../config/schema.js';
import type { Alert } from '../../model/alert.js';
import type { Reading } from '../../model/reading.js';
import { parseIsoTime } from '../../model/time.js';
import { detects, MATCH_SLACK_MS, type Label } from '../score.js';
import { readingsContext, planCache, type ContextEnv, type ReadingsContext } from './context.js';
import { probeFor, runProbes } from './index.js';
import type { ProbeResult } from './probe.js';
import type { Trace } from './trace.js';

/** What needs explaining, from labels and alerts alone (before any reading is decoded). */
export interface Selection {
  /** Labels no alert detects. */
  missed: Label[];
  /** Labels detected only by alerts of other rules than the label's. */
  wrongRule: Array<{ label: Label; alerts: Alert[] }>;
  /** Alerts that detect no label. */
  unmatched: Alert[];
}

export function select(labels: readonly Label[], alerts: readonly Alert[]): Selection {
  const byContainer = group(alerts, (a) => a.containerId);
  const hit = new Set<string>();
  const out: Selection = { missed: [], wrongRule: [], unmatched: [] };
  for (const l of labels) {
    const hits = (byContainer.get(l.containerId) ?? []).filter((a) => detects(a, l));
    for (const a of hits) hit.add(a.alertId);
    if (hits.length === 0) out.missed.push(l);
    else if (!hits.some((a) => a.rule === l.rule)) out.wrongRule.push({ label: l, alerts: hits });
  }
  out.unmatched = alerts.filter((a) => !hit.has(a.alertId));
  return out;
}

export function containersOf(s: Selection): Set<string> {
  return new Set([...s.missed.map((l) => l.containerId), ...s.wrongRule.map((w) => w.label.containerId), ...s.unmatched.map((a) => a.containerId)]);
}

export interface PlanSummary {
  tripId: string;
  origin: string;
  transshipments: string[];
  destination: string;
  departure: string;
  eta: string;
  reefer: { setpointC: number; toleranceC: number } | null;
  /** When the engine saw the container reach its destination zone, if it did. */
  arrivedAt: string | null;
  destinationZones: string[];
}

export interface NearbyAlert {
  alertId: string;
  rule: string;
  startedAt: string;
  summary: string;
  offsetMin: number;
}
export interface NearbyLabel {
  rule: string;
  from: string;
  to: string;
  offsetMin: number;
}

export type Item =
  | { kind: 'missed'; label: Label; plan: PlanSummary | null; nearbyAlerts: NearbyAlert[]; probes: Probed[]; readings: ReadingsContext }
  | { kind: 'wrong-rule'; label: Label; plan: PlanSummary | null; alerts: NearbyAlert[]; probes: Probed[]; readings: ReadingsContext }
  | { kind: 'unmatched-alert'; alert: Alert; plan: PlanSummary | null; evidence: EvidenceRow[]; nearestLabels: NearbyLabel[]; probes: Probed[]; readings: ReadingsContext };

/** A probe's result with its time as ISO. */
export type Probed = Omit<ProbeResult, 'at'> & { at: string | null };

export interface EvidenceRow {
  eventId: string;
  reading: string | null;
}

export interface DiagnoseOptions extends ContextEnv {
  config: Pick<Config, 'trips' | 'rules' | 'engine'>;
  /** Readings shown this long before and after the label or alert. */
  contextMs: number;
}

/** Every item of the selection, explained from the traces of their containers. */
export function diagnose(s: Selection, labels: readonly Label[], alerts: readonly Alert[], traces: ReadonlyMap<string, Trace>, opts: DiagnoseOptions): Item[] {
  const alertsOf = group(alerts, (a) => a.containerId);
  const labelsOf = group(labels, (l) => l.containerId);
  const plans = planCache(opts);
  const traceOf = (c: string): Trace => traces.get(c) ?? { containerId: c, readings: [], steps: [], openings: [], late: [], mismatches: [], inputEnd: -Infinity };
  const planOf = (tripId: string | null | undefined, t: Trace): PlanSummary | null => summarisePlan(plans(tripId ?? null), t);
  const probeInput = (t: Trace, from: number, to: number) => ({ trace: t, from: from - MATCH_SLACK_MS, to: to + MATCH_SLACK_MS, rules: opts.config.rules, engine: opts.config.engine, ports: opts.ports });
  const items: Item[] = [];
  for (const l of s.missed) {
    const t = traceOf(l.containerId);
    const [from, to] = [parseIsoTime(l.from), parseIsoTime(l.to)];
    const nearbyAlerts = (alertsOf.get(l.containerId) ?? [])
      .map((a) => nearbyAlert(a, from, to))
      .sort((a, b) => Math.abs(a.offsetMin) - Math.abs(b.offsetMin))
      .slice(0, 3);
    items.push({ kind: 'missed', label: l, plan: planOf(l.tripId, t), nearbyAlerts, probes: runProbes(probeInput(t, from, to)).map(iso), readings: readingsContext(t, from - opts.contextMs, to + opts.contextMs, opts) });
  }
  for (const w of s.wrongRule) {
    const l = w.label;
    const t = traceOf(l.containerId);
    const [from, to] = [parseIsoTime(l.from), parseIsoTime(l.to)];
    items.push({
      kind: 'wrong-rule',
      label: l,
      plan: planOf(l.tripId, t),
      alerts: w.alerts.map((a) => nearbyAlert(a, from, to)),
      probes: runProbes(probeInput(t, from, to)).map(iso),
      readings: readingsContext(t, from - opts.contextMs, to + opts.contextMs, opts),
    });
  }
  for (const a of s.unmatched) {
    const t = traceOf(a.containerId);
    const [from, to] = [parseIsoTime(a.startedAt), parseIsoTime(a.detectedAt)];
    const byId = new Map(t.readings.map((r) => [r.eventId, r]));
    const mismatches = new Map(t.mismatches.map((m) => [m.eventId, m]));
    const evidence = a.evidence.map((id) => {
      const r = byId.get(id);
      const m = mismatches.get(id);
      return { eventId: id, reading: r ? describeReading(r) : m ? `${m.measuredAt} dead-lettered: device ${m.deviceId} claims ${m.claimedContainerId}, which no active plan binds to it` : null };
    });
    const nearestLabels = (labelsOf.get(a.containerId) ?? [])
      .map((l) => nearbyLabel(l, from))
      .sort((x, y) => Math.abs(x.offsetMin) - Math.abs(y.offsetMin))
      .slice(0, 3);
    const probe = probeFor(a.rule);
    const probes = probe ? runProbes(probeInput(t, from, from), [probe]).map(iso) : [];
    items.push({ kind: 'unmatched-alert', alert: a, plan: planOf(a.tripId, t), evidence, nearestLabels, probes, readings: readingsContext(t, from - opts.contextMs, to + opts.contextMs, opts) });
  }
  return items;
}

/** Minutes from the window [from, to] to the alert's start: negative before, 0 inside, positive after. */
function nearbyAlert(a: Alert, from: number, to: number): NearbyAlert {
  const s = Date.parse(a.startedAt);
  const offset = s < from ? s - from : s > to ? s - to : 0;
  return { alertId: a.alertId, rule: a.rule, startedAt: a.startedAt, summary: a.summary, offsetMin: Math.round(offset / 60000) };
}

/** Minutes from the label's window to the alert's start: positive when the alert starts after the label. */
function nearbyLabel(l: Label, alertStart: number): NearbyLabel {
  const [from, to] = [parseIsoTime(l.from), parseIsoTime(l.to)];
  const offset = alertStart < from ? alertStart - from : alertStart > to ? alertStart - to : 0;
  return { rule: l.rule, from: l.from, to: l.to, offsetMin: Math.round(offset / 60000) };
}

function summarisePlan(plan: ReturnType<ReturnType<typeof planCache>>, t: Trace): PlanSummary | null {
  if (!plan) return null;
  const p = plan.plan;
  const arrived = t.steps.find((s) => s.plan?.tripId === p.tripId && s.arrivedAt !== null)?.arrivedAt ?? null;
  return {
    tripId: p.tripId,
    origin: p.origin,
    transshipments: [...p.transshipments],
    destination: p.destination,
    departure: p.departure,
    eta: p.eta,
    reefer: p.reefer ?? null,
    arrivedAt: arrived === null ? null : new Date(arrived).toISOString(),
    destinationZones: plan.destinationZones.map((z) => z.name),
  };
}

export function describeReading(r: Reading): string {
  const t = new Date(r.ts).toISOString();
  const v =
    r.kind === 'location'
      ? `fix ${r.lat}, ${r.lon}${r.speedKn !== undefined ? ` sog ${r.speedKn} kn` : ''}${r.hdop !== undefined ? ` hdop ${r.hdop}` : ''}`
      : r.kind === 'door'
        ? `door ${r.open ? 'open' : 'closed'}`
        : r.kind === 'light'
          ? `light ${r.lux} lux`
          : `temperature ${r.celsius} °C${r.setpointC !== undefined ? ` (setpoint ${r.setpointC})` : ''}`;
  return `${t} ${v}${r.receivedAt - r.ts > 60_000 ? `, arrived ${Math.round((r.receivedAt - r.ts) / 60000)} min later` : ''}`;
}

function iso(r: ProbeResult): Probed {
  return { ...r, at: r.at === null ? null : new Date(r.at).toISOString() };
}

function group<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) (m.get(key(x)) ?? m.set(key(x), []).get(key(x))!).push(x);
  return m;
}
