// decode: readings/s/core through Normaliser.normalise on simulator-encoded
// payloads, against bare JSON.parse (json-v1, batch-v1) or split(';') (csv-v1)
// of the same payloads. Rounds are timed in CPU time of this process
// (process.cpuUsage: the main thread plus the GC's helper threads), not wall
// time: "per core" is what the target means, and on a shared 2-core machine
// wall time mostly measures how often the scheduler took the core away.
import { loadConfig } from '../../dist/src/config/load.js';
import { newTripDirectory } from '../../dist/src/pipeline/app.js';
import { buildNormaliser } from '../../dist/src/normalise/normaliser.js';
import { CsvV1Encoder, encodeBatch, JsonV1Encoder } from '../../dist/simulators/encoders.js';
import { makePlans, simReadings, T0 } from '../lib/fleet.mjs';
import { compare, figure, fmt, progress } from '../lib/measure.mjs';

const STEP_MS = 15 * 60_000;

/** CPU milliseconds `fn` took (user + system, all threads of this process). */
function time(fn) {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}
const ARRIVAL_DELAY_MS = 5_000;

function payloads(format, devices, readings, batchSize) {
  const plans = makePlans(devices, { devicePrefix: format.slice(0, 4), withRoute: false, prefix: format === 'csv-v1' ? 'TGHU' : format === 'json-v1' ? 'MSCU' : 'CMAU' });
  const out = [];
  if (format === 'json-v1') {
    const enc = plans.map((p, i) => new JsonV1Encoder('ssd', p.deviceId, p.containerId, `m${i.toString(16)}`));
    for (let k = 0; out.length < readings; k++)
      for (let i = 0; i < devices && out.length < readings; i++) {
        const r = simReadings(i, T0 + Math.floor(k / 4) * STEP_MS)[k % 4];
        const e = enc[i].encode(r);
        out.push({ topic: e.topic, payload: e.payload, receivedAt: r.ts + ARRIVAL_DELAY_MS, readings: 1 });
      }
  } else if (format === 'csv-v1') {
    const enc = plans.map((p, i) => new CsvV1Encoder('ssd', p.deviceId, i));
    for (let k = 0; out.length < readings; k++)
      for (let i = 0; i < devices && out.length < readings; i++) {
        const r = simReadings(i, T0 + Math.floor(k / 4) * STEP_MS)[k % 4];
        const e = enc[i].encode(r);
        out.push({ topic: e.topic, payload: e.payload, receivedAt: r.ts + ARRIVAL_DELAY_MS, readings: 1 });
      }
  } else {
    let events = [];
    let n = 0;
    for (let k = 0; n < readings; k++)
      for (let i = 0; i < devices && n < readings; i++) {
        for (const r of simReadings(i, T0 + k * STEP_MS)) events.push({ eventId: `e${k}-${i}-${r.kind}`, deviceId: plans[i].deviceId, containerId: plans[i].containerId, reading: r });
        n += 4;
        if (events.length >= batchSize) {
          const sentAt = events[events.length - 1].reading.ts + ARRIVAL_DELAY_MS;
          const e = encodeBatch('ssd', 'gw-bench', sentAt, events);
          out.push({ topic: e.topic, payload: e.payload, receivedAt: sentAt, readings: events.length });
          events = [];
        }
      }
  }
  return { plans, messages: out };
}

export async function run(opts) {
  const config = loadConfig({ env: {} });
  const figures = [];
  // opts.decodeFormats narrows the run (for profiling one format: bench/lib/child.mjs decode '{"decodeFormats":["csv-v1"],...}')
  for (const format of opts.decodeFormats ?? ['json-v1', 'csv-v1', 'batch-v1']) {
    const { plans, messages } = payloads(format, opts.decodeDevices, opts.decodeReadings, opts.batchSize);
    const trips = newTripDirectory(config);
    for (const p of plans) trips.upsert(p);
    const total = messages.reduce((a, m) => a + m.readings, 0);
    progress(`decode ${format}: ${messages.length.toLocaleString('en')} messages, ${total.toLocaleString('en')} readings, ${opts.warmup} warm-up + ${opts.rounds} rounds`);
    let sink = 0;
    const subject = () => {
      // a fresh normaliser each round: its duplicate memory would otherwise drop the repeated payloads
      const n = buildNormaliser(config, trips);
      let readings = 0;
      let dead = 0;
      const ms = time(() => {
        for (const m of messages) {
          const r = n.normalise(m.topic, m.payload, m.receivedAt);
          readings += r.readings.length;
          dead += r.deadLetters.length;
        }
      });
      if (readings !== total || dead !== 0) throw new Error(`decode ${format}: ${readings} readings and ${dead} dead letters from ${total} encoded readings`);
      return { units: total, ms };
    };
    const baseline =
      format === 'csv-v1'
        ? () => ({
            units: total,
            ms: time(() => {
              for (const m of messages) sink += m.payload.toString('utf8').split(';').length;
            }),
          })
        : () => ({
            units: total,
            ms: time(() => {
              for (const m of messages) sink += JSON.parse(m.payload.toString('utf8')) === null ? 0 : 1;
            }),
          });
    const r = await compare({ warmup: opts.warmup, rounds: opts.rounds, subject, baseline, onRound: (i, s, b) => progress(`decode ${format} round ${i}: ${fmt(s)} vs ${fmt(b)} readings/s`) });
    if (sink < 0) progress('unreachable'); // keeps the baseline's results alive
    figures.push(
      figure({
        bench: `decode ${format}`,
        unit: 'readings/s/core',
        subject: r.subject,
        baseline: r.baseline,
        baselineLabel: format === 'csv-v1' ? "payload.toString().split(';')" : 'JSON.parse(payload.toString())',
        target: format === 'json-v1' ? 'ratio >= 0.60' : format === 'csv-v1' ? '>= 1,000,000 readings/s' : '',
        meets: format === 'json-v1' ? (f) => f.ratio >= 0.6 : format === 'csv-v1' ? (f) => f.value >= 1_000_000 : undefined,
        note: `${messages.length} messages${format === 'batch-v1' ? ` of ${opts.batchSize} events` : ''}, ${plans.length} bound devices`,
      }),
    );
  }
  return figures;
}
