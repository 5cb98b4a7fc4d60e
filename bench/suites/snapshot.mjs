// snapshot: crash recovery of the rule engine from a snapshot against from the
// telemetry log (issue 12). n containers on six telemetry partitions report
// for `snapshotHours` (four readings each every `snapshotStepMin`, 15 minutes
// by default, every rule on; `snapshotVoyageDays` puts them on a voyage long
// enough that none docks within a run of many days); then
//  - from the log: the same readings, as the wire JSON the telemetry topic
//    holds, parsed and fed to a fresh engine (what recovery without snapshots
//    does, less Kafka's fetch), timed;
//  - from a snapshot: every lane snapshotted and encoded (gzip'd JSON, as
//    written to sealwatch.engine-snapshots.v1), then decoded and restored into
//    a fresh engine, timed;
// and the snapshot's bytes per container (gzip'd, against the JSON before
// gzip). The log replay grows with the span the log holds; the restore does
// not (it grows with the containers).
//
// With `snapshotRealProcess` (bench/run.mjs sets it unless --no-stack, or
// --quick without `--only snapshot`; it holds the stack lock then), the same
// snapshots are also restored by a real `sealwatch run --stages rules`
// process from the local stack's Kafka (bench/lib/restore-process.mjs),
// timed from its start to its last `rules.snapshot_restored` log line.
import { loadConfig } from '../../dist/src/config/load.js';
import { defaultPorts } from '../../dist/src/geo/ports.js';
import { newTripDirectory } from '../../dist/src/pipeline/app.js';
import { partitionFor } from '../../dist/src/bus/port.js';
import { parseWireReading, readingToWire } from '../../dist/src/model/reading.js';
import { decodeLaneSnapshot, encodeLaneSnapshot, RuleEngine } from '../../dist/src/rules/engine.js';
import { ALL_RULES } from '../../dist/src/rules/index.js';
import { longVoyage, makePlans, simReadings, STANDARD_VOYAGE, T0 } from '../lib/fleet.mjs';
import { figure, fmt, progress, summarise, time } from '../lib/measure.mjs';
import { withLocalStack } from '../lib/local-stack.mjs';
import { realProcessRestore } from '../lib/restore-process.mjs';

const KIND = { gps: 'location', temp: 'temperature', light: 'light', door: 'door' };
const PARTITIONS = 6;

/**
 * Every container's four readings of cycle k (one cycle every `fleet.stepMs`,
 * the containers' cycles spread over it), in arrival order, as the telemetry
 * topic's JSON.
 */
function cycle(plans, k, fleet) {
  const n = plans.length;
  const stepS = fleet.stepMs / 1000;
  const out = [];
  for (let i = 0; i < n; i++) {
    const p = plans[i];
    const base = T0 + k * fleet.stepMs + Math.floor((i * stepS) / n) * 1000;
    for (const s of simReadings(i, base, fleet.voyage)) {
      const { kind, ts, ...values } = s;
      if (kind === 'temp') values.celsius = Math.round(values.celsius * 10) / 10;
      out.push({ ...values, kind: KIND[kind], eventId: `snap:${p.deviceId}:${k}-${kind}`, deviceId: p.deviceId, containerId: p.containerId, tripId: p.tripId, format: 'batch-v1', ts, receivedAt: ts + 2000 });
    }
  }
  return out.sort((a, b) => a.receivedAt - b.receivedAt).map((r) => JSON.stringify(readingToWire(r)));
}

/**
 * The fleet the suite simulates: a cycle of four readings per container every
 * `snapshotStepMin` minutes (15 by default), on the standard 17-day voyage,
 * or with `snapshotVoyageDays` on a longer one that no container finishes
 * within the run (bench/lib/fleet.mjs longVoyage), for runs of many days.
 */
function fleetOf(opts) {
  const stepMin = opts.snapshotStepMin ?? 15;
  if (!(Number.isInteger(stepMin) && stepMin > 0 && stepMin <= 240)) throw new Error(`snapshotStepMin: expected whole minutes 1..240, got ${stepMin}`);
  const days = opts.snapshotVoyageDays ?? 0;
  const runMs = (opts.snapshotHours + 2) * 3_600_000;
  const voyage = days > 0 ? longVoyage(days, runMs) : STANDARD_VOYAGE;
  if (days === 0 && runMs > (1 - STANDARD_VOYAGE.from - STANDARD_VOYAGE.span) * STANDARD_VOYAGE.ms)
    throw new Error(`snapshotHours ${opts.snapshotHours}: containers of the standard voyage would reach port within the run; give snapshotVoyageDays`);
  const voyageText = days > 0 ? `a ${days}-day voyage NLRTM-BRSSZ (about ${fmt((14 * 17) / days)} kn, no container arrives within the run)` : 'the 17-day voyage NLRTM-BRSSZ (about 14 kn)';
  return { stepMs: stepMin * 60_000, voyage, text: `four readings per container every ${stepMin} min on ${voyageText}` };
}

