import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { noContainer } from './containers.js';
import type { ApiContext } from './context.js';
import { DcsaLedger, deriveIotEvents, horizonOf, IOT_EVENT_CODES, type IotEventCode } from './export/dcsa.js';
import { bearer, errorResponses } from './schemas.js';

const ALL = Number.POSITIVE_INFINITY;
const MAX_READINGS = 100_000;

const eventsResponse = {
  type: 'array',
  description: 'DCSA IoT events (Event Domain 3.1.0 iotEvent): metadata {eventID, eventCreatedDateTime, eventType IOT, retractedEventID?, publisher, publisherRole} and, unless a retraction, payload',
  items: { type: 'object', additionalProperties: true },
} as const;
const codesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { iotEventCodes: { type: 'string', description: `comma-separated: ${IOT_EVENT_CODES.join(', ')} (DRO only: Event Domain 3.1.0's own list)` } },
} as const;

/**
 * DCSA Track & Trace 3.0 IoT events for a container or a trip, in DCSA's
 * order (eventCreatedDateTime ascending): door openings and closings and a
 * breadcrumb per fix, from the readings the API holds (api.evidenceReadings
 * per container); events a re-evaluation withdrew come back as retractions.
 */
export const dcsaPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const cfg = ctx.config.api.dcsa;
  const ledger = new DcsaLedger(cfg.maxFeeds);
  const meta = { publisher: { partyName: cfg.partyName, carrierCode: cfg.carrierCode, carrierCodeListProvider: cfg.carrierCodeListProvider }, publisherRole: cfg.publisherRole };

  const codesOf = (raw: string | undefined, reply: FastifyReply): Set<IotEventCode> | undefined | null => {
    if (raw === undefined) return undefined;
    const codes = raw
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    const bad = codes.find((c) => !(IOT_EVENT_CODES as readonly string[]).includes(c));
    if (bad !== undefined || codes.length === 0) {
      void reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: `iotEventCodes: ${JSON.stringify(bad ?? raw)} is not one of ${IOT_EVENT_CODES.join(', ')}`, field: 'iotEventCodes' });
      return null;
    }
    return new Set(codes as IotEventCode[]);
  };

  const feed = (feedKey: string, containerId: string, from: number, to: number, codes: Set<IotEventCode> | undefined) => {
    // derived from everything held, so the door's state carries into the window; then cut to it
    const readings = ctx.containers.readings(containerId, -ALL, ALL, MAX_READINGS);
    const derived = deriveIotEvents(readings, { containerId, publisher: meta.publisher, publisherRole: meta.publisherRole, placeWithinMs: ctx.config.rules.doorOpen.fixMaxAgeMs }).filter((d) => {
      const t = Date.parse(d.eventDateTime);
      return t >= from && t < to;
    });
    return ledger.reconcile(feedKey, derived, horizonOf(readings), meta, codes);
  };

  app.get<{ Params: { containerId: string }; Querystring: { iotEventCodes?: string } }>(
    '/api/containers/:containerId/dcsa-events',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: 'DCSA Track & Trace 3.0 IoT events of a container: door opened (DRO), door closed (DRC), breadcrumbs (LOC), retractions',
        tags: ['exports'],
        security: bearer,
        params: { type: 'object', properties: { containerId: { type: 'string', pattern: '^[A-Z]{4}[0-9]{7}$' } }, required: ['containerId'] },
        querystring: codesQuery,
        response: { 200: eventsResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const { containerId } = req.params;
      if (!ctx.jurisdictions.containerVisible(req.view, containerId)) return noContainer(reply, containerId);
      const codes = codesOf(req.query.iotEventCodes, reply);
      if (codes === null) return reply;
      return feed(`container:${containerId}`, containerId, -ALL, ALL, codes);
    },
  );

  app.get<{ Params: { tripId: string }; Querystring: { iotEventCodes?: string } }>(
    '/api/trips/:tripId/dcsa-events',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: "DCSA Track & Trace 3.0 IoT events of a trip: its container's events within the plan's binding window (departure - trips.bindBeforeDepartureMs to eta + trips.activeAfterEtaMs)",
        description: 'A plan put again with other dates or another container re-evaluates the trip: events that fall out of it are retracted (retractedEventID).',
        tags: ['exports'],
        security: bearer,
        params: { type: 'object', properties: { tripId: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['tripId'] },
        querystring: codesQuery,
        response: { 200: eventsResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const plan = ctx.jurisdictions.tripVisible(req.view, req.params.tripId) ? ctx.trips.get(req.params.tripId) : undefined;
      if (!plan) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no trip ${req.params.tripId}` });
      const codes = codesOf(req.query.iotEventCodes, reply);
      if (codes === null) return reply;
      const from = Date.parse(plan.departure) - ctx.config.trips.bindBeforeDepartureMs;
      const to = Date.parse(plan.eta) + ctx.config.trips.activeAfterEtaMs + 1;
      // one feed per trip: a plan moved to another container withdraws the first container's events
      return feed(`trip:${plan.tripId}`, plan.containerId, from, to, codes);
    },
  );
};
