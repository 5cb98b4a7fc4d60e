import { swError } from '../errors.js';
import { loadSimulator } from './simulator.js';
import { bar, context, progress, type GlobalOptions } from './common.js';
import { RULE_IDS, type RuleId } from '../model/alert.js';

export interface SimulateOptions {
  outDir?: string;
  broker?: string;
  username?: string;
  caFile?: string;
  seed: string;
  containers: string;
  scenarios?: string;
  breachShare?: string;
  faults: boolean;
  speed: string;
  start?: string;
}

/** Writes a labelled corpus (capture, trips, labels) without a broker, or publishes the fleet live to one. */
export async function simulateCommand(opts: SimulateOptions, g: GlobalOptions): Promise<void> {
  if (!opts.outDir && !opts.broker) throw swError('SW_ERR_USAGE', 'simulate needs --out-dir DIR (write a corpus) or --broker URL (publish live), or both');
  const ctx = context(g);
  const scenarios = opts.scenarios ? (opts.scenarios.split(',').map((s) => s.trim()) as RuleId[]) : undefined;
  for (const s of scenarios ?? []) if (!(RULE_IDS as readonly string[]).includes(s)) throw swError('SW_ERR_USAGE', `--scenarios: ${s} is not a rule; expected some of ${RULE_IDS.join(', ')}`);
  const speed = Number(opts.speed);
  const start = opts.start ? Date.parse(opts.start) : opts.broker ? Date.now() - 24 * 3_600_000 : Date.parse('2026-01-05T00:00:00Z');
  if (Number.isNaN(start)) throw swError('SW_ERR_USAGE', `--start ${JSON.stringify(opts.start)}: expected an ISO time`);
  const { simulateFleet, writeCorpus, connectPublisher, publishLive } = await loadSimulator();
  const t0 = Date.now();
  const sim = simulateFleet({
    seed: Number(opts.seed),
    containers: Number(opts.containers),
    start,
    faults: opts.faults,
    topicRoot: ctx.config.mqtt.topicRoot,
    ...(scenarios ? { scenarios } : {}),
    ...(opts.breachShare ? { breachShare: Number(opts.breachShare) } : {}),
  });
  ctx.log.info({ containers: sim.trips.length, messages: sim.messages.length, labels: sim.labels.length, ms: Date.now() - t0 }, 'simulate.generated');
  if (opts.outDir) {
    await writeCorpus(opts.outDir, sim);
    process.stdout.write(JSON.stringify({ outDir: opts.outDir, trips: sim.trips.length, messages: sim.messages.length, labels: sim.labels.length, cleanContainers: sim.cleanContainers.length }) + '\n');
  }
  if (opts.broker) {
    const password = process.env.SEALWATCH_SIMULATOR_PASSWORD;
    const client = await connectPublisher(opts.broker, { clientId: `sealwatch-sim-${process.pid}`, username: opts.username, password, caFile: opts.caFile });
    const p = progress('simulate');
    await publishLive(sim, client, { speed, onProgress: (sent, total) => p.update(`${bar(sent / total)} ${sent}/${total}`) });
    p.done();
    await client.endAsync();
    process.stdout.write(JSON.stringify({ published: sim.messages.length, broker: opts.broker }) + '\n');
  }
}
