import type { FastifyPluginAsync } from 'fastify';
import type { Alert } from '../model/alert.js';
import { RULE_IDS } from '../model/alert.js';
import type { ApiContext } from './context.js';
import { DISPOSITIONS, type Disposition, type LifecycleRecord } from './lifecycle.js';
import { bearer, errorResponses } from './schemas.js';

export const BUCKETS = ['day', 'week', 'month'] as const;
export type Bucket = (typeof BUCKETS)[number];

type Counts = Record<Disposition | 'undisposed', number>;

export interface RuleStats {
  rule: string;
  raised: number;
  open: number;
  acknowledged: number;
  closed: number;
  /** Closed alerts by disposition (`undisposed`: closed without one). */
  dispositions: Counts;
  /** confirmed / (confirmed + false alarms); null while neither has been recorded. */
  precision: number | null;
}

export interface SeriesPoint {
  /** Start of the bucket (UTC), by the alerts' detectedAt. */
  start: string;
  rule: string;
  raised: number;
  confirmed: number;
  falseAlarms: number;
  precision: number | null;
}

export interface VersionPoint {
  rule: string;
  /** null: alerts that carry no rule version (raised at ingest, or by an older sealwatch). */
  ruleVersion: number | null;
  raised: number;
  confirmed: number;
  falseAlarms: number;
  precision: number | null;
}

export interface Stats {
  from: string | null;
  to: string | null;
  bucket: Bucket;
  totals: { raised: number; closed: number; confirmed: number; falseAlarms: number; precision: number | null };
  rules: RuleStats[];
  series: SeriesPoint[];
  byVersion: VersionPoint[];
}

const zero = (): Counts => ({ 'confirmed-breach': 0, 'false-alarm': 0, duplicate: 0, 'not-our-jurisdiction': 0, undisposed: 0 });

/** Precision counts only what the analysts judged a rule right or wrong on: duplicates and other centres' alerts say nothing of the rule. */
export function precision(confirmed: number, falseAlarms: number): number | null {
  return confirmed + falseAlarms === 0 ? null : Math.round((confirmed / (confirmed + falseAlarms)) * 10_000) / 10_000;
}

/** The UTC start of the bucket holding `t`: the day, the ISO week (from Monday) or the month. */
export function bucketStart(t: number, bucket: Bucket): number {
  const d = new Date(t);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (bucket === 'day') return day;
  if (bucket === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
}

/**
 * Per-rule precision from the analysts' dispositions: each alert by its
 * current record (a reopened alert counts as not closed), bucketed by its
 * detectedAt, so "precision in week W" is how many of the alerts raised that
 * week were confirmed, as far as they have been judged.
 */
export function computeStats(alerts: Iterable<[Alert, LifecycleRecord | null]>, opts: { from?: number; to?: number; bucket: Bucket; rules?: readonly string[] }): Stats {
  const byRule = new Map<string, RuleStats>();
  const series = new Map<string, SeriesPoint>();
  const versions = new Map<string, VersionPoint>();
  for (const [a, rec] of alerts) {
    const t = Date.parse(a.detectedAt);
    if (opts.from !== undefined && t < opts.from) continue;
    if (opts.to !== undefined && t >= opts.to) continue;
    if (opts.rules && !opts.rules.includes(a.rule)) continue;
    let r = byRule.get(a.rule);
    if (!r) byRule.set(a.rule, (r = { rule: a.rule, raised: 0, open: 0, acknowledged: 0, closed: 0, dispositions: zero(), precision: null }));
    const status = rec?.status ?? 'open';
    const disposition = status === 'closed' ? (rec?.disposition ?? 'undisposed') : null;
    r.raised++;
    r[status]++;
    if (disposition) r.dispositions[disposition]++;
    const confirmed = disposition === 'confirmed-breach' ? 1 : 0;
    const falseAlarm = disposition === 'false-alarm' ? 1 : 0;
    const start = new Date(bucketStart(t, opts.bucket)).toISOString();
    const sk = `${start}\u0000${a.rule}`;
    let p = series.get(sk);
    if (!p) series.set(sk, (p = { start, rule: a.rule, raised: 0, confirmed: 0, falseAlarms: 0, precision: null }));
    p.raised++;
    p.confirmed += confirmed;
    p.falseAlarms += falseAlarm;
    const version = a.ruleVersion ?? null;
    const vk = `${a.rule}\u0000${version}`;
    let v = versions.get(vk);
    if (!v) versions.set(vk, (v = { rule: a.rule, ruleVersion: version, raised: 0, confirmed: 0, falseAlarms: 0, precision: null }));
    v.raised++;
    v.confirmed += confirmed;
    v.falseAlarms += falseAlarm;
  }
  const ruleOrder = (x: string) => (RULE_IDS as readonly string[]).indexOf(x);
  const rules = [...byRule.values()].sort((x, y) => ruleOrder(x.rule) - ruleOrder(y.rule));
  for (const r of rules) r.precision = precision(r.dispositions['confirmed-breach'], r.dispositions['false-alarm']);
  const points = [...series.values()].sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : ruleOrder(x.rule) - ruleOrder(y.rule)));
  for (const p of points) p.precision = precision(p.confirmed, p.falseAlarms);
  const byVersion = [...versions.values()].sort((x, y) => ruleOrder(x.rule) - ruleOrder(y.rule) || (x.ruleVersion ?? -1) - (y.ruleVersion ?? -1));
  for (const v of byVersion) v.precision = precision(v.confirmed, v.falseAlarms);
  const sum = (f: (r: RuleStats) => number) => rules.reduce((n, r) => n + f(r), 0);
  const confirmed = sum((r) => r.dispositions['confirmed-breach']);
  const falseAlarms = sum((r) => r.dispositions['false-alarm']);
  return {
    from: opts.from === undefined ? null : new Date(opts.from).toISOString(),
    to: opts.to === undefined ? null : new Date(opts.to).toISOString(),
    bucket: opts.bucket,
    totals: { raised: sum((r) => r.raised), closed: sum((r) => r.closed), confirmed, falseAlarms, precision: precision(confirmed, falseAlarms) },
    rules,
    series: points,
    byVersion,
  };
}

