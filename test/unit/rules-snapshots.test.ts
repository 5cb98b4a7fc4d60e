import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { simulateFleet } from '../../simulators/fleet.js';
import { MemoryBus } from '../../src/bus/memory.js';
import { TOPICS, topicSpecs } from '../../src/bus/topics.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { Alert } from '../../src/model/alert.js';
import { readingToWire, type Reading } from '../../src/model/reading.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';
import { EngineSnapshotStore } from '../../src/pipeline/engine-snapshots.js';
import { CollectingEngine } from '../../src/pipeline/processor.js';
import { RulesStage } from '../../src/pipeline/rules-stage.js';
import { encodeLaneSnapshot } from '../../src/rules/engine.js';
import type { AlertSink } from '../../src/sinks/sink.js';
import { TripDirectory } from '../../src/trips/directory.js';

/**
 * Recovery from engine snapshots (sealwatch.engine-snapshots.v1) with the
 * memory bus: a restarted stage restores each partition from its latest
 * snapshot, feeds only the telemetry after it, and raises exactly the alerts
 * of an uninterrupted run; a snapshot it cannot read sends that partition
 * back to the full log; partitions move between members with their state.
 */
const config = ConfigSchema.parse({});
const sim = simulateFleet({ seed: 33, containers: 10, start: Date.parse('2026-02-02T00:00:00Z'), demo: true, voyageHours: 30 });
const trips = () => new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, sim.trips);
const readings: Reading[] = (() => {
  const n = buildNormaliser(config, trips());
  const out: Reading[] = [];
  for (const m of sim.messages) out.push(...n.normalise(m.topic, m.payload, m.t).readings);
  return out;
})();

class Collect implements AlertSink {
  readonly name = 'collect';
  readonly alerts: Alert[] = [];
  async write(alerts: readonly Alert[]): Promise<void> {
    this.alerts.push(...alerts);
  }
  async close(): Promise<void> {}
}

/** A logger that keeps what is logged, by message. */
function recorder(): { log: Logger; events: Array<{ msg: string; fields: Record<string, unknown> }> } {
  const events: Array<{ msg: string; fields: Record<string, unknown> }> = [];
  const at = (fields: Record<string, unknown>, msg: string) => void events.push({ msg, fields });
  const log = { info: at, warn: at, error: at, debug: at, child: () => log } as unknown as Logger;
  return { log, events };
}

const wall = { now: 1_000_000 };

const engines = new Map<RulesStage, CollectingEngine>();
const engineOf = (s: RulesStage) => engines.get(s)!.engine;

function stage(bus: MemoryBus, sink: AlertSink, log?: Logger, snapshots = true): RulesStage {
  const engine = new CollectingEngine(config, trips(), defaultPorts());
  // a huge idle interval: only the data moves the engine; a small chunk size: snapshots span several messages
  const s = new RulesStage(bus, engine, sink, { groupId: 'g', idleFlushMs: 3_600_000, wallClock: () => wall.now, snapshots: snapshots ? { intervalMs: 1000, chunkBytes: 4096 } : null }, log);
  engines.set(s, engine);
  return s;
}

async function newBus(): Promise<MemoryBus> {
  const bus = new MemoryBus(4);
  await bus.ensureTopics(topicSpecs({ ...config, kafka: { ...config.kafka, partitions: { ...config.kafka.partitions, telemetry: 4 } } }));
  return bus;
}

async function produce(bus: MemoryBus, rs: Reading[]): Promise<void> {
  await bus.produce(
    TOPICS.telemetry,
    rs.map((r) => ({ key: r.containerId, value: JSON.stringify(readingToWire(r)) })),
  );
}

