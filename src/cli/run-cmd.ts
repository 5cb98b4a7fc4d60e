import { redactConfig } from '../config/load.js';
import { startPipeline } from '../pipeline/app.js';
import { startApi } from '../api/server.js';
import { context, tripsFrom, type GlobalOptions } from './common.js';

/** The pipeline against the configured broker, bus and sinks, until SIGTERM or SIGINT. */
export async function runCommand(opts: { trips?: string; alertsOut?: string }, g: GlobalOptions): Promise<void> {
  const ctx = context(g, opts.alertsOut ? { sinks: { alertsFile: opts.alertsOut } } : {});
  const trips = tripsFrom(ctx, opts.trips);
  ctx.log.info({ config: redactConfig(ctx.config), trips: trips.size }, 'pipeline.starting');
  const pipeline = await startPipeline({ config: ctx.config, ports: ctx.ports, trips, log: ctx.log });
  ctx.log.info({ mqtt: ctx.config.mqtt.url, bus: ctx.config.bus.kind }, 'pipeline.running');
  const api = ctx.config.api.enabled ? await startApi({ config: ctx.config, bus: pipeline.bus, trips, ports: ctx.ports, log: ctx.log, pipeline, webhooks: pipeline.webhooks }) : null;
  if (api) process.stderr.write(`sealwatch: dashboard ${api.dashboardUrl}, API reference ${api.url}/openapi.json\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  // Graceful: stop taking MQTT messages (unacknowledged ones stay with the broker),
  // let the rules stage finish its batch, write and commit, flush the sinks, then exit 0.
  // A second signal or a stop that takes longer than the bound exits 1: nothing is lost
  // either way (uncommitted input is delivered again), it is only slower to resume.
  ctx.log.info({ signal, timeoutMs: ctx.config.shutdown.timeoutMs }, 'pipeline.stopping');
  const forced = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`shutdown took longer than ${ctx.config.shutdown.timeoutMs} ms`)), ctx.config.shutdown.timeoutMs);
    timer.unref();
    const again = () => reject(new Error('second signal during shutdown'));
    process.once('SIGINT', again);
    process.once('SIGTERM', again);
  });
  try {
    await Promise.race([
      (async () => {
        await api?.close();
        await pipeline.stop();
      })(),
      forced,
    ]);
  } catch (err) {
    ctx.log.error({ err: (err as Error).message }, 'pipeline.shutdown_forced');
    process.exit(1);
  }
  ctx.log.info({ ingest: pipeline.ingest.counts, rules: pipeline.rules.counts, recovery: pipeline.rules.recovery }, 'pipeline.stopped');
  ctx.log.flush?.();
  process.exit(0);
}
