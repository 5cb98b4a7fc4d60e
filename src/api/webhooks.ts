import type { FastifyPluginAsync } from 'fastify';
import type { DeliveryStatus } from '../sinks/webhook.js';
import type { ApiContext } from './context.js';
import { bearer, errorResponses } from './schemas.js';

/** Webhook delivery status: pending, delivered or failed, with attempts and the last error. */
export const webhooksPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get<{ Querystring: { status?: DeliveryStatus; alertId?: string; target?: string; limit: number } }>(
    '/api/webhooks/deliveries',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: 'Webhook deliveries, newest first',
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
                    deliveryId: { type: 'string' },
                    target: { type: 'string' },
                    alertId: { type: 'string' },
                    rule: { type: 'string' },
                    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
                    attempts: { type: 'integer' },
                    lastStatusCode: { type: ['integer', 'null'] },
                    lastError: { type: ['string', 'null'] },
                    createdAt: { type: 'string' },
                    updatedAt: { type: 'string' },
                    nextAttemptAt: { type: ['string', 'null'] },
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
      return { targets: ctx.webhooks?.targets.map((t) => t.name) ?? [], items: ctx.webhooks?.deliveries(filter).slice(0, limit) ?? [] };
    },
  );
};