async function waitDrained(bus: MemoryBus, ...stages: RulesStage[]): Promise<void> {
  for (let i = 0; i < 500 && (await bus.lag('g', TOPICS.telemetry)) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(await bus.lag('g', TOPICS.telemetry)).toBe(0);
  for (const s of stages) await s.drain();
}

async function uninterrupted(): Promise<string[]> {
  const bus = await newBus();
  const sink = new Collect();
  const s = stage(bus, sink, undefined, false);
  await s.start();
  await produce(bus, readings);
  await waitDrained(bus, s);
  await s.flush();
  await s.stop();
  return sink.alerts.map((a) => a.alertId).sort();
}

/**
 * A stage consumes 60 % of the telemetry, a snapshot of every partition is
 * written at about 35 %, and it dies without a last snapshot; a second stage
 * takes the rest. `tamper` runs before the restart.
 */
async function crashAndRestart(tamper?: (bus: MemoryBus) => Promise<void>) {
  const bus = await newBus();
  const before = new Collect();
  const first = stage(bus, before);
  await first.start();
  const a = Math.floor(readings.length * 0.3);
  const b = Math.floor(readings.length * 0.35);
  const cut = Math.floor(readings.length * 0.6);
  await produce(bus, readings.slice(0, a));
  await waitDrained(bus, first);
  wall.now += 5000; // the next batch writes the snapshots
  await produce(bus, readings.slice(a, b));
  await waitDrained(bus, first);
  await produce(bus, readings.slice(b, cut));
  await waitDrained(bus, first);
  await first.stop({ finalSnapshot: false });
  expect(first.recovery.snapshotsWritten).toBe(4);
  await tamper?.(bus);
  const after = new Collect();
  const rec = recorder();
  const second = stage(bus, after, rec.log);
  await second.start();
  await produce(bus, readings.slice(cut));
  await waitDrained(bus, second);
  await second.flush();
  await second.stop();
  return { before: before.alerts, after: after.alerts, cut, second, events: rec.events };
}

describe('rules stage recovery from engine snapshots', () => {
  it('a restarted stage restores every partition from its snapshot, feeds only the tail, and raises exactly the uninterrupted alerts', async () => {
    const expected = await uninterrupted();
    expect(expected.length).toBeGreaterThan(5);
    const { before, after, cut, second, events } = await crashAndRestart();
    expect(second.recovery.snapshotsRestored).toBe(4);
    expect(second.recovery.snapshotsUnusable).toBe(0);
    // only the readings after the snapshots (about 35 % .. 60 %) were fed again, not the whole log
    expect(second.recovery.rebuiltReadings).toBeGreaterThan(0);
    expect(second.recovery.rebuiltReadings).toBeLessThan(cut * 0.5);
    const restored = events.filter((e) => e.msg === 'rules.snapshot_restored');
    expect(restored.map((e) => e.fields.partition).sort()).toEqual([0, 1, 2, 3]);
    for (const e of restored) expect(Object.keys(e.fields)).toEqual(expect.arrayContaining(['partition', 'offset', 'containers', 'ms']));
    expect(restored.reduce((n, e) => n + (e.fields.containers as number), 0)).toBeGreaterThan(0);
    expect([...new Set([...before, ...after].map((x) => x.alertId))].sort()).toEqual(expected);
    const firstIds = new Set(before.map((x) => x.alertId));
    expect(after.filter((x) => firstIds.has(x.alertId))).toEqual([]);
    // the stop wrote a last snapshot of each partition
    expect(events.filter((e) => e.msg === 'rules.snapshot_written').length).toBeGreaterThanOrEqual(4);
  });

  it('a snapshot it cannot read (unknown schema version) sends that partition back to the log, with the same alerts', async () => {
    const expected = await uninterrupted();
    const { before, after, second, events } = await crashAndRestart(async (bus) => {
      const snap = new CollectingEngine(config, trips(), defaultPorts()).engine.snapshotLane(0);
      await new EngineSnapshotStore(bus, 'g').write(0, 1n, encodeLaneSnapshot({ ...snap, schemaVersion: 99 }), 0);
    });
    expect(second.recovery.snapshotsRestored).toBe(3);
    expect(second.recovery.snapshotsUnusable).toBe(1);
    const unusable = events.find((e) => e.msg === 'rules.snapshot_unusable');
    expect(unusable?.fields).toMatchObject({ partition: 0 });
    expect(String(unusable?.fields.reason)).toMatch(/schemaVersion 99/);
    expect([...new Set([...before, ...after].map((x) => x.alertId))].sort()).toEqual(expected);
  });

  it('partitions move between members: the one that loses them drops their state, the one that gets them restores it', async () => {
    const expected = await uninterrupted();
    const bus = await newBus();
    const sinkA = new Collect();
    const sinkB = new Collect();
    const recA = recorder();
    const recB = recorder();
    const a = stage(bus, sinkA, recA.log);
    await a.start();
    const third = Math.floor(readings.length / 3);
    await produce(bus, readings.slice(0, third));
    await waitDrained(bus, a);
    wall.now += 5000;
    await produce(bus, readings.slice(third, third + 50));
    await waitDrained(bus, a);
    const held = engineOf(a).stats.containers;
    const b = stage(bus, sinkB, recB.log); // joins: the group's partitions are now split between a and b
    await b.start();
    await produce(bus, readings.slice(third + 50, 2 * third));
    await waitDrained(bus, a, b);
    expect(recA.events.filter((e) => e.msg === 'rules.partition_dropped').length).toBe(2);
    expect(engineOf(a).stats.containers).toBeLessThan(held);
    expect(recB.events.filter((e) => e.msg === 'rules.snapshot_restored').length).toBe(2);
    await a.stop(); // b takes a's partitions over, from the snapshot a writes as it stops
    await produce(bus, readings.slice(2 * third));
    await waitDrained(bus, b);
    await b.flush();
    await b.stop();
    expect(recB.events.filter((e) => e.msg === 'rules.snapshot_restored').length).toBe(4);
    expect([...new Set([...sinkA.alerts, ...sinkB.alerts].map((x) => x.alertId))].sort()).toEqual(expected);
  });

  it('a snapshot from before engine.recoverFrom is not used: recovery starts at that time, as without snapshots', async () => {
    const bus = await newBus();
    const first = stage(bus, new Collect());
    await first.start();
    await produce(bus, readings.slice(0, 500));
    await waitDrained(bus, first);
    await first.stop(); // writes its last snapshots
    expect(first.recovery.snapshotsWritten).toBeGreaterThan(0);
    await produce(bus, readings.slice(500, 700));
    await new Promise((r) => setTimeout(r, 20));
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await produce(bus, readings.slice(700, 1000));
    const rec = recorder();
    const second = new RulesStage(
      bus,
      new CollectingEngine(config, trips(), defaultPorts()),
      new Collect(),
      { groupId: 'g', idleFlushMs: 3_600_000, wallClock: () => wall.now, recoverFromMs: since, snapshots: { intervalMs: 1000 } },
      rec.log,
    );
    await second.start();
    await waitDrained(bus, second);
    await second.stop();
    // a partition that got nothing between its snapshot and that time may use its snapshot: it covers the same offset
    const unusable = rec.events.filter((e) => e.msg === 'rules.snapshot_unusable');
    expect(unusable.length).toBeGreaterThan(0);
    expect(second.recovery.snapshotsRestored + unusable.length).toBe(first.recovery.snapshotsWritten);
    for (const e of unusable) expect(String(e.fields.reason)).toMatch(/before engine.recoverFrom/);
    // nothing before that time was fed: the readings from 500 on before it are skipped, those after it processed
    expect(second.counts.readings).toBe(300);
  });
});
