import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Bus } from '../bus/port.js';
import type { Config } from '../config/schema.js';
import type { PortTable } from '../geo/ports.js';
import type { TripDirectory } from '../trips/directory.js';
import { Jurisdictions } from '../trips/jurisdiction.js';
import type { WebhookDispatcher } from '../sinks/webhook.js';
import { AlertStore } from './alert-store.js';
import { alertsPlugin } from './alerts.js';
import { centresPlugin } from './centres.js';
import { rulesPlugin } from './rules.js';
import { statsPlugin } from './stats.js';
import { dcsaPlugin } from './dcsa.js';
import { RuleTimeline } from '../config/rule-history.js';
import { followRuleHistory } from '../pipeline/rule-history-sync.js';
import { hashToken, TokenTable, type TokenEntry } from './auth.js';
import { containersPlugin } from './containers.js';
import type { ApiContext, PipelineProbe } from './context.js';
import { ContainerView } from './container-view.js';
import { dashboardPlugin } from './dashboard.js';
import { healthPlugin } from './health.js';
import { LifecycleStore } from './lifecycle.js';
import { metricsPlugin } from './metrics.js';
import { SCHEMAS } from './schemas.js';
import { streamPlugin } from './stream.js';
import { InfluxTrackSource, MemoryTrackSource } from './tracks.js';
import { tripsPlugin } from './trips.js';
import { webhooksPlugin } from './webhooks.js';
import { DeadDeliveries } from './webhook-dead.js';

export interface ApiOptions {
  config: Config;
  bus: Bus;
  trips: TripDirectory;
  ports: PortTable;
  log: Logger;
  pipeline?: PipelineProbe | null;
  webhooks?: WebhookDispatcher | null;
  /** Generate a write token for this run (the embedded demo), returned as `demoWriteToken`; only its hash is held. */
  demoWriteToken?: boolean;
  /** Overrides api.port (tests: 0). */
  port?: number;
  /** Rule thresholds by event time; absent: the pipeline's, else one made from `rules`. Either way it follows the rule-history topic. */
  ruleTimeline?: RuleTimeline;
}

export interface Api {
  app: FastifyInstance;
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  dashboardUrl: string;
  demoWriteToken: string | null;
  context: ApiContext;
  close(): Promise<void>;
}

/**
 * Builds the fastify app: one plugin per concern, each handed the shared
 * context. Routes declare their schemas, so `/openapi.json` is generated
 * from the same definitions that validate requests.
 */
export async function buildApp(ctx: ApiContext): Promise<FastifyInstance> {
  const cfg = ctx.config.api;
  const app = Fastify({
    loggerInstance: ctx.log.child({ module: 'api' }),
    logController: new LogController({ disableRequestLogging: true }),
    // Requests are logged by us, without headers: a bearer token never reaches a log line.
    ...(cfg.tls ? { https: { key: readFileSync(cfg.tls.keyFile), cert: readFileSync(cfg.tls.certFile) } } : {}),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }) as unknown as FastifyInstance;
  app.decorateRequest('principal', null);
  app.decorateRequest('view', null);
  for (const s of SCHEMAS) app.addSchema(s);
  await app.register(swagger, {
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: { title: 'sealwatch API', version: '1', description: 'Alerts, containers, trip plans and operations of sealwatch. Alerts follow WIRE section 3, trip plans WIRE section 2.' },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: "a token from api.tokens (read, write or admin scope). A token of a centre sees that centre's jurisdiction only; a token of every centre (admin) may add ?centre=NAME to any request to see one centre's view.",
          },
        },
      },
    },
  });
  await app.register(rateLimit, { global: true, max: cfg.rateLimit.max, timeWindow: cfg.rateLimit.timeWindowMs });
  if (cfg.corsOrigins.length > 0) await app.register(cors, { origin: cfg.corsOrigins, methods: ['GET', 'PUT', 'POST'], allowedHeaders: ['authorization', 'content-type', 'last-event-id'] });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ method: req.method, url: req.routeOptions.url, err: err.message }, 'api.request_failed');
    const field = err.validation ? fieldOf(err) : undefined;
    void reply
      .code(status)
      .send({ statusCode: status, error: status === 500 ? 'Internal Server Error' : err.name === 'Error' ? 'Bad Request' : err.name, code: err.code, message: status === 500 ? 'internal error' : err.message, ...(field ? { field } : {}) });
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthPlugin, ctx);
  await app.register(metricsPlugin, ctx);
  await app.register(alertsPlugin, ctx);
  await app.register(streamPlugin, ctx);
  await app.register(containersPlugin, ctx);
  await app.register(tripsPlugin, ctx);
  await app.register(webhooksPlugin, ctx);
  await app.register(centresPlugin, ctx);
  await app.register(rulesPlugin, ctx);
  await app.register(statsPlugin, ctx);
  await app.register(dcsaPlugin, ctx);
  await app.register(dashboardPlugin, ctx);
  return app;
}

