import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/bus/memory.js';
import type { OutgoingMessage } from '../../src/bus/port.js';
import { TOPICS } from '../../src/bus/topics.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { IngestStage } from '../../src/pipeline/ingest-stage.js';
import { IngestStep } from '../../src/ingest/ingest-step.js';

/** A memory bus whose next `failures` produces fail, as Kafka does while its broker is down. */
class FlakyBus extends MemoryBus {
  failures = 0;
  /** While set, produces wait for it (a broker that does not answer). */
  hold: Promise<void> | null = null;
  override async produce(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.hold) await this.hold;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('broker unavailable');
    }
    return super.produce(topic, messages);
  }
}

describe('a message the bus did not take is not a duplicate when it comes again', () => {
  it('a message whose produce failed is not recorded as seen, so the redelivery is taken in', async () => {
    const config = ConfigSchema.parse({});
    const bus = new FlakyBus(2);
    const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs });
    const stage = new IngestStage(bus, IngestStep.fromConfig(config, trips, { deferRecord: true }));
    const topic = 'ssd/json/acme-00042/temp';
    const payload = Buffer.from(JSON.stringify({ msgId: 'm-1', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:00Z', celsius: 4.5 }));
    const at = Date.parse('2026-01-07T10:00:05Z');
    bus.failures = 10;
    await expect(stage.handle(topic, payload, at)).rejects.toThrow(/broker unavailable/);
    bus.failures = 0;
    await stage.handle(topic, payload, at + 1000); // the broker's redelivery
    await stage.handle(topic, payload, at + 2000); // a true duplicate after that
    expect(bus.read(TOPICS.telemetry).map((m) => JSON.parse(m.value.toString()).eventId)).toEqual(['json-v1:acme-00042:m-1']);
    expect(stage.counts.duplicates).toBe(1);
  });

  it('a redelivery that arrives while the first attempt is still pending (after a reconnect) is taken in too', async () => {
    const config = ConfigSchema.parse({});
    const bus = new FlakyBus(2);
    const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs });
    const stage = new IngestStage(bus, IngestStep.fromConfig(config, trips, { deferRecord: true }));
    const topic = 'ssd/json/acme-00042/door';
    const payload = Buffer.from(JSON.stringify({ msgId: 'd-1', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:00Z', state: 'open' }));
    const at = Date.parse('2026-01-07T10:00:05Z');
    let release!: () => void;
    bus.hold = new Promise<void>((r) => (release = r));
    const first = stage.handle(topic, payload, at).then(
      () => 'delivered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 10));
    bus.hold = null;
    const second = stage.handle(topic, payload, at + 1000); // the copy the broker sends on the new connection
    bus.failures = 1; // the first attempt fails in the end
    release(); // (batches are written in order: the copy's waits for the first's)
    expect(await first).toBe('failed');
    await second;
    await stage.handle(topic, payload, at + 2000); // now it is a duplicate
    const ids = bus.read(TOPICS.telemetry).map((m) => JSON.parse(m.value.toString()).eventId);
    expect(new Set(ids)).toEqual(new Set(['json-v1:acme-00042:d-1']));
    expect(stage.counts.duplicates).toBe(1);
  });
});