/** "27 h", or "30 days" from two days on. */
const spanText = (hours) => (hours >= 48 && hours % 24 === 0 ? `${hours / 24} days` : `${hours} h`);

export async function run(opts) {
  const config = loadConfig({ env: {} });
  const ports = defaultPorts();
  const n = opts.snapshotContainers;
  const hours = opts.snapshotHours;
  const fleet = fleetOf(opts);
  const cycles = Math.round((hours * 3_600_000) / fleet.stepMs);
  const plans = makePlans(n, { devicePrefix: 'snap', withRoute: true, voyage: fleet.voyage });
  const trips = newTripDirectory(config);
  for (const p of plans) trips.upsert(p);
  const lane = new Map(plans.map((p) => [p.containerId, partitionFor(p.containerId, PARTITIONS, 0)]));
  // alerts and late readings counted (the fleet is clean and in order: a figure other than 0 says the load is not what it claims)
  const raised = { alerts: 0, late: 0 };
  const output = { alert: () => raised.alerts++, late: () => raised.late++ };
  const engine = () => new RuleEngine({ config, trips, ports, rules: ALL_RULES, output });

  // from the log: parse and ingest, timed per cycle (generating the wire JSON is not)
  const live = engine();
  let logMs = 0;
  let readings = 0;
  const every = Math.max(1, Math.round(cycles / 20));
  const fedAt = Date.now();
  for (let k = 0; k < cycles; k++) {
    const batch = cycle(plans, k, fleet);
    readings += batch.length;
    logMs += time(() => {
      for (const text of batch) {
        const r = parseWireReading(text);
        live.ingest(r, lane.get(r.containerId));
      }
    });
    if ((k + 1) % every === 0 && k + 1 < cycles)
      progress(
        `snapshot ${n.toLocaleString('en')}: from the log, cycle ${k + 1} of ${cycles}, ${readings.toLocaleString('en')} readings fed in ${fmt(logMs)} ms (${fmt((readings * 1000) / logMs)}/s; ${fmt((Date.now() - fedAt) / 1000)} s with generating them)`,
      );
  }
  const fed = { ...raised };
  progress(`snapshot ${n.toLocaleString('en')} containers: ${readings.toLocaleString('en')} readings (${spanText(hours)}, ${fleet.text}) fed from the log in ${fmt(logMs)} ms; ${fed.alerts} alerts, ${fed.late} late`);

  // to a snapshot: every lane, encoded
  let lanes;
  const writeMs = time(() => {
    lanes = live.laneIds().map((id) => {
      const snap = live.snapshotLane(id);
      return { lane: id, containers: snap.containers, bytes: encodeLaneSnapshot(snap) };
    });
  });
  live.close(); // (a restore after a crash has no engine alive beside it)
  const snapshots = lanes.map((l) => l.bytes);
  const gzBytes = snapshots.reduce((a, b) => a + b.length, 0);
  let jsonBytes = 0;
  for (const b of snapshots) jsonBytes += Buffer.byteLength(JSON.stringify(decodeLaneSnapshot(b)));
  progress(`snapshot ${n.toLocaleString('en')}: written in ${fmt(writeMs)} ms, ${fmt(gzBytes / n)} bytes per container gzip'd (${fmt(jsonBytes / n)} as JSON)`);

  // from the snapshot: decode and restore into a fresh engine, a few rounds
  const restoreMs = [];
  for (let round = 0; round < opts.warmup + opts.rounds; round++) {
    // a job of its own: a WeakRef's target lives to the end of the job that made it, so rounds run
    // in one job would keep every earlier round's baselines (and the slab their blocks), as no real
    // restore does (the rules stage restores each partition in a job of its own)
    await new Promise((resolve) => setImmediate(resolve));
    const fresh = engine();
    const ms = time(() => {
      for (const b of snapshots) {
        const snap = decodeLaneSnapshot(b);
        fresh.restoreLane(snap.lane, snap);
      }
    });
    if (fresh.stats.containers !== n) throw new Error(`snapshot bench: restored ${fresh.stats.containers} containers of ${n}`);
    fresh.close(); // (else the trip directory keeps every round's engine, and the slab its baselines)
    if (round >= opts.warmup) restoreMs.push(ms);
    progress(`snapshot ${n.toLocaleString('en')} restore round ${round + 1}: ${fmt(ms)} ms`);
  }
  const per100k = (ms) => (ms * 100_000) / n;
  const real = opts.snapshotRealProcess ? await realProcess({ opts, plans, fleet, cycles, lanes, n, lane, logMs, hours, readings }) : [];
  const note = `${n} containers on ${PARTITIONS} lanes after ${spanText(hours)} (${readings} readings, ${fleet.text}, every rule on; ${fed.alerts} alerts and ${fed.late} late readings while fed); from the log: wire JSON parsed and ingested (no Kafka fetch); from the snapshot: gunzip, decode and restoreLane of every lane; writing the snapshots took ${Math.round(writeMs)} ms`;
  return [
    figure({
      bench: `snapshot restore per 100,000 containers (${spanText(hours)} of log)`,
      unit: 'ms',
      subject: summarise(restoreMs.map(per100k)),
      baseline: summarise([per100k(logMs)]),
      baselineLabel: `replaying ${spanText(hours)} of telemetry from the log`,
      lowerIsBetter: true,
      target: '',
      note,
    }),
    ...real,
    figure({
      bench: 'snapshot size',
      unit: 'bytes/container',
      subject: summarise([gzBytes / n]),
      baseline: summarise([jsonBytes / n]),
      baselineLabel: 'the same snapshot as JSON before gzip',
      lowerIsBetter: true,
      target: '',
      note: `${n} containers after ${spanText(hours)} (${fleet.text}; every rule's history full past 26 h); gzip'd JSON as written to sealwatch.engine-snapshots.v1`,
    }),
  ];
}

