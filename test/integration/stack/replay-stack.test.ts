import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InfluxDB } from '@influxdata/influxdb-client';
import { createLogger } from '../../../src/log.js';
import type { Alert } from '../../../src/model/alert.js';
import { defaultPorts } from '../../../src/geo/ports.js';
import { newTripDirectory } from '../../../src/pipeline/app.js';
import { replayCapture } from '../../../src/replay/replay.js';
import { replayThroughStack } from '../../../src/replay/stack-replay.js';
import { simulateFleet } from '../../../simulators/fleet.js';
import { writeCorpus } from '../../../simulators/corpus.js';
import { stackConfig } from '../../helpers/stack.js';

/**
 * The same capture replayed embedded (direct decode + rules) and through the
 * stack (Mosquitto, Kafka, the engine as a consumer group, InfluxDB) gives the
 * same alert ids, and the alerts on the topic and in InfluxDB are those ids.
 */
describe('replay: embedded and through the stack', () => {
  it('gives identical alert ids, and InfluxDB holds exactly those alerts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-replay-stack-'));
    // A seed and a start of this run's own, so data left in the stack by other runs cannot collide
    // (SEALWATCH_TEST_SEED repeats a run; every failure message names the seed).
    const seed = Number(process.env.SEALWATCH_TEST_SEED) || 1 + (Date.now() % 100_000);
    const start = Date.parse('2026-03-02T00:00:00Z') + (seed % 200) * 86_400_000;
    const sim = simulateFleet({ seed, containers: 10, start, breachShare: 1, voyageHours: 72 });
    await writeCorpus(dir, sim);
    const capture = join(dir, 'capture.ndjson.gz');
    const config = stackConfig();
    const trips = () => {
      const t = newTripDirectory(config);
      for (const p of sim.trips) t.upsert(p);
      return t;
    };
    const embedded: Alert[] = [];
    await replayCapture(capture, config, trips(), defaultPorts(), { name: 'mem', write: async (a) => void embedded.push(...a), close: async () => {} }, { speed: 'max' });
    expect(embedded.length).toBeGreaterThanOrEqual(5);

    const stack = await replayThroughStack(capture, config, trips(), defaultPorts(), createLogger('warn'));
    expect(stack.published, `seed ${seed}`).toBe(sim.messages.length);
    const ids = (as: Alert[]) => [...new Set(as.map((a) => a.alertId))].sort();
    const differ = (a: Alert[], b: Alert[]) =>
      a
        .filter((x) => !b.some((y) => y.alertId === x.alertId))
        .map((x) => `${x.rule} ${x.containerId} ${x.summary}`)
        .join('; ');
    const why = `seed ${seed}; only embedded: ${differ(embedded, stack.alerts) || 'none'}; only through the stack: ${differ(stack.alerts, embedded) || 'none'}`;
    expect(ids(stack.alerts), why).toEqual(ids(embedded));
    expect(stack.alerts.map((a) => a.summary).sort(), why).toEqual(embedded.map((a) => a.summary).sort());

    const query = new InfluxDB({ url: config.influx.url, token: config.influx.token ?? '' }).getQueryApi(config.influx.org);
    const tripIds = sim.trips.map((t) => `"${t.tripId}"`).join(', ');
    const rows = await query.collectRows<{ _value: string }>(
      `from(bucket: "${config.influx.bucket}") |> range(start: ${new Date(start - 86_400_000).toISOString()}, stop: ${new Date(start + 5 * 86_400_000).toISOString()}) |> filter(fn: (r) => r._measurement == "alert" and r._field == "alert_id" and contains(value: r.trip_id, set: [${tripIds}]))`,
    );
    expect([...new Set(rows.map((r) => r._value))].sort(), `seed ${seed}`).toEqual(ids(embedded));
  });
});
