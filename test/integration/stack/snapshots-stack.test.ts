import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { simulateFleet } from '../../../simulators/fleet.js';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { MemoryBus } from '../../../src/bus/memory.js';
import type { Bus } from '../../../src/bus/port.js';
import { TOPICS, topicSpecs } from '../../../src/bus/topics.js';
import { defaultPorts } from '../../../src/geo/ports.js';
import type { Alert } from '../../../src/model/alert.js';
import { readingToWire, type Reading } from '../../../src/model/reading.js';
import { buildNormaliser } from '../../../src/normalise/normaliser.js';
import { CollectingEngine } from '../../../src/pipeline/processor.js';
import { RulesStage } from '../../../src/pipeline/rules-stage.js';
import type { AlertSink } from '../../../src/sinks/sink.js';
import { TripDirectory } from '../../../src/trips/directory.js';
import { positionGroupsAtEnd } from '../../helpers/faults.js';
import { stackConfig, waitFor } from '../../helpers/stack.js';

/**
 * Engine snapshots against the real Kafka: a rules stage writes a snapshot of
 * every partition to sealwatch.engine-snapshots.v1 part way, goes on, and
 * dies without a last one; a new stage restores each partition from its
 * snapshot, replays only the telemetry after it, and the alerts of both
 * together are exactly those of an uninterrupted in-process run.
 */
const config = stackConfig();
const sim = simulateFleet({ seed: 4711, containers: 12, start: Date.parse('2026-02-02T00:00:00Z'), demo: true, voyageHours: 30 });
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

function recorder(): { log: Logger; events: Array<{ msg: string; fields: Record<string, unknown> }> } {
  const events: Array<{ msg: string; fields: Record<string, unknown> }> = [];
  const at = (fields: Record<string, unknown>, msg: string) => void events.push({ msg, fields });
  const log = { info: at, warn: at, error: at, debug: at, child: () => log } as unknown as Logger;
  return { log, events };
}

async function produce(bus: Bus, rs: Reading[]): Promise<void> {
  for (let i = 0; i < rs.length; i += 1000)
    await bus.produce(
      TOPICS.telemetry,
      rs.slice(i, i + 1000).map((r) => ({ key: r.containerId, value: JSON.stringify(readingToWire(r)) })),
    );
}

async function drained(bus: Bus, groupId: string, stage: RulesStage): Promise<void> {
  await waitFor(`${groupId} to consume the telemetry`, 90_000, async () => ((await bus.lag(groupId, TOPICS.telemetry)) === 0 ? true : undefined), 250);
  await stage.drain();
}

/** The same readings through one in-process stage, never interrupted. */
async function reference(): Promise<string[]> {
  const bus = new MemoryBus(6);
  await bus.ensureTopics([{ topic: TOPICS.telemetry, partitions: 6 }]);
  const sink = new Collect();
  const s = new RulesStage(bus, new CollectingEngine(config, trips(), defaultPorts()), sink, { groupId: 'ref', idleFlushMs: 3_600_000, idleRelease: false });
  await s.start();
  await produce(bus, readings);
  for (let i = 0; i < 1000 && (await bus.lag('ref', TOPICS.telemetry)) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  await s.drain();
  await s.flush();
  await s.stop();
  return [...new Set(sink.alerts.map((a) => a.alertId))].sort();
}

describe('engine snapshots on Kafka', () => {
  it('a restart mid-stream restores every partition from its snapshot, replays only the tail, and raises the alerts of an uninterrupted run', { timeout: 300_000 }, async () => {
    const expected = await reference();
    expect(expected.length).toBeGreaterThan(5);
    const bus = new KafkaBus(config.kafka);
    try {
      await bus.ensureTopics(topicSpecs(config));
      const groupId = `sealwatch-snapshot-test-${randomUUID().slice(0, 8)}`;
      await positionGroupsAtEnd(config, [groupId]);
      const since = Date.now() - 1000;
      const wall = { now: 1_000_000 };
      const stage = (sink: AlertSink, log: Logger) =>
        new RulesStage(bus, new CollectingEngine(config, trips(), defaultPorts()), sink, { groupId, idleFlushMs: 3_600_000, idleRelease: false, wallClock: () => wall.now, recoverFromMs: since, snapshots: { intervalMs: 1000 } }, log);

      const before = new Collect();
      const first = stage(before, recorder().log);
      await first.start();
      const a = Math.floor(readings.length * 0.35);
      const b = Math.floor(readings.length * 0.4);
      const cut = Math.floor(readings.length * 0.65);
      await produce(bus, readings.slice(0, a));
      await drained(bus, groupId, first);
      wall.now += 5000; // the next batch writes the snapshots
      await produce(bus, readings.slice(a, b));
      await drained(bus, groupId, first);
      await produce(bus, readings.slice(b, cut));
      await drained(bus, groupId, first);
      await first.stop({ finalSnapshot: false }); // as a crash: no last snapshot
      expect(first.recovery.snapshotsWritten).toBeGreaterThanOrEqual(1);

      const after = new Collect();
      const rec = recorder();
      const second = stage(after, rec.log);
      await second.start();
      await produce(bus, readings.slice(cut));
      await drained(bus, groupId, second);
      await second.flush();
      await second.stop();

      const restored = rec.events.filter((e) => e.msg === 'rules.snapshot_restored');
      console.log(`snapshot restore: ${restored.map((e) => JSON.stringify(e.fields)).join('\n  ')}\n  rebuilt ${second.recovery.rebuiltReadings} readings of the ${cut} before the restart`);
      expect(restored.length).toBe(first.recovery.snapshotsWritten);
      expect(second.recovery.snapshotsUnusable).toBe(0);
      for (const e of restored) expect(e.fields).toMatchObject({ partition: expect.any(Number), offset: expect.any(String), containers: expect.any(Number), ms: expect.any(Number) });
      expect(second.recovery.rebuiltReadings).toBeGreaterThan(0);
      expect(second.recovery.rebuiltReadings).toBeLessThan(cut * 0.5);
      const got = [...new Set([...before.alerts, ...after.alerts].map((x) => x.alertId))].sort();
      expect(got).toEqual(expected);
      const firstIds = new Set(before.alerts.map((x) => x.alertId));
      expect(after.alerts.filter((x) => firstIds.has(x.alertId))).toEqual([]);
    } finally {
      await bus.close();
    }
  });
});
