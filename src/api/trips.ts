import type { FastifyPluginAsync } from 'fastify';
import { TOPICS } from '../bus/topics.js';
import { parseTripPlan } from '../trips/load.js';
import { SealwatchError } from '../errors.js';
import type { PortTable } from '../geo/ports.js';
import { TripPlanSchema, type TripPlan } from '../trips/schema.js';
import { publishPlans } from '../pipeline/trips-sync.js';
import { compilePlan, type PlanOptions } from '../trips/compile.js';
import type { ApiContext } from './context.js';
import { bearer, errorResponses } from './schemas.js';

export type ZoneView = { name: string; locode: string | null; kind: 'circle'; lat: number; lon: number; radiusKm: number } | { name: string; locode: null; kind: 'polygon'; polygon: Array<[number, number]> };

/** A plan with its authorised zones resolved (explicit or default circles round its ports), for the map. */
export function tripView(plan: TripPlan, ports: PortTable, opts: PlanOptions) {
  const compiled = compilePlan(plan, ports, opts);
  const zones: ZoneView[] = compiled.zones.map((z) =>
    z.polygon
      ? { name: z.name, locode: null, kind: 'polygon', polygon: z.polygon.geometry.coordinates[0] as Array<[number, number]> }
      : { name: z.name, locode: z.locode, kind: 'circle', lon: z.center![0], lat: z.center![1], radiusKm: z.radiusKm },
  );
  return { plan, zones, plannedPorts: compiled.plannedPorts, route: compiled.route?.geometry.coordinates ?? null };
}

const tripIdParam = { type: 'object', properties: { tripId: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['tripId'] } as const;
const tripViewSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    plan: { type: 'object', additionalProperties: true },
    zones: { type: 'array', items: { type: 'object', additionalProperties: true } },
    plannedPorts: { type: 'array', items: { type: 'object', additionalProperties: true } },
    route: { type: ['array', 'null'] },
  },
} as const;

/** Trip plans: read them (with zones for the map), and put one that takes effect at once. */
export const tripsPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const opts = ctx.config.trips;

  app.get(
    '/api/trips',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: 'Every known trip plan with its authorised zones resolved',
        tags: ['trips'],
        security: bearer,
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: tripViewSchema } } }, ...errorResponses(401, 403) },
      },
    },
    async () => ({
      items: ctx.trips
        .all()
        .sort((a, b) => (a.tripId < b.tripId ? -1 : 1))
        .flatMap((p) => safeView(p, ctx.ports, opts)),
    }),
  );

  app.get<{ Params: { tripId: string } }>(
    '/api/trips/:tripId',
    {
      onRequest: ctx.auth.require('read'),
      schema: { summary: 'One trip plan', tags: ['trips'], security: bearer, params: tripIdParam, response: { 200: tripViewSchema, ...errorResponses(401, 403, 404) } },
    },
    async (req, reply) => {
      const p = ctx.trips.get(req.params.tripId);
      if (!p) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no trip ${req.params.tripId}` });
      return tripView(p, ctx.ports, opts);
    },
  );

  app.put<{ Params: { tripId: string }; Body: unknown }>(
    '/api/trips/:tripId',
    {
      onRequest: ctx.auth.require('write'),
      schema: {
        summary: `Create or replace a trip plan (WIRE section 2); the rules use it at once and it is published to ${TOPICS.trips}`,
        description: 'A plan that fails validation is refused with 400 naming the field (`field`, a dotted path such as `authorisedZones.1.radiusKm`).',
        tags: ['trips'],
        security: bearer,
        params: tripIdParam,
        body: { type: 'object', description: 'a trip plan as in WIRE section 2', additionalProperties: true },
        response: { 200: tripViewSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const bad = (field: string, message: string) => reply.code(400).send({ statusCode: 400, error: 'Bad Request', code: 'SW_ERR_TRIP_INVALID', message, field });
      const checked = TripPlanSchema.safeParse(req.body);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        const field = issue.path.length ? issue.path.join('.') : '(root)';
        return bad(field, `${field}: ${issue.message}`);
      }
      if (checked.data.tripId !== req.params.tripId) return bad('tripId', `tripId: ${JSON.stringify(checked.data.tripId)} differs from the path's ${JSON.stringify(req.params.tripId)}`);
      let plan: TripPlan;
      try {
        plan = parseTripPlan(req.body, `PUT /api/trips/${req.params.tripId}`, ctx.ports, opts);
      } catch (err) {
        if (err instanceof SealwatchError && err.code === 'SW_ERR_TRIP_UNKNOWN_PORT') {
          const locode = /port ([A-Z0-9]{5})/.exec(err.message)?.[1] ?? '';
          const field = fieldOfPort(checked.data, locode);
          return bad(field, `${field}: ${err.message}`);
        }
        if (err instanceof SealwatchError) return bad('(root)', err.message);
        throw err;
      }
      await publishPlans(ctx.bus, [plan]);
      ctx.trips.upsert(plan);
      ctx.log.info({ tripId: plan.tripId, containerId: plan.containerId, by: req.principal?.name }, 'api.trip_put');
      return tripView(plan, ctx.ports, opts);
    },
  );
};

function fieldOfPort(p: TripPlan, locode: string): string {
  if (p.origin === locode) return 'origin';
  if (p.destination === locode) return 'destination';
  const t = p.transshipments.indexOf(locode);
  if (t >= 0) return `transshipments.${t}`;
  const z = (p.authorisedZones ?? []).findIndex((zone) => 'locode' in zone && zone.locode === locode);
  return z >= 0 ? `authorisedZones.${z}.locode` : '(root)';
}

function safeView(p: TripPlan, ports: PortTable, opts: PlanOptions) {
  try {
    return [tripView(p, ports, opts)];
  } catch {
    return [];
  }
}
