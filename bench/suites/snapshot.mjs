// snapshot: crash recovery of the rule engine from a snapshot against from the
// telemetry log (issue 12). n containers on six telemetry partitions report
// for `snapshotHours` (four readings each per 15 minutes, every rule on); then
//  - from the log: the same readings, as the wire JSON the telemetry topic
//    holds, parsed and fed to a fresh engine (what recovery without snapshots
//    does, less Kafka's fetch), timed;
//  - from a snapshot: every lane snapshotted and encoded (gzip'd JSON, as
//    written to sealwatch.engine-snapshots.v1), then decoded and restored into
//    a fresh engine, timed;
// and the snapshot's bytes per container (gzip'd, against the JSON before
// gzip). The log replay grows with the span the log holds; the restore does
// not (it grows with the containers).
import { loadConfig } from '../../dist/src/config/load.js';
import { defaultPorts } from '../../dist/src/geo/ports.js';
import { newTripDirectory } from '../../dist/src/pipeline/app.js';
import { partitionFor } from '../../dist/src/bus/port.js';
import { parseWireReading, readingToWire } from '../../dist/src/model/reading.js';
import { decodeLaneSnapshot, encodeLaneSnapshot, RuleEngine } from '../../dist/src/rules/engine.js';
import { ALL_RULES } from '../../dist/src/rules/index.js';
import { makePlans, simReadings, T0 } from '../lib/fleet.mjs';
import { figure, fmt, progress, summarise, time } from '../lib/measure.mjs';

const STEP_MS = 15 * 60_000;
const KIND = { gps: 'location', temp: 'temperature', light: 'light', door: 'door' };
const PARTITIONS = 6;

/** Every container's four readings of one 15-minute cycle, in arrival order, as the telemetry topic's JSON. */
function cycle(plans, k) {
  const n = plans.length;
  const out = [];
  for (let i = 0; i < n; i++) {
    const p = plans[i];
    const base = T0 + k * STEP_MS + Math.floor((i * 900) / n) * 1000;
    for (const s of simReadings(i, base)) {
      const { kind, ts, ...values } = s;
      if (kind === 'temp') values.celsius = Math.round(values.celsius * 10) / 10;
      out.push({ ...values, kind: KIND[kind], eventId: `snap:${p.deviceId}:${k}-${kind}`, deviceId: p.deviceId, containerId: p.containerId, tripId: p.tripId, format: 'batch-v1', ts, receivedAt: ts + 2000 });
    }
  }
  return out.sort((a, b) => a.receivedAt - b.receivedAt).map((r) => JSON.stringify(readingToWire(r)));
}

export async function run(opts) {
  const config = loadConfig({ env: {} });
  const ports = defaultPorts();
  const n = opts.snapshotContainers;
  const hours = opts.snapshotHours;
  const cycles = Math.round((hours * 3_600_000) / STEP_MS);
  const plans = makePlans(n, { devicePrefix: 'snap', withRoute: true });
  const trips = newTripDirectory(config);
  for (const p of plans) trips.upsert(p);
  const lane = new Map(plans.map((p) => [p.containerId, partitionFor(p.containerId, PARTITIONS, 0)]));
  const engine = () => new RuleEngine({ config, trips, ports, rules: ALL_RULES, output: { alert: () => {}, late: () => {} } });

  // from the log: parse and ingest, timed per cycle (generating the wire JSON is not)
  const live = engine();
  let logMs = 0;
  let readings = 0;
  for (let k = 0; k < cycles; k++) {
    const batch = cycle(plans, k);
    readings += batch.length;
    logMs += time(() => {
      for (const text of batch) {
        const r = parseWireReading(text);
        live.ingest(r, lane.get(r.containerId));
      }
    });
  }
  progress(`snapshot ${n.toLocaleString('en')} containers: ${readings.toLocaleString('en')} readings (${hours} h) fed from the log in ${fmt(logMs)} ms`);

  // to a snapshot: every lane, encoded
  let snapshots;
  const writeMs = time(() => {
    snapshots = live.laneIds().map((id) => encodeLaneSnapshot(live.snapshotLane(id)));
  });
  const gzBytes = snapshots.reduce((a, b) => a + b.length, 0);
  let jsonBytes = 0;
  for (const b of snapshots) jsonBytes += Buffer.byteLength(JSON.stringify(decodeLaneSnapshot(b)));
  progress(`snapshot ${n.toLocaleString('en')}: written in ${fmt(writeMs)} ms, ${fmt(gzBytes / n)} bytes per container gzip'd (${fmt(jsonBytes / n)} as JSON)`);

  // from the snapshot: decode and restore into a fresh engine, a few rounds
  const restoreMs = [];
  for (let round = 0; round < opts.warmup + opts.rounds; round++) {
    const fresh = engine();
    const ms = time(() => {
      for (const b of snapshots) {
        const snap = decodeLaneSnapshot(b);
        fresh.restoreLane(snap.lane, snap);
      }
    });
    if (fresh.stats.containers !== n) throw new Error(`snapshot bench: restored ${fresh.stats.containers} containers of ${n}`);
    if (round >= opts.warmup) restoreMs.push(ms);
    progress(`snapshot ${n.toLocaleString('en')} restore round ${round + 1}: ${fmt(ms)} ms`);
  }
  const per100k = (ms) => (ms * 100_000) / n;
  const note = `${n} containers on ${PARTITIONS} lanes after ${hours} h (${readings} readings, every rule on); from the log: wire JSON parsed and ingested (no Kafka fetch); from the snapshot: gunzip, decode and restoreLane of every lane; writing the snapshots took ${Math.round(writeMs)} ms`;
  return [
    figure({
      bench: `snapshot restore per 100,000 containers (${hours} h of log)`,
      unit: 'ms',
      subject: summarise(restoreMs.map(per100k)),
      baseline: summarise([per100k(logMs)]),
      baselineLabel: `replaying ${hours} h of telemetry from the log`,
      lowerIsBetter: true,
      target: '',
      note,
    }),
    figure({
      bench: 'snapshot size',
      unit: 'bytes/container',
      subject: summarise([gzBytes / n]),
      baseline: summarise([jsonBytes / n]),
      baselineLabel: 'the same snapshot as JSON before gzip',
      lowerIsBetter: true,
      target: '',
      note: `${n} containers after ${hours} h (every rule's history full past 26 h); gzip'd JSON as written to sealwatch.engine-snapshots.v1`,
    }),
  ];
}
