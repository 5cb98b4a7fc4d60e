import { describe, it, expect } from 'vitest';
import { simulateFleet } from '../../simulators/fleet.js';
import { MemoryBus } from '../../src/bus/memory.js';
import { TOPICS } from '../../src/bus/topics.js';
import { ConfigSchema } from '../../src/config/schema.js';
import type { Alert } from '../../src/model/alert.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { readingToWire, type Reading } from '../../src/model/reading.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';
import { CollectingEngine } from '../../src/pipeline/processor.js';
import { RulesStage } from '../../src/pipeline/rules-stage.js';
import type { AlertSink } from '../../src/sinks/sink.js';

/**
 * Crash recovery of the rules stage: a stage that starts on a group with
 * committed offsets rebuilds its engine from the retained telemetry before
 * them, so the alerts after the restart are exactly those an uninterrupted
 * stage raises. The memory bus stands in for the log here (the Kafka side is
 * covered by the kill -9 fault test against a real broker).
 */
const config = ConfigSchema.parse({});
const sim = simulateFleet({ seed: 33, containers: 10, start: Date.parse('2026-02-02T00:00:00Z'), demo: true, voyageHours: 30 });
const trips = () => new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, sim.trips);

function telemetry(): Reading[] {
  const n = buildNormaliser(config, trips());
  const out: Reading[] = [];
  for (const m of sim.messages) out.push(...n.normalise(m.topic, m.payload, m.t).readings);
  return out;
}
const readings = telemetry();

class Collect implements AlertSink {
  readonly name = 'collect';
  readonly alerts: Alert[] = [];
  failNext = 0;
  async write(alerts: readonly Alert[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('sink unavailable');
    }
    this.alerts.push(...alerts);
  }
  async close(): Promise<void> {}
}

function stage(bus: MemoryBus, groupId: string, sink: AlertSink): RulesStage {
  // a huge idle interval: only the data moves the engine, so runs are comparable
  return new RulesStage(bus, new CollectingEngine(config, trips(), defaultPorts()), sink, { groupId, idleFlushMs: 3_600_000 });
}

async function produce(bus: MemoryBus, rs: Reading[]): Promise<void> {
  await bus.produce(
    TOPICS.telemetry,
    rs.map((r) => ({ key: r.containerId, value: JSON.stringify(readingToWire(r)) })),
  );
}

/** One stage over all the telemetry, writing to `sink`; returns the stage (its counters) when done. */
async function runThrough(sink: Collect): Promise<RulesStage> {
  const bus = new MemoryBus(4);
  await bus.ensureTopics([{ topic: TOPICS.telemetry, partitions: 4 }]);
  const s = stage(bus, 'g', sink);
  await s.start();
  await produce(bus, readings);
  await waitDrained(bus, 'g', s);
  await s.flush();
  await s.stop();
  return s;
}

async function uninterrupted(): Promise<Set<string>> {
  const sink = new Collect();
  await runThrough(sink);
  return new Set(sink.alerts.map((a) => a.alertId));
}

async function waitDrained(bus: MemoryBus, group: string, ...stages: RulesStage[]): Promise<void> {
  for (let i = 0; i < 500 && (await bus.lag(group, TOPICS.telemetry)) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(await bus.lag(group, TOPICS.telemetry)).toBe(0);
  for (const s of stages) await s.drain();
}

/**
 * A stage consumes the first 55 % of the telemetry and dies (its engine state
 * is gone, committed offsets stay); a second stage, with or without the
 * rebuild, takes the rest. Returns both stages' alerts.
 */
async function crashAndRestart(recover: boolean): Promise<{ before: Alert[]; after: Alert[]; cut: number; rebuilt: number }> {
  const bus = new MemoryBus(4);
  await bus.ensureTopics([{ topic: TOPICS.telemetry, partitions: 4 }]);
  const before = new Collect();
  const first = stage(bus, 'g', before);
  await first.start();
  const cut = Math.floor(readings.length * 0.55);
  await produce(bus, readings.slice(0, cut));
  await waitDrained(bus, 'g', first);
  await first.stop();
  const after = new Collect();
  const second = new RulesStage(bus, new CollectingEngine(config, trips(), defaultPorts()), after, { groupId: 'g', idleFlushMs: 3_600_000, recover });
  await second.start();
  const rebuilt = second.recovery.rebuiltReadings;
  await produce(bus, readings.slice(cut));
  await waitDrained(bus, 'g', second);
  await second.flush();
  await second.stop();
  return { before: before.alerts, after: after.alerts, cut, rebuilt };
}

describe('rules stage crash recovery', () => {
  it('a restarted stage rebuilds state from the log and raises exactly the alerts of an uninterrupted run', async () => {
    const expected = await uninterrupted();
    expect(expected.size).toBeGreaterThan(5);
    const { before, after, cut, rebuilt } = await crashAndRestart(true);
    expect(rebuilt).toBe(cut);
    const got = new Set([...before, ...after].map((a) => a.alertId));
    expect([...got].sort()).toEqual([...expected].sort());
    // nothing the first run wrote is raised again after the restart
    const firstIds = new Set(before.map((a) => a.alertId));
    expect(after.filter((a) => firstIds.has(a.alertId))).toEqual([]);
  });

  it('without the rebuild the restarted stage would differ (the test can fail)', async () => {
    const expected = await uninterrupted();
    const { before, after, rebuilt } = await crashAndRestart(false);
    expect(rebuilt).toBe(0);
    const got = new Set([...before, ...after].map((a) => a.alertId));
    expect([...got].sort()).not.toEqual([...expected].sort());
  });

  it('a partition that moves between instances is caught up from the log; nothing missing, nothing new', async () => {
    const expected = await uninterrupted();
    const bus = new MemoryBus(4);
    await bus.ensureTopics([{ topic: TOPICS.telemetry, partitions: 4 }]);
    const sinkA = new Collect();
    const sinkB = new Collect();
    const a = stage(bus, 'g', sinkA);
    await a.start();
    const third = Math.floor(readings.length / 3);
    await produce(bus, readings.slice(0, third));
    await waitDrained(bus, 'g', a);
    const b = stage(bus, 'g', sinkB); // joins: the group's partitions are now split between a and b
    await b.start();
    await produce(bus, readings.slice(third, 2 * third));
    await waitDrained(bus, 'g', a, b);
    await a.stop(); // b takes over a's partitions, which a processed past b's rebuilt position
    await produce(bus, readings.slice(2 * third));
    await waitDrained(bus, 'g', b);
    await b.flush();
    await b.stop();
    expect(b.recovery.catchUps).toBeGreaterThan(0);
    const got = new Set([...sinkA.alerts, ...sinkB.alerts].map((x) => x.alertId));
    expect([...got].sort()).toEqual([...expected].sort());
  });

  it('an alert write that fails is retried with the redelivered batch, not lost', async () => {
    const expected = await uninterrupted();
    const sink = new Collect();
    sink.failNext = 3;
    const s = await runThrough(sink);
    expect(sink.failNext).toBe(0);
    expect(s.recovery.redelivered).toBeGreaterThan(0);
    expect(new Set(sink.alerts.map((a) => a.alertId))).toEqual(expected);
  });
});
