import type { FastifyPluginAsync } from 'fastify';
import type { Centre } from '../trips/jurisdiction.js';
import type { ApiContext } from './context.js';
import { bearer, errorResponses } from './schemas.js';

const centreSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, label: { type: ['string', 'null'] }, scope: { type: 'array', items: { type: 'string' } } },
} as const;

function centreView(c: Centre) {
  return { name: c.name, label: c.label, scope: [...c.scope] };
}

/** Who the caller is and which centres it may look through (the dashboard's header and centre picker). */
export const centresPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get(
    '/api/me',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: "The caller's token: its name, scopes, centre, the centre this request sees (?centre= for a token of every centre) and the centres it may pick",
        tags: ['centres'],
        security: bearer,
        response: {
          200: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              scopes: { type: 'array', items: { type: 'string' } },
              centre: { type: ['string', 'null'], description: "the token's own centre; null: every centre" },
              view: { anyOf: [centreSchema, { type: 'null' }], description: 'the centre whose jurisdiction this request sees; null: everything' },
              centres: { type: 'array', items: centreSchema, description: 'the centres this token may view: its own, or every one' },
            },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const p = req.principal!;
      const own = p.centre === null ? null : ctx.jurisdictions.get(p.centre);
      return {
        name: p.name,
        scopes: [...p.scopes].sort(),
        centre: p.centre,
        view: req.view ? centreView(req.view) : null,
        centres: (p.centre === null ? ctx.jurisdictions.list() : own ? [own] : []).map(centreView),
      };
    },
  );
};
