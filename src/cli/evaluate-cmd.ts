import { existsSync } from 'node:fs';
import { swError } from '../errors.js';
import { readAlerts, readLabels, score } from '../evaluate/score.js';
import { containersOf, diagnose, select } from '../evaluate/explain/diagnose.js';
import { traceCapture } from '../evaluate/explain/from-capture.js';
import { renderItems } from '../evaluate/explain/render.js';
import { context, tripsFrom, type GlobalOptions } from './common.js';

export interface EvaluateOptions {
  labels: string;
  alerts: string;
  table?: boolean;
  explain?: boolean;
  capture?: string;
  trips?: string;
  contextMin?: string;
  json?: boolean;
}

const DEFAULT_CONTEXT_MIN = 60;

export async function evaluateCommand(opts: EvaluateOptions, g: GlobalOptions = {}): Promise<void> {
  const contextMin = checkUsage(opts);
  const labels = readLabels(opts.labels);
  const alerts = readAlerts(opts.alerts);
  if (opts.explain) return explain(opts, g, labels, alerts, contextMin);
  const result = score(labels, alerts);
  if (opts.table) {
    const rows = Object.entries(result.perRule).map(
      ([rule, r]) => `| ${rule} | ${r.labels} | ${r.recall ?? '-'} | ${r.expectedRuleShare ?? '-'} | ${r.alerts} | ${r.precision ?? '-'} | ${r.medianMinutesToDetect ?? '-'} | ${r.p90MinutesToDetect ?? '-'} |`,
    );
    process.stdout.write(
      [
        '| rule | labels | recall | expected rule | alerts | precision | median min to detect | p90 min |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...rows,
        `| **all** | ${result.labels} | ${result.recall ?? '-'} | ${result.expectedRuleShare ?? '-'} | ${result.alerts} | ${result.precision ?? '-'} | ${result.medianMinutesToDetect ?? '-'} | ${result.p90MinutesToDetect ?? '-'} |`,
      ].join('\n') + '\n',
    );
    return;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** The explain options make sense together only; returns the context in minutes. */
function checkUsage(o: EvaluateOptions): number {
  const usage = (msg: string) => swError('SW_ERR_USAGE', msg);
  if (!o.explain) {
    for (const [flag, v] of [
      ['--capture', o.capture],
      ['--trips', o.trips],
      ['--context-min', o.contextMin],
      ['--json', o.json],
    ] as const)
      if (v !== undefined) throw usage(`${flag} goes with --explain`);
    return DEFAULT_CONTEXT_MIN;
  }
  if (o.table) throw usage('--table and --explain do not combine (--explain --json for tooling)');
  if (!o.capture) throw usage('--explain needs --capture FILE, the capture the alerts were replayed from');
  if (!existsSync(o.capture)) throw usage(`--capture ${o.capture}: no such file`);
  if (o.contextMin === undefined) return DEFAULT_CONTEXT_MIN;
  const n = Number(o.contextMin);
  if (o.contextMin.trim() === '' || !Number.isFinite(n) || n < 0) throw usage(`--context-min ${JSON.stringify(o.contextMin)}: expected minutes, a number >= 0`);
  return n;
}

async function explain(opts: EvaluateOptions, g: GlobalOptions, labels: ReturnType<typeof readLabels>, alerts: ReturnType<typeof readAlerts>, contextMin: number): Promise<void> {
  const ctx = context(g);
  if (!opts.trips && !ctx.config.trips.dir) throw swError('SW_ERR_USAGE', '--explain needs --trips DIR (the trip plans of the replay), or trips.dir in the configuration');
  const trips = tripsFrom(ctx, opts.trips);
  const selection = select(labels, alerts);
  const traces = await traceCapture(opts.capture!, ctx.config, trips, ctx.ports, containersOf(selection));
  const items = diagnose(selection, labels, alerts, traces, { config: ctx.config, trips, ports: ctx.ports, contextMs: contextMin * 60_000 });
  if (opts.json) {
    process.stdout.write(items.map((it) => JSON.stringify(it) + '\n').join(''));
    return;
  }
  const s = score(labels, alerts);
  const head = `${s.labels} labels, ${s.alerts} alerts: recall ${s.recall ?? '-'}, precision ${s.precision ?? '-'}, expected-rule share ${s.expectedRuleShare ?? '-'}; ${selection.missed.length} missed, ${selection.wrongRule.length} found by another rule only, ${selection.unmatched.length} alerts matching no label\n\n`;
  process.stdout.write(head + renderItems(items, ctx.config.rules));
}
