import type { FastifyPluginAsync } from 'fastify';
import { TOPICS } from '../bus/topics.js';
import { proposeChange, RESTART_ONLY, RULE_SECTIONS, type RuleChange } from '../config/rule-history.js';
import { publishRuleChange } from '../pipeline/rule-history-sync.js';
import type { ApiContext } from './context.js';
import { bearer, errorResponses } from './schemas.js';

const changeSchema = {
  type: 'object',
  properties: {
    version: { type: 'integer' },
    section: { type: 'string' },
    effectiveFrom: { type: 'string', format: 'date-time' },
    changedAt: { type: 'string', format: 'date-time' },
    by: { type: 'string' },
    note: { type: ['string', 'null'] },
    from: { type: 'object', additionalProperties: true },
    to: { type: 'object', additionalProperties: true },
  },
} as const;

const sectionParam = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const;
const changeable = RULE_SECTIONS.filter((s) => !RESTART_ONLY.has(s));

/**
 * Rule thresholds while running: read them (now, or in force at an event
 * time), their history, and change one section (admin scope) from an event
 * time on. A change is validated by the configuration's own schema, written
 * to the rule-history topic before it is acknowledged, then applied to the
 * timeline the engine reads.
 */
export const rulesPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const timeline = ctx.ruleTimeline;
  let queue: Promise<unknown> = Promise.resolve();

  app.get<{ Querystring: { at?: string } }>(
    '/api/rules',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: 'The rule thresholds in force (latest, or at an event time with ?at=), with their version',
        tags: ['rules'],
        security: bearer,
        querystring: { type: 'object', additionalProperties: false, properties: { at: { type: 'string', format: 'date-time', description: 'event time; default: the latest version' } } },
        response: {
          200: {
            type: 'object',
            properties: {
              version: { type: 'integer', description: '0: the configuration; n: after change n' },
              effectiveFrom: { type: ['string', 'null'], description: 'event time from which this version applies (null for version 0)' },
              rules: { type: 'object', additionalProperties: true },
              changeable: { type: 'array', items: { type: 'string' }, description: 'sections PUT /api/rules/{id} may change' },
            },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const v = timeline.at(req.query.at ? Date.parse(req.query.at) : Number.POSITIVE_INFINITY);
      return { version: v.version, effectiveFrom: Number.isFinite(v.from) ? new Date(v.from).toISOString() : null, rules: v.rules, changeable };
    },
  );

  app.get(
    '/api/rules/history',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: 'The audit trail of rule changes (who, when, from which event time, old and new values), with the configured rules as version 0: what `sealwatch replay --rule-history` takes',
        tags: ['rules'],
        security: bearer,
        response: { 200: { type: 'object', properties: { base: { type: 'object', additionalProperties: true }, changes: { type: 'array', items: changeSchema } } }, ...errorResponses(401, 403) },
      },
    },
    async () => timeline.history(),
  );

  app.get<{ Params: { id: string } }>(
    '/api/rules/:id',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: 'One section of the rule thresholds (e.g. doorOpen), as the latest version has it',
        tags: ['rules'],
        security: bearer,
        params: sectionParam,
        response: {
          200: { type: 'object', properties: { section: { type: 'string' }, version: { type: 'integer' }, values: {}, changeable: { type: 'boolean' } } },
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req, reply) => {
      const v = timeline.at(Number.POSITIVE_INFINITY);
      if (!Object.hasOwn(v.rules, req.params.id)) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no rules section ${req.params.id}` });
      return { section: req.params.id, version: v.version, values: v.rules[req.params.id as keyof typeof v.rules], changeable: !RESTART_ONLY.has(req.params.id) };
    },
  );

  app.put<{ Params: { id: string }; Body: { values: Record<string, unknown>; effectiveFrom?: string; note?: string; expectedVersion?: number } }>(
    '/api/rules/:id',
    {
      onRequest: ctx.auth.require('admin'),
      schema: {
        summary: `Change one section of the rule thresholds from an event time on (admin scope); kept on ${TOPICS.ruleHistory}`,
        description:
          "values: the keys to change (the others keep their current values), validated by the configuration schema. effectiveFrom: the event (measurement) time from which the engine applies them, default now; never before the latest change's (409). expectedVersion: refuse (409) unless the history is at this version. Answers the change made: its version, who, when, and the section before and after.",
        tags: ['rules'],
        security: bearer,
        params: sectionParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['values'],
          properties: {
            values: { type: 'object', additionalProperties: true },
            effectiveFrom: { type: 'string', format: 'date-time' },
            note: { type: 'string', maxLength: 2000 },
            expectedVersion: { type: 'integer', minimum: 0 },
          },
        },
        response: { 200: changeSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      // one change at a time: versions are handed out in order
      const run = async () => {
        const history = timeline.history();
        if (req.body.expectedVersion !== undefined && req.body.expectedVersion !== timeline.version)
          return reply.code(409).send({ statusCode: 409, error: 'Conflict', message: `the rules are at version ${timeline.version}, not ${req.body.expectedVersion}`, field: 'expectedVersion' });
        const out = proposeChange(history, {
          section: req.params.id,
          values: req.body.values,
          effectiveFrom: req.body.effectiveFrom ? Date.parse(req.body.effectiveFrom) : Date.now(),
          by: req.principal?.name ?? 'anonymous',
          at: Date.now(),
          note: req.body.note ?? null,
        });
        if (!out.ok)
          return reply.code(out.status).send({
            statusCode: out.status,
            error: out.status === 409 ? 'Conflict' : out.status === 404 ? 'Not Found' : 'Bad Request',
            code: out.status === 400 ? 'SW_ERR_CONFIG_INVALID' : undefined,
            message: out.message,
            field: out.field,
          });
        const change: RuleChange = out.change;
        await publishRuleChange(ctx.bus, change);
        timeline.apply(change);
        ctx.log.info({ version: change.version, section: change.section, effectiveFrom: change.effectiveFrom, by: change.by, from: change.from, to: change.to }, 'api.rule_changed');
        return change;
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
  );
};
