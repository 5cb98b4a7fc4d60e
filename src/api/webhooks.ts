import type { FastifyPluginAsync } from 'fastify';
import { TOPICS } from '../bus/topics.js';
import type { DeliveryStatus } from '../sinks/webhook.js';
import type { ApiContext } from './context.js';
import { bearer, errorResponses } from './schemas.js';

const nullableString = { type: ['string', 'null'] } as const;

/**
 * Webhook deliveries: those the pipeline in this process knows (pending,
 * delivered or failed, with attempts and the last error), and the dead ones
 * of every pipeline, from their topic. A centre's token sees its own
 * targets' only.
 */
export const webhooksPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  /** Which targets a request may see: all for a token of every centre, else those of its centre (by the configuration). */
  const visibleTargets = (view: { name: string } | null | undefined): ((target: string) => boolean) => {
    if (!view) return () => true;
    const ofCentre = [...ctx.config.webhooks.targets, ...(ctx.webhooks?.targets ?? [])].filter((t) => t.centre === view.name);
    const mine = new Set(ofCentre.map((t) => t.name));
    return (target) => mine.has(target);
  };

  app.get<{ Querystring: { status?: DeliveryStatus; alertId?: string; target?: string; limit: number } }>(
    '/api/webhooks/deliveries',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: 'Webhook deliveries this process knows, newest first',
        tags: ['webhooks'],
        security: bearer,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['pending', 'delivered', 'failed'] }, alertId: { type: 'string' }, target: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 500 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              targets: { type: 'array', items: { type: 'string' } },
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    deliveryId: { type: 'string', description: 'the webhook-id (kept under its former name)' },
                    webhookId: { type: 'string', description: 'the Standard Webhooks webhook-id: the same on every attempt and after a restart' },
                    target: { type: 'string' },
                    alertId: { type: 'string' },
                    rule: { type: 'string' },
                    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
                    attempts: { type: 'integer', description: 'attempts by this process' },
                    lastStatusCode: { type: ['integer', 'null'] },
                    lastError: nullableString,
                    createdAt: { type: 'string' },
                    updatedAt: { type: 'string' },
                    nextAttemptAt: nullableString,
                  },
                },
              },
            },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (req) => {
      const { limit, ...filter } = req.query;
      const visible = visibleTargets(req.view);
      const targets = (ctx.webhooks?.targets ?? []).map((t) => t.name).filter(visible);
      const items = (ctx.webhooks?.deliveries(filter) ?? []).filter((d) => visible(d.target));
      return { targets, items: items.slice(0, limit) };
    },
  );

  app.get<{ Querystring: { alertId?: string; target?: string; limit: number } }>(
    '/api/webhooks/dead',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: `Dead webhook deliveries (retry budget spent, or refused by the target), newest first, from ${TOPICS.webhookDead}`,
        tags: ['webhooks'],
        security: bearer,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { alertId: { type: 'string' }, target: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 500 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    target: { type: 'string' },
                    alertId: { type: 'string' },
                    webhookId: { type: 'string' },
                    rule: { type: 'string' },
                    reason: { type: 'string', enum: ['attempts-exhausted', 'refused'] },
                    attempts: { type: 'integer' },
                    lastStatusCode: { type: ['integer', 'null'] },
                    lastError: nullableString,
                    firstAttemptAt: { type: 'string' },
                    lastAttemptAt: { type: 'string' },
                    deadAt: { type: 'string' },
                    alert: { type: 'object', additionalProperties: true },
                    partition: { type: 'integer' },
                    offset: { type: 'string' },
                  },
                },
              },
            },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (req) => {
      const { limit, ...filter } = req.query;
      return { items: ctx.webhookDead.list({ ...filter, visible: visibleTargets(req.view) }).slice(0, limit) };
    },
  );
};
