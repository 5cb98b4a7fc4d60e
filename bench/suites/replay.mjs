// replay: readings/s of replayCapture at speed 'max' on a simulated corpus,
// against reading and parsing the same gzipped capture without decoding.
// replayCapture reads and parses the capture in a worker thread, ahead of
// decoding and the rules (src/replay/capture-ahead.ts); the note gives the
// readings per CPU-second of the whole process too (every thread), against
// the baseline's, so what the second thread buys is plain.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../dist/src/config/load.js';
import { defaultPorts } from '../../dist/src/geo/ports.js';
import { newTripDirectory } from '../../dist/src/pipeline/app.js';
import { readCapture } from '../../dist/src/replay/capture.js';
import { replayCapture } from '../../dist/src/replay/replay.js';
import { CAPTURE_FILE, writeCorpus } from '../../dist/simulators/corpus.js';
import { simulateFleet } from '../../dist/simulators/fleet.js';
import { T0 } from '../lib/fleet.mjs';
import { compare, figure, fmt, progress, summarise, time, timeAsync } from '../lib/measure.mjs';

export async function run(opts) {
  const config = loadConfig({ env: {} });
  const ports = defaultPorts();
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-replay-'));
  try {
    let sim;
    const simMs = time(() => {
      sim = simulateFleet({ seed: 20260302, containers: opts.replayContainers, start: T0, ...(opts.replayHours ? { voyageHours: opts.replayHours } : {}) });
    });
    await writeCorpus(dir, sim);
    const file = join(dir, CAPTURE_FILE);
    const trips = newTripDirectory(config);
    for (const p of sim.trips) trips.upsert(p);
    progress(`replay: corpus of ${opts.replayContainers} containers, ${sim.messages.length.toLocaleString('en')} messages (simulated in ${Math.round(simMs)} ms); ${opts.warmup} warm-up + ${opts.rounds} rounds`);
    sim = null;
    let readings = 0;
    let summary = null;
    const sink = { name: 'bench', write: async () => {}, close: async () => {} };
    // CPU time of the process (every thread, the collector's too) per round, for readings per CPU-second
    const cpu = { subject: [], baseline: [] };
    const timed = async (fn) => {
      const c0 = process.cpuUsage();
      const ms = await timeAsync(fn);
      const c = process.cpuUsage(c0);
      return { ms, cpuMs: (c.user + c.system) / 1000 };
    };
    const subject = async () => {
      const { ms, cpuMs } = await timed(async () => {
        summary = await replayCapture(file, config, trips, ports, sink, { speed: 'max' });
      });
      readings = summary.readings;
      cpu.subject.push(cpuMs);
      return { units: readings, ms };
    };
    // the same readings over the time it takes only to gunzip, split and parse the capture lines
    const baseline = async () => {
      let messages = 0;
      const { ms, cpuMs } = await timed(async () => {
        for await (const m of readCapture(file)) messages += m.payload.length > 0 ? 1 : 0;
      });
      cpu.baseline.push(cpuMs);
      if (messages !== summary.messages) throw new Error(`replay baseline read ${messages} messages, replay ${summary.messages}`);
      return { units: readings, ms };
    };
    const r = await compare({ warmup: opts.warmup, rounds: opts.rounds, subject, baseline, onRound: (i, s, b) => progress(`replay round ${i}: ${fmt(s)} vs ${fmt(b)} readings/s`) });
    const alerts = Object.values(summary.alerts).reduce((a, b) => a + b, 0);
    // the rounds' CPU, warm-up left out (compare runs it first)
    const perCpuSecond = (list) => summarise(list.slice(-opts.rounds).map((ms) => readings / (ms / 1000))).median;
    const subjectCpu = perCpuSecond(cpu.subject);
    const baselineCpu = perCpuSecond(cpu.baseline);
    return [
      figure({
        bench: 'replay (max speed)',
        unit: 'readings/s',
        subject: r.subject,
        baseline: r.baseline,
        baselineLabel: 'readCapture: gunzip + lines + JSON.parse, no decode',
        target: 'ratio >= 0.50',
        meets: (f) => f.ratio >= 0.5,
        note: `${opts.replayContainers} containers, ${summary.messages} messages, ${summary.readings} readings, ${summary.duplicates} duplicates, ${alerts} alerts; per CPU-second of the process (the capture read in a worker thread): ${fmt(subjectCpu)} against the baseline's ${fmt(baselineCpu)} (${(subjectCpu / baselineCpu).toFixed(2)})`,
      }),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
