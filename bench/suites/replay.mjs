// replay: readings/s of replayCapture at speed 'max' on a simulated corpus,
// against reading and parsing the same gzipped capture without decoding.
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
import { compare, figure, fmt, progress, time, timeAsync } from '../lib/measure.mjs';

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
    const subject = async () => {
      const ms = await timeAsync(async () => {
        summary = await replayCapture(file, config, trips, ports, sink, { speed: 'max' });
      });
      readings = summary.readings;
      return { units: readings, ms };
    };
    // the same readings over the time it takes only to gunzip, split and parse the capture lines
    const baseline = async () => {
      let messages = 0;
      const ms = await timeAsync(async () => {
        for await (const m of readCapture(file)) messages += m.payload.length > 0 ? 1 : 0;
      });
      if (messages !== summary.messages) throw new Error(`replay baseline read ${messages} messages, replay ${summary.messages}`);
      return { units: readings, ms };
    };
    const r = await compare({ warmup: opts.warmup, rounds: opts.rounds, subject, baseline, onRound: (i, s, b) => progress(`replay round ${i}: ${fmt(s)} vs ${fmt(b)} readings/s`) });
    const alerts = Object.values(summary.alerts).reduce((a, b) => a + b, 0);
    return [
      figure({
        bench: 'replay (max speed)',
        unit: 'readings/s',
        subject: r.subject,
        baseline: r.baseline,
        baselineLabel: 'readCapture: gunzip + lines + JSON.parse, no decode',
        target: '',
        note: `${opts.replayContainers} containers, ${summary.messages} messages, ${summary.readings} readings, ${summary.duplicates} duplicates, ${alerts} alerts`,
      }),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
