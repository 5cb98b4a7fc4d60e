import { rmSync } from 'node:fs';
import { swError } from '../errors.js';
import { brokerAuthFromConfig, brokerTlsFromConfig, startEmbeddedBroker } from '../ingest/embedded-broker.js';
import { demoAccounts } from './demo-credentials.js';
import { newTripDirectory, startPipeline } from '../pipeline/app.js';
import type { Alert } from '../model/alert.js';
import { loadSimulator } from './simulator.js';
import { context, type GlobalOptions } from './common.js';
import type { AlertSink } from '../sinks/sink.js';
import { startApi, type Api } from '../api/server.js';

export interface DemoOptions {
  duration?: string;
  alertsOut?: string;
  containers: string;
  seed: string;
  speed: string;
  port?: string;
}

/**
 * Everything in one process: the embedded aedes broker on a real TCP port,
 * the pipeline on the in-process bus, and a simulated fleet publishing to the
 * broker over MQTT in accelerated time. Alerts are printed as they come.
 */
export async function demoCommand(opts: DemoOptions, g: GlobalOptions): Promise<void> {
  const ctx = context({ ...g, profile: g.profile ?? 'demo' }, opts.alertsOut ? { sinks: { alertsFile: opts.alertsOut } } : {});
  if (ctx.config.mqtt.sharedGroup !== null) throw swError('SW_ERR_CONFIG_INVALID', `mqtt.sharedGroup ${JSON.stringify(ctx.config.mqtt.sharedGroup)}: the demo's embedded broker (aedes) has no shared subscriptions; expected null`);
  if (opts.alertsOut) rmSync(opts.alertsOut, { force: true });
  const speed = Number(opts.speed);
  const durationS = opts.duration ? Number(opts.duration) : null;
  const containers = Number(opts.containers);
  // Simulated time ends "now": measurement times never run ahead of the wall clock.
  const horizonMs = (durationS ?? 600) * 1000 * speed;
  const start = Date.now() - horizonMs;
  const { simulateFleet, connectPublisher, publishLive } = await loadSimulator();
  const sim = simulateFleet({ seed: Number(opts.seed), containers, start, demo: true, faults: true, voyageHours: Math.ceil(horizonMs / 3_600_000) });
  const trips = newTripDirectory(ctx.config);
  for (const p of sim.trips) trips.upsert(p);
  // Per-run accounts for the pipeline and the simulated fleet: `npm start` needs no set-up, and nothing else can connect unless configured.
  if (ctx.config.mqtt.sharedGroup !== null) throw swError('SW_ERR_CONFIG_INVALID', `mqtt.sharedGroup ${JSON.stringify(ctx.config.mqtt.sharedGroup)}: the demo's embedded broker (aedes) has no shared subscriptions; expected null`);
  const accounts = demoAccounts(ctx.config.embeddedBroker);
  const eb = ctx.config.embeddedBroker;
  const broker = await startEmbeddedBroker({
    host: eb.host,
    port: eb.plainListener ? (opts.port ? Number(opts.port) : eb.port) : null,
    auth: brokerAuthFromConfig(eb, ctx.config.mqtt.topicRoot, accounts.store),
    tls: brokerTlsFromConfig(eb),
    log: ctx.log,
  });
  const brokerUrl = (broker.url ?? broker.tlsUrl)!;
  const config = { ...ctx.config, mqtt: { ...ctx.config.mqtt, username: accounts.service.username, password: accounts.service.password } };
  const byRule: Record<string, number> = {};
  const counter: AlertSink = {
    name: 'count',
    write: async (alerts: readonly Alert[]) => {
      for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
    },
    close: async () => {},
  };
  const pipeline = await startPipeline({ config, ports: ctx.ports, trips, log: ctx.log, mqttUrl: brokerUrl, extraSinks: [counter] });
  process.stderr.write(
    `sealwatch demo: embedded MQTT broker on ${[broker.url, broker.tlsUrl].filter(Boolean).join(' and ')} (accounts ${accounts.service.username} and ${accounts.fleet.username} with passwords made for this run), ${containers} simulated containers, ${sim.messages.length.toLocaleString('en')} messages at ${speed}x${durationS ? `, stopping after ${durationS} s` : ''}\n`,
  );
  // With no token configured, reads are open to loopback clients and this run's write token is printed (never logged).
  let api: Api | null = null;
  if (ctx.config.api.enabled) {
    api = await startApi({ config: ctx.config, bus: pipeline.bus, trips, ports: ctx.ports, log: ctx.log, pipeline, webhooks: pipeline.webhooks, demoWriteToken: ctx.config.api.tokens.length === 0 });
    process.stderr.write(`sealwatch demo: dashboard ${api.dashboardUrl}${api.demoWriteToken ? `#token=${api.demoWriteToken}` : ''}\n`);
    process.stderr.write(`sealwatch demo: API ${api.url} (reference ${api.url}/openapi.json)${api.demoWriteToken ? `, write token for this run: ${api.demoWriteToken}` : ''}\n`);
  }
  const publisher = await connectPublisher(brokerUrl, { clientId: `sealwatch-demo-fleet-${process.pid}`, username: accounts.fleet.username, password: accounts.fleet.password, caFile: config.mqtt.caFile });
  const abort = new AbortController();
  const stopAt = durationS ? setTimeout(() => abort.abort(), durationS * 1000) : null;
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const wallStart = Date.now();
  const startT = sim.messages[0]?.t ?? start;
  // Align the published stream so that measurement times trail the wall clock.
  await publishLive(sim, publisher, { speed, signal: abort.signal, startAtT: startT, wallStart });
  // The dashboard stays up after the simulated feed ends, until Ctrl-C (or --duration).
  if (!abort.signal.aborted && (durationS || api)) {
    if (api && !durationS) process.stderr.write('sealwatch demo: simulated feed complete; the dashboard stays up until Ctrl-C\n');
    await new Promise<void>((r) => abort.signal.addEventListener('abort', () => r(), { once: true }));
  }
  if (stopAt) clearTimeout(stopAt);
  await publisher.endAsync();
  await new Promise((r) => setTimeout(r, 300));
  await pipeline.drain();
  await pipeline.rules.flush();
  await api?.close();
  await pipeline.stop();
  await broker.close();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  const summary = {
    seconds: Math.round((Date.now() - wallStart) / 1000),
    messages: pipeline.ingest.counts.messages,
    readings: pipeline.ingest.counts.readings,
    duplicates: pipeline.ingest.counts.duplicates,
    deadLetters: pipeline.ingest.counts.deadLetters,
    alerts: byRule,
    late: pipeline.rules.counts.late,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
}
