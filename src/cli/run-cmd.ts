import { redactConfig } from '../config/load.js';
import { startPipeline } from '../pipeline/app.js';
import { startApi } from '../api/server.js';
import { createWebhookSink } from '../sinks/webhook.js';
import { context, tripsFrom, type GlobalOptions } from './common.js';

/** The pipeline against the configured broker, bus and sinks, until SIGTERM or SIGINT. */
export async function runCommand(opts: { trips?: string; alertsOut?: string }, g: GlobalOptions): Promise<void> {
  const ctx = context(g, opts.alertsOut ? { sinks: { alertsFile: opts.alertsOut } } : {});
  const trips = tripsFrom(ctx, opts.trips);
  ctx.log.info({ config: redactConfig(ctx.config), trips: trips.size }, 'pipeline.starting');
  const webhooks = createWebhookSink(ctx.config.webhooks, ctx.log);
  const pipeline = await startPipeline({ config: ctx.config, ports: ctx.ports, trips, log: ctx.log, extraSinks: webhooks ? [webhooks] : [] });
  ctx.log.info({ mqtt: ctx.config.mqtt.url, bus: ctx.config.bus.kind }, 'pipeline.running');
  const api = ctx.config.api.enabled ? await startApi({ config: ctx.config, bus: pipeline.bus, trips, ports: ctx.ports, log: ctx.log, pipeline, webhooks }) : null;
  if (api) process.stderr.write(`sealwatch: dashboard ${api.dashboardUrl}, API reference ${api.url}/openapi.json\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  ctx.log.info('pipeline.stopping');
  await api?.close();
  await pipeline.stop();
  ctx.log.info({ ingest: pipeline.ingest.counts, rules: pipeline.rules.counts }, 'pipeline.stopped');
}
