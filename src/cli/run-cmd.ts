import { redactConfig } from '../config/load.js';
import { startStages } from '../pipeline/app.js';
import { startApi } from '../api/server.js';
import { context, tripsFrom, type GlobalOptions } from './common.js';

/**
 * The pipeline's stages (`--stages` or `pipeline.stages`, all three by
 * default) against the configured broker, bus and sinks, until SIGTERM or
 * SIGINT. The API runs in this process when `api.enabled`, whichever stages
 * run here; with the stages split over processes, enable it in one of them.
 */
export async function runCommand(opts: { trips?: string; alertsOut?: string; stages?: string }, g: GlobalOptions): Promise<void> {
  const overrides: Record<string, unknown> = {};
  if (opts.alertsOut) overrides.sinks = { alertsFile: opts.alertsOut };
  if (opts.stages !== undefined)
    overrides.pipeline = {
      stages: opts.stages
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  const ctx = context(g, overrides);
  const trips = tripsFrom(ctx, opts.trips);
  const stages = ctx.config.pipeline.stages;
  ctx.log.info({ config: redactConfig(ctx.config), trips: trips.size, stages }, 'pipeline.starting');
  const pipeline = await startStages({ config: ctx.config, ports: ctx.ports, trips, log: ctx.log });
  ctx.log.info({ stages, ...(pipeline.ingest ? { mqtt: ctx.config.mqtt.url } : {}), bus: ctx.config.bus.kind, telemetry: pipeline.telemetry !== null }, 'pipeline.running');
  const api = ctx.config.api.enabled ? await startApi({ config: ctx.config, bus: pipeline.bus, trips, ports: ctx.ports, log: ctx.log, pipeline, webhooks: pipeline.webhooks }) : null;
  if (api) process.stderr.write(`sealwatch: dashboard ${api.dashboardUrl}, API reference ${api.url}/openapi.json\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  // Graceful, for the stages this process runs: stop taking MQTT messages (unacknowledged
  // ones stay with the broker), let the rules stage finish its batch, write and commit,
  // let the telemetry stage finish its write and commit, flush the sinks, then exit 0.
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
  ctx.log.info(
    {
      stages,
      ...(pipeline.ingest ? { ingest: pipeline.ingest.counts } : {}),
      ...(pipeline.rules ? { rules: pipeline.rules.counts, recovery: pipeline.rules.recovery } : {}),
      ...(pipeline.telemetry ? { telemetry: pipeline.telemetry.counts } : {}),
    },
    'pipeline.stopped',
  );
  ctx.log.flush?.();
  process.exit(0);
}