function fieldOf(err: { validation?: unknown; validationContext?: string }): string | undefined {
  const v = (err.validation as Array<{ instancePath?: string; params?: { missingProperty?: string; additionalProperty?: string } }> | undefined)?.[0];
  if (!v) return undefined;
  const path = (v.instancePath ?? '').split('/').filter(Boolean);
  if (v.params?.missingProperty) path.push(v.params.missingProperty);
  if (v.params?.additionalProperty) path.push(v.params.additionalProperty);
  return path.join('.') || undefined;
}

/**
 * Starts the API over a running bus: its own consumer groups on the alerts
 * and telemetry topics, lifecycle records reloaded, then the HTTP server.
 */
export async function startApi(o: ApiOptions): Promise<Api> {
  const cfg = o.config.api;
  const log = o.log.child({ module: 'api' });
  let demoWriteToken: string | null = null;
  const extra: TokenEntry[] = [];
  if (o.demoWriteToken) {
    demoWriteToken = `swdemo_${randomBytes(24).toString('base64url')}`;
    // the operator of a demo on loopback: every centre and rule changes too
    extra.push({ name: 'demo-writer', sha256: hashToken(demoWriteToken), scopes: ['read', 'write', 'admin'] });
  }
  const lifecycle = new LifecycleStore(o.bus, log);
  await lifecycle.load();
  const alerts = new AlertStore(lifecycle, { streamBufferSize: cfg.streamBufferSize, maxAlerts: cfg.maxAlerts }, log);
  const containers = new ContainerView({ trackPoints: cfg.trackPoints, evidenceReadings: cfg.evidenceReadings }, log);
  const jurisdictions = new Jurisdictions(o.config.centres, o.trips);
  const ruleTimeline = o.ruleTimeline ?? o.pipeline?.ruleTimeline ?? new RuleTimeline(o.config.rules);
  const ruleHistorySub = await followRuleHistory(o.bus, ruleTimeline, log);
  const ctx: ApiContext = {
    config: o.config,
    bus: o.bus,
    trips: o.trips,
    ports: o.ports,
    log,
    alerts,
    lifecycle,
    containers,
    tracks: o.config.influx.enabled ? new InfluxTrackSource(o.config.influx) : new MemoryTrackSource(containers),
    auth: new TokenTable(cfg.tokens, extra, jurisdictions),
    jurisdictions,
    ruleTimeline,
    webhooks: o.webhooks ?? null,
    webhookDead: new DeadDeliveries(10_000, log),
    pipeline: o.pipeline ?? null,
  };
  // In stack mode history lives in InfluxDB and Kafka retention can be long: follow telemetry from now.
  await containers.follow(o.bus, o.bus.kind === 'kafka' && o.config.influx.enabled);
  await alerts.follow(o.bus);
  await ctx.webhookDead.follow(o.bus);
  const app = await buildApp(ctx);
  await app.listen({ host: cfg.host, port: o.port ?? cfg.port });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${cfg.tls ? 'https' : 'http'}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`;
  log.info({ url, tls: Boolean(cfg.tls), tokens: cfg.tokens.length, anonymousLoopbackRead: ctx.auth.anonymousLoopbackRead, cors: cfg.corsOrigins }, 'api.listening');
  return {
    app,
    url,
    dashboardUrl: `${url}/dashboard/`,
    demoWriteToken,
    context: ctx,
    async close() {
      await app.close();
      await alerts.stop();
      await ctx.webhookDead.stop();
      await containers.stop();
      await ruleHistorySub.stop();
    },
  };
}
