import { readFileSync } from 'node:fs';
import { median, quantile } from 'simple-statistics';
import { z } from 'zod';
import { swError } from '../errors.js';
import { AlertSchema, type Alert } from '../model/alert.js';
import { parseIsoTime } from '../model/time.js';

/** An injected breach (WIRE section 5). */
export const LabelSchema = z.object({ containerId: z.string(), tripId: z.string().nullable().optional(), rule: z.string(), from: z.string(), to: z.string() });
export type Label = z.infer<typeof LabelSchema>;

/** WIRE section 5: an alert may start this long before a label's `from` or after its `to` and still detect it. */
export const MATCH_SLACK_MS = 10 * 60_000;

/** Whether an alert detects a label (WIRE section 5): same container, startedAt within the label's window and its slack. */
export function detects(alert: Alert, label: Label): boolean {
  const s = Date.parse(alert.startedAt);
  return alert.containerId === label.containerId && s >= parseIsoTime(label.from) - MATCH_SLACK_MS && s <= parseIsoTime(label.to) + MATCH_SLACK_MS;
}

export interface RuleScore {
  labels: number;
  detected: number;
  recall: number | null;
  expectedRuleShare: number | null;
  alerts: number;
  truePositives: number;
  precision: number | null;
  medianMinutesToDetect: number | null;
  p90MinutesToDetect: number | null;
}

export interface Score extends RuleScore {
  perRule: Record<string, RuleScore>;
}

/**
 * WIRE section 5: an alert detects a label when it names the same container
 * and its startedAt lies in [from - 10 min, to + 10 min]. Time to detect is
 * the earliest detectedAt of a detecting alert minus `from`.
 */
export function score(labels: readonly Label[], alerts: readonly Alert[]): Score {
  const byContainer = new Map<string, Alert[]>();
  for (const a of alerts) (byContainer.get(a.containerId) ?? byContainer.set(a.containerId, []).get(a.containerId)!).push(a);
  const alertHits = new Set<string>();
  const perRule: Record<string, { labels: number; detected: number; expected: number; ttd: number[]; alerts: number; tp: number }> = {};
  const rule = (id: string) => (perRule[id] ??= { labels: 0, detected: 0, expected: 0, ttd: [], alerts: 0, tp: 0 });
  const allTtd: number[] = [];
  let detected = 0;
  let expected = 0;
  for (const l of labels) {
    const from = parseIsoTime(l.from);
    const r = rule(l.rule);
    r.labels++;
    const hits = (byContainer.get(l.containerId) ?? []).filter((a) => detects(a, l));
    for (const a of hits) alertHits.add(a.alertId);
    if (hits.length === 0) continue;
    detected++;
    r.detected++;
    if (hits.some((a) => a.rule === l.rule)) {
      expected++;
      r.expected++;
    }
    const ttd = Math.min(...hits.map((a) => Date.parse(a.detectedAt))) - from;
    r.ttd.push(ttd / 60000);
    allTtd.push(ttd / 60000);
  }
  for (const a of alerts) {
    const r = rule(a.rule);
    r.alerts++;
    if (alertHits.has(a.alertId)) r.tp++;
  }
  const tp = alerts.filter((a) => alertHits.has(a.alertId)).length;
  const out: Score = { ...summarise(labels.length, detected, expected, allTtd, alerts.length, tp), perRule: {} };
  for (const [id, r] of Object.entries(perRule).sort(([a], [b]) => (a < b ? -1 : 1))) out.perRule[id] = summarise(r.labels, r.detected, r.expected, r.ttd, r.alerts, r.tp);
  return out;
}

function summarise(labels: number, detected: number, expected: number, ttd: number[], alerts: number, tp: number): RuleScore {
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    labels,
    detected,
    recall: labels ? r3(detected / labels) : null,
    expectedRuleShare: labels ? r3(expected / labels) : null,
    alerts,
    truePositives: tp,
    precision: alerts ? r3(tp / alerts) : null,
    medianMinutesToDetect: ttd.length ? r3(median(ttd)) : null,
    p90MinutesToDetect: ttd.length ? r3(quantile(ttd, 0.9)) : null,
  };
}

export function readNdjson<T>(file: string, schema: z.ZodType<T>, code: 'SW_ERR_LABELS_LINE' | 'SW_ERR_ALERTS_LINE'): T[] {
  const out: T[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let doc: unknown;
      try {
        doc = JSON.parse(line);
      } catch (err) {
        throw swError(code, file, i + 1, `invalid JSON: ${(err as Error).message}`);
      }
      const r = schema.safeParse(doc);
      if (!r.success) throw swError(code, file, i + 1, r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; '));
      out.push(r.data);
    });
  return out;
}

export function readLabels(file: string): Label[] {
  return readNdjson(file, LabelSchema, 'SW_ERR_LABELS_LINE');
}

/** Alerts from an NDJSON file, once per alert id (files written by at-least-once sinks may repeat one). */
export function readAlerts(file: string): Alert[] {
  const seen = new Set<string>();
  return readNdjson(file, AlertSchema, 'SW_ERR_ALERTS_LINE').filter((a) => !seen.has(a.alertId) && seen.add(a.alertId));
}
