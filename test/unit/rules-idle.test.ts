import { describe, expect, it } from 'vitest';
import { simulateFleet } from '../../simulators/fleet.js';
import { MemoryBus } from '../../src/bus/memory.js';
import { partitionFor } from '../../src/bus/port.js';
import { TOPICS } from '../../src/bus/topics.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { readingToWire, type Reading } from '../../src/model/reading.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';
import { CollectingEngine } from '../../src/pipeline/processor.js';
import { RulesStage } from '../../src/pipeline/rules-stage.js';
import type { AlertSink } from '../../src/sinks/sink.js';
import { TripDirectory } from '../../src/trips/directory.js';

/**
 * Idle release is per partition (issue 12, item 2): a member of a group
 * releases the held readings of a partition it owns once that partition has
 * been quiet for `idleFlushMs`, whatever another member's partitions do (a
 * member stuck on its own backlog used to hold everyone's release back, since
 * the check was "the whole group's lag is zero").
 */
const config = ConfigSchema.parse({});
const sim = simulateFleet({ seed: 21, containers: 8, start: Date.parse('2026-03-03T00:00:00Z'), demo: true, voyageHours: 12 });
const trips = () => new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, sim.trips);
const readings: Reading[] = (() => {
  const n = buildNormaliser(config, trips());
  return sim.messages.flatMap((m) => n.normalise(m.topic, m.payload, m.t).readings);
})();

const none: AlertSink = { name: 'none', write: async () => {}, close: async () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !ok(); i++) await sleep(10);
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe('rules stage: idle release per partition', () => {
  it('releases a quiet partition it owns while another member of the group is stuck on its own partition', async () => {
    const bus = new MemoryBus(2);
    await bus.ensureTopics([{ topic: TOPICS.telemetry, partitions: 2 }]);
    const first = (p: number) => readings.find((r) => partitionFor(r.containerId, 2, 0) === p)!;
    const r0 = first(0);
    const r1 = first(1);
    expect(r0 && r1).toBeTruthy();

    const wall = { now: 1_000_000 };
    const rules = new CollectingEngine(config, trips(), defaultPorts());
    const stage = new RulesStage(bus, rules, none, { groupId: 'g', idleFlushMs: 20, wallClock: () => wall.now });
    await stage.start(); // joins first: partition 0 (the memory bus assigns round robin in joining order)
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let stuck = 0;
    const other = await bus.subscribe({
      groupId: 'g',
      topics: [TOPICS.telemetry],
      fromBeginning: true,
      handler: async () => {
        stuck++;
        await gate;
      },
    });
    try {
      await bus.produce(
        TOPICS.telemetry,
        [r0, r1].map((r) => ({ key: r.containerId, value: JSON.stringify(readingToWire(r)) })),
      );
      await until('partition 0 in the engine', () => rules.engine.heldIn(0) === 1);
      await until('the other member to hold partition 1', () => stuck > 0);
      expect(await bus.lag('g', TOPICS.telemetry)).toBeGreaterThan(0);

      // idle ticks come every 20 ms of real time, but the stage's wall clock has not moved: nothing is idle yet
      await sleep(150);
      expect(rules.engine.heldIn(0)).toBe(1);

      // past the reorder window of wall time with nothing from partition 0: released, though the group still lags
      wall.now += config.engine.reorderWindowMs + 1000;
      await until('partition 0 released', () => rules.engine.heldIn(0) === 0);
      expect(rules.engine.stats.processed).toBeGreaterThanOrEqual(1);
      expect(rules.engine.heldIn(1)).toBe(0); // never this member's
      expect(await bus.lag('g', TOPICS.telemetry)).toBeGreaterThan(0);
    } finally {
      open();
      await other.stop();
      await stage.stop();
    }
  });
});
