import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from './context.js';
import { bearer, errorResponses } from './schemas.js';

const DAY = 86_400_000;
const containerIdParam = { type: 'object', properties: { containerId: { type: 'string', pattern: '^[A-Z]{4}[0-9]{7}$' } }, required: ['containerId'] } as const;

const summarySchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    containerId: { type: 'string' },
    deviceId: { type: 'string' },
    tripId: { type: ['string', 'null'] },
    lastSeenAt: { type: 'string', format: 'date-time' },
    position: { anyOf: [{ $ref: 'Fix#' }, { type: 'null' }] },
    door: { type: ['object', 'null'], additionalProperties: true },
    temperature: { type: ['object', 'null'], additionalProperties: true },
    light: { type: ['object', 'null'], additionalProperties: true },
    openAlerts: { type: 'integer', description: 'alerts not closed' },
  },
} as const;

/** Containers as the telemetry shows them, and their tracks. */
export const containersPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const read = ctx.auth.require('read');

  app.get(
    '/api/containers',
    {
      onRequest: read,
      schema: {
        summary: 'Every container seen: latest position, door, temperature, light (by measurement time) and open alerts',
        tags: ['containers'],
        security: bearer,
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: summarySchema } } }, ...errorResponses(401, 403) },
      },
    },
    async () => {
      const open = ctx.alerts.openByContainer();
      return { items: ctx.containers.list().map((c) => ({ ...c, openAlerts: open.get(c.containerId) ?? 0 })) };
    },
  );

  app.get<{ Params: { containerId: string } }>(
    '/api/containers/:containerId',
    {
      onRequest: read,
      schema: { summary: 'One container', tags: ['containers'], security: bearer, params: containerIdParam, response: { 200: summarySchema, ...errorResponses(400, 401, 403, 404) } },
    },
    async (req, reply) => {
      const c = ctx.containers.get(req.params.containerId);
      if (!c) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no telemetry for container ${req.params.containerId}` });
      return { ...c, openAlerts: ctx.alerts.openByContainer().get(c.containerId) ?? 0 };
    },
  );

  app.get<{ Params: { containerId: string }; Querystring: { from?: string; to?: string; limit: number } }>(
    '/api/containers/:containerId/track',
    {
      onRequest: read,
      schema: {
        summary: 'Position fixes of a container in measurement order (memory in embedded mode, InfluxDB when enabled)',
        tags: ['containers'],
        security: bearer,
        params: containerIdParam,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date-time', description: 'inclusive; default: 30 days before `to`' },
            to: { type: 'string', format: 'date-time', description: 'exclusive; default: now + 1 day' },
            limit: { type: 'integer', minimum: 1, maximum: 20_000, default: 5000, description: 'the most recent fixes of the range are kept' },
          },
        },
        response: {
          200: { type: 'object', properties: { containerId: { type: 'string' }, source: { type: 'string', enum: ['memory', 'influx'] }, points: { type: 'array', items: { $ref: 'Fix#' } } } },
          ...errorResponses(400, 401, 403, 502),
        },
      },
    },
    async (req, reply) => {
      const to = req.query.to ? Date.parse(req.query.to) : Date.now() + DAY;
      const from = req.query.from ? Date.parse(req.query.from) : to - 30 * DAY;
      if (from >= to) return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'from: must be before to', field: 'from' });
      try {
        return { containerId: req.params.containerId, source: ctx.tracks.name, points: await ctx.tracks.track(req.params.containerId, from, to, req.query.limit) };
      } catch (err) {
        ctx.log.warn({ err: (err as Error).message }, 'api.track_query_failed');
        return reply.code(502).send({ statusCode: 502, error: 'Bad Gateway', message: `track source ${ctx.tracks.name} failed: ${(err as Error).message}` });
      }
    },
  );
};
