import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ApiContext } from './context.js';
import { bearer } from './schemas.js';
import { TOPICS } from '../bus/topics.js';

/**
 * Prometheus metrics read from the stages' own counters at scrape time (no
 * second bookkeeping): ingest in, readings out, dead letters by reason,
 * rules, alerts by rule, stream clients and webhook deliveries. One registry
 * per server, so two servers in one process never clash.
 */
export function buildRegistry(ctx: ApiContext): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sealwatch_' });
  const p = ctx.pipeline;
  const counter = (name: string, help: string, value: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  const ingest = p?.ingest;
  if (ingest) {
    counter('sealwatch_ingest_messages_total', 'MQTT messages received by the ingest stage', () => ingest.counts.messages);
    counter('sealwatch_ingest_readings_total', 'Readings decoded and put on the telemetry topic (readings out of ingest)', () => ingest.counts.readings);
    counter('sealwatch_ingest_duplicates_total', 'Readings dropped as duplicates (msgId / seq / eventId per device)', () => ingest.counts.duplicates);
    new Counter({
      name: 'sealwatch_ingest_dead_letters_total',
      help: 'Messages or events dead-lettered, by reason',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(ingest.counts.deadLetters)) this.inc({ reason }, n);
      },
    });
  }
  const rules = p?.rules;
  if (rules) {
    counter('sealwatch_rules_readings_total', 'Readings consumed by the rule engine', () => rules.counts.readings);
    counter('sealwatch_rules_undecodable_total', 'Telemetry messages the rules stage could not decode', () => rules.counts.undecodable);
    counter('sealwatch_rules_late_total', `Readings that arrived after the engine reasoned past their time (${TOPICS.late})`, () => rules.counts.late);
    counter('sealwatch_rules_alerts_raised_total', 'Alerts raised by the rule engine of this process (before deduplication)', () => rules.counts.alerts);
    const groupId = ctx.config.kafka.groupId;
    new Gauge({
      name: 'sealwatch_rules_consumer_lag',
      help: "Telemetry messages not yet committed by the rule engine's consumer group",
      registers: [registry],
      async collect() {
        try {
          this.set(await ctx.bus.lag(groupId, TOPICS.telemetry));
        } catch (err) {
          ctx.log.warn({ err: (err as Error).message }, 'api.lag_unavailable');
        }
      },
    });
  }
  new Counter({
    name: 'sealwatch_alerts_total',
    help: 'Distinct alerts on the alerts topic seen by the API, by rule',
    labelNames: ['rule'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [rule, n] of Object.entries(ctx.alerts.countsByRule)) this.inc({ rule }, n);
    },
  });
  new Gauge({
    name: 'sealwatch_api_stream_clients',
    help: 'Connected live stream (SSE) clients',
    registers: [registry],
    collect() {
      this.set(ctx.alerts.stream.subscribers);
    },
  });
  new Gauge({
    name: 'sealwatch_api_containers',
    help: 'Containers with telemetry known to the API',
    registers: [registry],
    collect() {
      this.set(ctx.containers.list().length);
    },
  });
  if (ctx.webhooks) {
    const hooks = ctx.webhooks;
    new Gauge({
      name: 'sealwatch_webhook_deliveries',
      help: 'Webhook deliveries remembered, by status',
      labelNames: ['status'],
      registers: [registry],
      collect() {
        for (const [status, n] of Object.entries(hooks.counts())) this.set({ status }, n);
      },
    });
  }
  return p?.instruments ? Registry.merge([registry, p.instruments.registry]) : registry;
}

export const metricsPlugin: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const registry = buildRegistry(ctx);
  app.get(
    '/metrics',
    {
      onRequest: ctx.auth.require('read'),
      schema: { summary: 'Prometheus metrics (text exposition format); platform-wide, so not for a token of one centre', tags: ['operations'], security: bearer, produces: ['text/plain'] },
    },
    async (req, reply) => {
      // counts of every centre's alerts and containers: a centre's token does not get them
      if (req.principal?.centre) return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: `metrics cover every centre: token "${req.principal.name}" of centre ${req.principal.centre} cannot read them` });
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
};
