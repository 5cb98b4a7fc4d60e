import { redactConfig } from '../config/load.js';
import { startPipeline } from '../pipeline/app.js';
import { context, tripsFrom, type GlobalOptions } from './common.js';

/** The pipeline against the configured broker, bus and sinks, until SIGTERM or SIGINT. */
export async function runCommand(opts: { trips?: string; alertsOut?: string }, g: GlobalOptions): Promise<void> {
  const ctx = context(g, opts.alertsOut ? { sinks: { alertsFile: opts.alertsOut } } : {});
  const trips = tripsFrom(ctx, opts.trips);
  ctx.log.info({ config: redactConfig(ctx.config), trips: trips.size }, 'pipeline.starting');
  const pipeline = await startPipeline({ config: ctx.config, ports: ctx.ports, trips, log: ctx.log });
  ctx.log.info({ mqtt: ctx.config.mqtt.url, bus: ctx.config.bus.kind }, 'pipeline.running');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  ctx.log.info('pipeline.stopping');
  await pipeline.stop();
  ctx.log.info({ ingest: pipeline.ingest.counts, rules: pipeline.rules.counts }, 'pipeline.stopped');
}