/** Kafka messages for readings of the telemetry topic's JSON, on the lane the engine gave their container. */
function onLanes(texts, lane) {
  return texts.map((value) => {
    const key = parseWireReading(value).containerId;
    return { partition: lane.get(key), key, value };
  });
}

/**
 * The same lane snapshots restored by a real `sealwatch run` process from the
 * local stack's Kafka (bench/lib/restore-process.mjs): the last cycle the
 * engine ingested goes on the telemetry topic before the snapshot offsets,
 * the first `snapshotTailReadings` of the next cycle after them.
 */
async function realProcess({ opts, plans, fleet, cycles, lanes, n, lane, logMs, hours, readings }) {
  const label = 'snapshot real-process';
  const tailReadings = opts.snapshotTailReadings;
  const r = await withLocalStack(label, async () => {
    const head = onLanes(cycle(plans, cycles - 1, fleet), lane);
    const tail = onLanes(cycle(plans, cycles, fleet).slice(0, tailReadings), lane);
    return realProcessRestore({ partitions: PARTITIONS, containers: n, snapshots: lanes, head, tail, rounds: opts.snapshotProcessRounds ?? opts.rounds, timeoutMs: opts.snapshotProcessTimeoutMs });
  });
  if (r.skipped) {
    progress(`${label}: SKIPPED: ${r.skipped}`);
    return [];
  }
  const { rounds, headMs } = r.result;
  const base = summarise([logMs]);
  const baselineLabel = `replaying ${spanText(hours)} of telemetry from the log in this process, this run (${readings} readings, no Kafka fetch)`;
  const setup = `${n} containers on ${PARTITIONS} partitions after ${spanText(hours)} (${fleet.text}); the telemetry topic holds the last cycle the engine ingested (${Math.round(headMs)} ms to produce) before the snapshot offsets and ${tailReadings} readings of the next after them; each round writes the ${lanes.length} lane snapshots through EngineSnapshotStore.write under a new consumer group (committed offsets = the snapshots'), starts \`sealwatch run --profile stack --stages rules\` (influx and API off) and kills it (SIGKILL) once every partition has its rules.snapshot_restored line`;
  const lines = rounds.flatMap((x, i) => [`round ${i + 1}: restored ${fmt(x.wallMs)} ms after the process started (pipeline.running at ${x.runningMs === null ? '?' : fmt(x.runningMs)} ms)`, ...x.lines]);
  return [
    figure({
      bench: `snapshot restore, real sealwatch run, ${n.toLocaleString('en')} containers (start to last restore line)`,
      unit: 'ms',
      subject: summarise(rounds.map((x) => x.wallMs)),
      baseline: base,
      baselineLabel,
      lowerIsBetter: true,
      target: '',
      note: `${setup}; wall time from spawning the process to the time stamp of its last rules.snapshot_restored line (process start, config, Kafka connect, group join, reading the snapshot topic, gunzip, decode, restoreLane)`,
      logLines: lines,
    }),
    figure({
      bench: `snapshot restore, real sealwatch run, ${n.toLocaleString('en')} containers (sum of the restore lines' ms)`,
      unit: 'ms',
      subject: summarise(rounds.map((x) => x.totals.sumMs)),
      baseline: base,
      baselineLabel,
      lowerIsBetter: true,
      target: '',
      note: `the same processes as the row above: the sum over the ${PARTITIONS} partitions of each rules.snapshot_restored line's ms (loading the snapshot from Kafka, checking it, gunzip, decode, restoreLane; the partitions are restored one after the other); largest line ${rounds.map((x) => `${Math.round(x.totals.maxMs)} ms`).join(', ')}`,
    }),
  ];
}
