import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { RULE_IDS, SEVERITIES } from '../model/alert.js';
import { decodeCursor, type AlertFilter } from './alert-store.js';
import type { ApiContext } from './context.js';
import { ALERT_ACTIONS, ALERT_STATUSES, type AlertAction, type AlertStatus } from './lifecycle.js';
import { bearer, errorResponses } from './schemas.js';

interface ListQuery {
  rule?: string;
  severity?: string;
  containerId?: string;
  tripId?: string;
  status?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

const HOUR = 3_600_000;

/** Alert queries, one alert, its evidence, and lifecycle actions. The live stream is in stream.ts. */
export const alertsPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const read = ctx.auth.require('read');
  const write = ctx.auth.require('write');

  app.get<{ Querystring: ListQuery }>(
    '/api/alerts',
    {
      onRequest: read,
      schema: {
        summary: 'Alerts, newest first (startedAt, then alertId), filtered and paged by cursor',
        tags: ['alerts'],
        security: bearer,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            rule: { type: 'string', description: `comma-separated rule ids: ${RULE_IDS.join(', ')}` },
            severity: { type: 'string', description: `comma-separated: ${SEVERITIES.join(', ')}` },
            containerId: { type: 'string' },
            tripId: { type: 'string' },
            status: { type: 'string', description: `comma-separated: ${ALERT_STATUSES.join(', ')}` },
            from: { type: 'string', format: 'date-time', description: 'startedAt >= from' },
            to: { type: 'string', format: 'date-time', description: 'startedAt < to' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            cursor: { type: 'string', description: 'nextCursor of the previous page' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: { $ref: 'Alert#' } },
              nextCursor: { type: ['string', 'null'] },
              total: { type: 'integer' },
              streamSeq: { type: 'integer', description: 'last stream event id: connect the stream with Last-Event-ID set to it to miss nothing' },
            },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const f: AlertFilter = {};
      for (const [name, allowed] of [
        ['rule', RULE_IDS],
        ['severity', SEVERITIES],
        ['status', ALERT_STATUSES],
      ] as const) {
        const raw = q[name];
        if (raw === undefined) continue;
        const values = raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const bad = values.find((v) => !(allowed as readonly string[]).includes(v));
        if (bad !== undefined || values.length === 0) return badRequest(reply, name, `${name}: ${JSON.stringify(bad ?? raw)} is not one of ${allowed.join(', ')}`);
        if (name === 'status') f.status = values as AlertStatus[];
        else f[name] = values;
      }
      if (q.containerId) f.containerId = q.containerId;
      if (q.tripId) f.tripId = q.tripId;
      if (q.from) f.from = Date.parse(q.from);
      if (q.to) f.to = Date.parse(q.to);
      if (q.cursor && !decodeCursor(q.cursor)) return badRequest(reply, 'cursor', 'cursor: not a cursor this API issued');
      const streamSeq = ctx.alerts.stream.lastSeq;
      return { ...ctx.alerts.query(f, q.limit, q.cursor ?? null), streamSeq };
    },
  );

  app.get<{ Params: { alertId: string } }>(
    '/api/alerts/:alertId',
    {
      onRequest: read,
      schema: {
        summary: 'One alert with its status and history',
        tags: ['alerts'],
        security: bearer,
        params: { type: 'object', properties: { alertId: { type: 'string', maxLength: 200 } }, required: ['alertId'] },
        response: { 200: { $ref: 'Alert#' }, ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => ctx.alerts.view(req.params.alertId) ?? notFound(reply, req.params.alertId),
  );

  app.get<{ Params: { alertId: string }; Querystring: { beforeMs: number; afterMs: number } }>(
    '/api/alerts/:alertId/evidence',
    {
      onRequest: read,
      schema: {
        summary: "The container's readings (door, light, temperature, position) and track around an alert",
        description: 'Readings with startedAt - beforeMs <= measuredAt < detectedAt + afterMs; those the alert names as evidence are flagged.',
        tags: ['alerts'],
        security: bearer,
        params: { type: 'object', properties: { alertId: { type: 'string', maxLength: 200 } }, required: ['alertId'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { beforeMs: { type: 'integer', minimum: 0, maximum: 30 * 24 * HOUR, default: 6 * HOUR }, afterMs: { type: 'integer', minimum: 0, maximum: 30 * 24 * HOUR, default: 2 * HOUR } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              alert: { $ref: 'Alert#' },
              from: { type: 'string' },
              to: { type: 'string' },
              readings: { type: 'array', items: { type: 'object', additionalProperties: true } },
              track: { type: 'array', items: { $ref: 'Fix#' } },
              trackSource: { type: 'string' },
            },
          },
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req, reply) => {
      const alert = ctx.alerts.view(req.params.alertId);
      if (!alert) return notFound(reply, req.params.alertId);
      const from = Date.parse(alert.startedAt) - req.query.beforeMs;
      const to = Date.parse(alert.detectedAt) + req.query.afterMs + 1;
      const evidence = new Set(alert.evidence);
      const readings = ctx.containers.readings(alert.containerId, from, to, 5000).map((r) => ({ ...r, evidence: evidence.has(r.eventId) }));
      const track = await ctx.tracks.track(alert.containerId, from, to, 5000);
      return { alert, from: new Date(from).toISOString(), to: new Date(to).toISOString(), readings, track, trackSource: ctx.tracks.name };
    },
  );

  app.post<{ Params: { alertId: string }; Body: { action: AlertAction; note?: string; assignee?: string } }>(
    '/api/alerts/:alertId/actions',
    {
      onRequest: write,
      schema: {
        summary: 'Acknowledge, assign, close or reopen an alert',
        description:
          'acknowledge: open -> acknowledged; assign (assignee required): any status but closed; close: open or acknowledged -> closed; reopen: closed -> open. Anything else is 409. Each action is kept in the history (who, when, note).',
        tags: ['alerts'],
        security: bearer,
        params: { type: 'object', properties: { alertId: { type: 'string', maxLength: 200 } }, required: ['alertId'] },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['action'],
          properties: { action: { type: 'string', enum: ALERT_ACTIONS }, note: { type: 'string', maxLength: 2000 }, assignee: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: { 200: { $ref: 'Alert#' }, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const { alertId } = req.params;
      if (!ctx.alerts.has(alertId)) return notFound(reply, alertId);
      const out = await ctx.lifecycle.act(alertId, { action: req.body.action, by: req.principal?.name ?? 'anonymous', at: new Date().toISOString(), note: req.body.note ?? null, assignee: req.body.assignee ?? null });
      if (!out.ok) return reply.code(out.status).send({ statusCode: out.status, error: out.status === 409 ? 'Conflict' : 'Bad Request', message: out.message, ...(out.status === 400 ? { field: 'assignee' } : {}) });
      ctx.log.info({ alertId, action: req.body.action, by: req.principal?.name, status: out.record.status }, 'api.alert_action');
      return ctx.alerts.view(alertId);
    },
  );
};

export function badRequest(reply: FastifyReply, field: string, message: string) {
  return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message, field });
}

function notFound(reply: FastifyReply, alertId: string) {
  return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no alert ${alertId}` });
}
