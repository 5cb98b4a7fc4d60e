import { describe, it, expect } from 'vitest';
import { simulateFleet, SCENARIO_KINDS } from '../../simulators/fleet.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { Alert } from '../../src/model/alert.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { DirectProcessor } from '../../src/pipeline/processor.js';

/**
 * The simulator against the real decoders and rule engine with default
 * configuration: every message a device meant to send decodes, every
 * injected breach is found by its rule, and clean containers raise nothing.
 */
describe('simulated fleet through the pipeline', () => {
  it('decodes everything but the garbage, detects every label, and stays silent on clean containers', () => {
    const start = Date.parse('2026-01-05T00:00:00Z');
    const sim = simulateFleet({ seed: 21, containers: 12, start, demo: true, voyageHours: 36 });
    const config = ConfigSchema.parse({});
    const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, sim.trips);
    const proc = new DirectProcessor(config, trips, defaultPorts());
    const alerts: Alert[] = [];
    let garbage = 0;
    let garbageDead = 0;
    for (const m of sim.messages) {
      const out = proc.message(m.topic, m.payload, m.t);
      alerts.push(...out.alerts);
      if (m.fault === 'garbage') {
        garbage++;
        garbageDead += out.deadLetters.length;
      } else expect(out.deadLetters.map((d) => `${d.reason}: ${d.detail}`)).toEqual([]);
    }
    alerts.push(...proc.finish().alerts);
    expect(garbage).toBeGreaterThan(0);
    expect(garbageDead).toBe(garbage);
    expect(proc.counts.late).toBe(0);

    expect(new Set(sim.labels.map((l) => l.rule))).toEqual(new Set(SCENARIO_KINDS));
    for (const l of sim.labels) {
      const from = Date.parse(l.from) - 10 * 60_000;
      const to = Date.parse(l.to) + 10 * 60_000;
      const hits = alerts.filter((a) => a.containerId === l.containerId && Date.parse(a.startedAt) >= from && Date.parse(a.startedAt) <= to);
      expect(
        hits.map((a) => a.rule),
        `${l.rule} on ${l.containerId} from ${l.from}`,
      ).toContain(l.rule);
    }
    const clean = new Set(sim.cleanContainers);
    expect(alerts.filter((a) => clean.has(a.containerId)).map((a) => `${a.rule} ${a.containerId}: ${a.summary}`)).toEqual([]);
  });
});
