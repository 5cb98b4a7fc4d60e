import { simulateFleet } from '../../simulators/fleet.js';
import type { Config } from '../../src/config/schema.js';
import type { Alert } from '../../src/model/alert.js';
import type { Reading } from '../../src/model/reading.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';
import { TripDirectory } from '../../src/trips/directory.js';

/** When the silenced containers of `engineFleet` go quiet for good. */
export const DARK_FROM = Date.parse('2026-03-03T00:00:00Z');

export interface EngineFleet {
  /** A fresh trip directory of the fleet's plans (each engine its own). */
  trips(): TripDirectory;
  /** The fleet's readings, normalised, sorted by arrival. */
  readings: Reading[];
}

/**
 * A simulated fleet (demo breaches and device faults, 72 h voyages from
 * 2 March 2026) as the engine tests feed it: every message normalised, and
 * every fourth container (by sorted id, the second of each four) silent for
 * good from DARK_FROM on, so silence timers fire while the other containers
 * go on. `redeliver` adds copies of some readings after their first arrival,
 * as broker redeliveries would (in arrival order with the rest).
 */
export function engineFleet(config: Config, seed: number, containers: number, redeliver?: (r: Reading, i: number) => Reading[]): EngineFleet {
  const sim = simulateFleet({ seed, containers, start: Date.parse('2026-03-02T00:00:00Z'), demo: true, faults: true, voyageHours: 72 });
  const trips = () => new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, sim.trips);
  const n = buildNormaliser(config, trips());
  const all: Reading[] = [];
  for (const m of sim.messages) all.push(...n.normalise(m.topic, m.payload, m.t).readings);
  const ids = [...new Set(all.map((r) => r.containerId))].sort();
  const silenced = new Set(ids.filter((_, i) => i % 4 === 1));
  const kept = all.filter((r) => !(silenced.has(r.containerId) && r.ts > DARK_FROM));
  const again = redeliver ? kept.flatMap(redeliver) : [];
  return { trips, readings: [...kept, ...again].sort((a, b) => a.receivedAt - b.receivedAt) };
}

/** Alerts in alert-id order (to compare runs whose lanes interleave differently). */
export const byAlertId = (alerts: Alert[]): Alert[] => [...alerts].sort((a, b) => (a.alertId < b.alertId ? -1 : a.alertId > b.alertId ? 1 : 0));