const countsSchema = { type: 'object', properties: Object.fromEntries([...DISPOSITIONS, 'undisposed'].map((d) => [d, { type: 'integer' }])) } as const;
const precisionSchema = { type: ['number', 'null'], description: 'confirmed breaches / (confirmed breaches + false alarms); null while none' } as const;

/** `GET /api/stats`: per-rule precision from the dispositions, in total, over time and per rule version. */
export const statsPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get<{ Querystring: { from?: string; to?: string; bucket: Bucket; rule?: string } }>(
    '/api/stats',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: 'Per-rule precision from the analysts\u2019 dispositions: in total, per day/week/month of detectedAt, and per rule version',
        description:
          'Counts the alerts the API holds (api.maxAlerts) in the caller\u2019s jurisdiction, each by its current status and disposition. Precision = confirmed breaches / (confirmed breaches + false alarms); duplicates, other jurisdictions\u2019 alerts and closes without a disposition do not count for or against a rule.',
        tags: ['alerts'],
        security: bearer,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date-time', description: 'detectedAt >= from' },
            to: { type: 'string', format: 'date-time', description: 'detectedAt < to' },
            bucket: { type: 'string', enum: BUCKETS, default: 'week' },
            rule: { type: 'string', description: 'comma-separated rule ids' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              from: { type: ['string', 'null'] },
              to: { type: ['string', 'null'] },
              bucket: { type: 'string' },
              totals: { type: 'object', properties: { raised: { type: 'integer' }, closed: { type: 'integer' }, confirmed: { type: 'integer' }, falseAlarms: { type: 'integer' }, precision: precisionSchema } },
              rules: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    rule: { type: 'string' },
                    raised: { type: 'integer' },
                    open: { type: 'integer' },
                    acknowledged: { type: 'integer' },
                    closed: { type: 'integer' },
                    dispositions: countsSchema,
                    precision: precisionSchema,
                  },
                },
              },
              series: {
                type: 'array',
                items: { type: 'object', properties: { start: { type: 'string' }, rule: { type: 'string' }, raised: { type: 'integer' }, confirmed: { type: 'integer' }, falseAlarms: { type: 'integer' }, precision: precisionSchema } },
              },
              byVersion: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { rule: { type: 'string' }, ruleVersion: { type: ['integer', 'null'] }, raised: { type: 'integer' }, confirmed: { type: 'integer' }, falseAlarms: { type: 'integer' }, precision: precisionSchema },
                },
              },
            },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req, reply) => {
      const rules = req.query.rule
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = rules?.find((r) => !(RULE_IDS as readonly string[]).includes(r));
      if (bad !== undefined || (rules && rules.length === 0))
        return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `rule: ${JSON.stringify(bad ?? req.query.rule)} is not one of ${RULE_IDS.join(', ')}`, field: 'rule' });
      const view = req.view;
      const visible = function* () {
        for (const pair of ctx.alerts.all()) if (!view || ctx.jurisdictions.alertVisible(view, pair[0])) yield pair;
      };
      return computeStats(visible(), {
        bucket: req.query.bucket,
        ...(req.query.from ? { from: Date.parse(req.query.from) } : {}),
        ...(req.query.to ? { to: Date.parse(req.query.to) } : {}),
        ...(rules ? { rules } : {}),
      });
    },
  );
};
