import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from './context.js';

interface Check {
  ok: boolean;
  detail: string;
}

const PROBE_TIMEOUT_MS = 3000;

/** `/healthz`: the process answers. `/readyz`: every dependency answers (bus, MQTT listener, InfluxDB when enabled). */
export const healthPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get('/healthz', { schema: { summary: 'Liveness: the process is up', tags: ['operations'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: each dependency (bus, MQTT listener, InfluxDB when enabled); 503 when one is down',
        tags: ['operations'],
        response: {
          200: { $ref: 'Readiness#' },
          503: { $ref: 'Readiness#' },
        },
      },
    },
    async (_req, reply) => {
      const checks: Record<string, Check> = {};
      checks.bus = await ctx.bus.health(PROBE_TIMEOUT_MS);
      // a process without the ingest stage (pipeline.stages) has no MQTT connection to check
      const listener = ctx.pipeline?.listener;
      if (!ctx.pipeline) checks.mqtt = { ok: false, detail: 'no pipeline in this process' };
      else if (listener) checks.mqtt = listener.client.connected ? { ok: true, detail: 'listener connected' } : { ok: false, detail: 'listener not connected to the broker' };
      if (ctx.config.influx.enabled) checks.influx = await probeInflux(ctx.config.influx.url);
      const ready = Object.values(checks).every((c) => c.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    },
  );
};

async function probeInflux(url: string): Promise<Check> {
  try {
    const res = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.arrayBuffer();
    return res.ok ? { ok: true, detail: `influxdb /health ${res.status}` } : { ok: false, detail: `influxdb /health ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, detail: `influxdb: ${e.cause?.code ?? e.message}` };
  }
}
