import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from './context.js';
import { bearer } from './schemas.js';
import type { StreamEvent } from './stream-buffer.js';

/** A client further behind than this (bytes queued on its socket) is dropped; it resumes with Last-Event-ID. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

/**
 * `GET /api/alerts/stream`: Server-Sent Events. Each event's `id:` is the
 * stream sequence number; a client reconnecting with `Last-Event-ID` (the
 * header browsers send, or `?lastEventId=`) first gets every event it missed
 * from the ring buffer, or an `event: reset` when they are no longer there
 * (then it refetches `GET /api/alerts`), then live events.
 */
export const streamPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get<{ Querystring: { lastEventId?: string } }>(
    '/api/alerts/stream',
    {
      onRequest: ctx.auth.require('read'),
      schema: {
        summary: 'Live alerts and status changes as Server-Sent Events, resumable with Last-Event-ID',
        description:
          'Events: `alert` (a new alert, data = Alert), `status` (a lifecycle change, data = Alert), `reset` (events after Last-Event-ID are no longer buffered: refetch /api/alerts). Every event has `id:` = a monotonically increasing sequence number.',
        tags: ['alerts'],
        security: bearer,
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } } },
        querystring: { type: 'object', additionalProperties: false, properties: { lastEventId: { type: 'string', pattern: '^[0-9]{1,15}$' } } },
        produces: ['text/event-stream'],
      },
    },
    (req, reply) => {
      const header = req.headers['last-event-id'];
      const raw = (Array.isArray(header) ? header[0] : header) ?? req.query.lastEventId;
      const lastId = raw === undefined ? null : Number(raw);
      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, { ...headersOf(reply.getHeaders()), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write('retry: 2000\n\n');
      const send = (e: StreamEvent) => {
        if (res.writableLength > MAX_QUEUED_BYTES) {
          res.destroy();
          return;
        }
        res.write(`id: ${e.seq}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
      };
      // Backlog and subscription in one synchronous step: nothing can slip between them.
      const backlog = lastId === null ? [] : ctx.alerts.stream.since(lastId);
      const unsubscribe = ctx.alerts.stream.subscribe(send);
      if (backlog === 'gap') {
        res.write(
          `id: ${ctx.alerts.stream.lastSeq}\nevent: reset\ndata: ${JSON.stringify({ reason: 'events after Last-Event-ID are no longer buffered: refetch /api/alerts', lastEventId: lastId, oldestBuffered: ctx.alerts.stream.oldestSeq })}\n\n`,
        );
      } else {
        for (const e of backlog) send(e);
      }
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      open.add(res);
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
      });
    },
  );
};

function headersOf(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}
