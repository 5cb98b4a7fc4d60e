import { readFileSync, rmSync } from 'node:fs';
import { TOPICS } from '../bus/topics.js';
import { parseRuleHistory, RuleTimeline } from '../config/rule-history.js';
import { replayCapture } from '../replay/replay.js';
import { buildSinks } from '../sinks/build.js';
import { context, progress, tripsFrom, type Context, type GlobalOptions } from './common.js';
import { swError } from '../errors.js';
import { replayThroughStack } from '../replay/stack-replay.js';

export interface ReplayCmdOptions {
  trips?: string;
  alertsOut?: string;
  speed: string;
  print?: boolean;
  stack?: boolean;
  ruleHistory?: string;
}

export function parseSpeed(s: string): 'max' | number {
  if (s === 'max') return 'max';
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw swError('SW_ERR_USAGE', `--speed ${JSON.stringify(s)}: expected "max" or a positive number (times real time)`);
  return n;
}

export async function replayCommand(capture: string, opts: ReplayCmdOptions, g: GlobalOptions): Promise<void> {
  const speed = parseSpeed(opts.speed);
  if (opts.stack && opts.ruleHistory) throw swError('SW_ERR_USAGE', `--rule-history works without --stack: a replay through the stack reasons with the stack's own rule history (${TOPICS.ruleHistory})`);
  if (opts.stack) return stackReplay(capture, opts, g);
  const ctx = context(g, replaySinks(opts));
  const trips = tripsFrom(ctx, opts.trips);
  const ruleTimeline = opts.ruleHistory ? loadRuleTimeline(opts.ruleHistory, ctx) : undefined;
  if (opts.alertsOut) rmSync(opts.alertsOut, { force: true });
  const { sink } = buildSinks(ctx.config, { log: ctx.log, consoleOut: process.stderr });
  const bar = progress('replay');
  const summary = await replayCapture(
    capture,
    ctx.config,
    trips,
    ctx.ports,
    sink,
    {
      speed,
      onProgress: (n, t) => bar.update(`${n.toLocaleString('en')} messages, at ${new Date(t).toISOString()}`),
      ...(ruleTimeline ? { ruleTimeline } : {}),
    },
    ctx.log,
  );
  bar.done();
  await sink.close();
  process.stdout.write(JSON.stringify({ ...summary, trips: trips.size, alertsOut: opts.alertsOut ?? null }) + '\n');
}

/**
 * A rule history saved from a live run (GET /api/rules/history). Its `base`
 * (version 0, the live run's configured rules) is used when it has one, so
 * the replay reasons as the run did even if this configuration differs.
 */
function loadRuleTimeline(file: string, ctx: Context): RuleTimeline {
  let parsed: ReturnType<typeof parseRuleHistory>;
  try {
    parsed = parseRuleHistory(readFileSync(file, 'utf8'), file);
  } catch (err) {
    throw swError('SW_ERR_USAGE', `--rule-history ${(err as Error).message}`);
  }
  if (parsed.base && JSON.stringify(parsed.base) !== JSON.stringify(ctx.config.rules)) ctx.log.warn({ file }, 'replay.rule_history_base_differs: the history starts from other rules than this configuration; the history wins');
  return new RuleTimeline(parsed.base ?? ctx.config.rules, parsed.changes);
}

/**
 * A replay's alert sinks come from its flags: the file of --alerts-out and,
 * with --print, the console (on stderr: the summary goes to stdout). It
 * re-raises alerts of the past, so it never delivers webhooks.
 */
function replaySinks(opts: ReplayCmdOptions): Record<string, unknown> {
  return { sinks: { alertsFile: opts.alertsOut ?? null, console: Boolean(opts.print) } };
}

/** `replay --stack`: through Mosquitto, Kafka, the rule engine and InfluxDB; alerts read back from the alerts topic. */
async function stackReplay(capture: string, opts: ReplayCmdOptions, g: GlobalOptions): Promise<void> {
  const ctx = context({ ...g, profile: g.profile ?? 'stack' }, replaySinks(opts));
  const trips = tripsFrom(ctx, opts.trips);
  const bar = progress('replay --stack');
  const result = await replayThroughStack(capture, ctx.config, trips, ctx.ports, ctx.log, (stage, done, total) => bar.update(`${stage} ${done}${total ? `/${total}` : ''}`));
  bar.done();
  const alerts = [...result.alerts].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.alertId < b.alertId ? -1 : 1));
  if (opts.alertsOut) rmSync(opts.alertsOut, { force: true });
  const { sink } = buildSinks(ctx.config, { log: ctx.log, consoleOut: process.stderr });
  await sink.write(alerts);
  await sink.close();
  const byRule: Record<string, number> = {};
  for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
  process.stdout.write(
    JSON.stringify({ capture, mode: 'stack', published: result.published, ingested: result.ingested, readings: result.readings, deadLetters: result.deadLetters, alerts: byRule, trips: trips.size, alertsOut: opts.alertsOut ?? null }) + '\n',
  );
}
