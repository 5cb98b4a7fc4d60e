import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateFleet, SCENARIO_KINDS } from '../../simulators/fleet.js';
import { CAPTURE_FILE, TRIPS_DIR, writeCorpus } from '../../simulators/corpus.js';
import { loadConfig } from '../../src/config/load.js';
import { score, type Label, type Score } from '../../src/evaluate/score.js';
import type { Alert } from '../../src/model/alert.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { newTripDirectory } from '../../src/pipeline/app.js';
import { replayCapture } from '../../src/replay/replay.js';
import type { AlertSink } from '../../src/sinks/sink.js';

/**
 * The detection scores of WIRE section 5 on simulated corpora, through the
 * real path: corpus files written by the simulator, `replayCapture` (decoders,
 * dedup, event-time engine, all ten rules, default configuration), `score`.
 * The fleets are the harder simulator's (sparse trackers, vendors, defrosts,
 * detours, waits, multipath, vent leaks, store-and-forward; issue 11): all
 * breaches found (recall >= 0.99, every rule >= 0.9), alerts pointing at
 * breaches (precision >= 0.98), the expected rule raised (>= 0.95), and containers with no
 * injected breach must raise nothing.
 */

const START = Date.parse('2026-01-05T00:00:00Z');
const SEEDS = [101, 202, 303];
const CONTAINERS = 60;
const BREACH_SHARE = 0.6;
/** Long enough for every kind to fit with its aftermath (a route deviation takes up to a day), short enough to stay quick. */
const VOYAGE_HOURS = 132;

const collect = (into: Alert[]): AlertSink => ({
  name: 'collect',
  write: async (alerts) => {
    into.push(...alerts);
  },
  close: async () => {},
});

function table(s: Score): string {
  const f = (x: number | null): string => (x === null ? '-' : String(x));
  const rows = Object.entries(s.perRule).map(
    ([rule, r]) =>
      `| ${rule.padEnd(31)} | ${String(r.labels).padStart(3)} | ${f(r.recall).padStart(5)} | ${f(r.expectedRuleShare).padStart(5)} | ${String(r.alerts).padStart(3)} | ${f(r.precision).padStart(5)} | ${f(r.medianMinutesToDetect).padStart(7)} | ${f(r.p90MinutesToDetect).padStart(7)} |`,
  );
  return [
    '| rule                            | lab | recal | exp.r | alr | prec. | med min | p90 min |',
    ...rows,
    `| ${'all'.padEnd(31)} | ${String(s.labels).padStart(3)} | ${f(s.recall).padStart(5)} | ${f(s.expectedRuleShare).padStart(5)} | ${String(s.alerts).padStart(3)} | ${f(s.precision).padStart(5)} | ${f(s.medianMinutesToDetect).padStart(7)} | ${f(s.p90MinutesToDetect).padStart(7)} |`,
  ].join('\n');
}

describe('detection evaluation on simulated corpora (WIRE section 5)', () => {
  it(`every rule finds its breaches, alerts point at breaches, clean containers stay silent (seeds ${SEEDS.join(', ')} x ${CONTAINERS} containers)`, async () => {
    const config = loadConfig({ env: {} });
    const labels: Label[] = [];
    const alerts: Alert[] = [];
    const clean = new Set<string>();
    const tag = (seed: number, id: string): string => `${seed}:${id}`;
    for (const seed of SEEDS) {
      const sim = simulateFleet({ seed, containers: CONTAINERS, start: START, voyageHours: VOYAGE_HOURS, breachShare: BREACH_SHARE });
      const dir = mkdtempSync(join(tmpdir(), 'sealwatch-eval-'));
      try {
        await writeCorpus(dir, sim);
        const trips = newTripDirectory(config);
        for (const f of readdirSync(join(dir, TRIPS_DIR))) trips.upsert(JSON.parse(readFileSync(join(dir, TRIPS_DIR, f), 'utf8')) as TripPlan);
        const got: Alert[] = [];
        const summary = await replayCapture(join(dir, CAPTURE_FILE), config, trips, defaultPorts(), collect(got), { speed: 'max' });
        expect(summary.late).toBe(0);
        // container numbers are unique within a corpus, not across seeds
        for (const l of sim.labels) labels.push({ ...l, containerId: tag(seed, l.containerId) });
        for (const a of got) alerts.push({ ...a, containerId: tag(seed, a.containerId), alertId: tag(seed, a.alertId) });
        for (const c of sim.cleanContainers) clean.add(tag(seed, c));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    const result = score(labels, alerts);
    const onClean = alerts.filter((a) => clean.has(a.containerId));
    console.log(`seeds ${SEEDS.join(', ')} x ${CONTAINERS} containers, voyageHours ${VOYAGE_HOURS}, breachShare ${BREACH_SHARE}: ${labels.length} labels, ${alerts.length} alerts, ${clean.size} clean containers\n${table(result)}`);

    // the corpus exercises every kind
    for (const k of SCENARIO_KINDS) expect(result.perRule[k]?.labels ?? 0, `labels of ${k}`).toBeGreaterThanOrEqual(2 * SEEDS.length);
    // issue 11's bar for fleets the rules were not tuned on: recall 0.99, precision 0.98, the expected rule 0.95
    expect(result.recall).toBeGreaterThanOrEqual(0.99);
    expect(result.precision).toBeGreaterThanOrEqual(0.98);
    expect(result.expectedRuleShare).toBeGreaterThanOrEqual(0.95);
    // and no rule left behind (10-12 labels a rule: one miss is 0.9)
    for (const k of SCENARIO_KINDS) expect(result.perRule[k]?.recall ?? 0, `recall of ${k}`).toBeGreaterThanOrEqual(0.9);
    expect(onClean.map((a) => `${a.rule} ${a.containerId} ${a.startedAt}: ${a.summary}`)).toEqual([]);
  }, 120_000);
});
