import { simulateFleet, type SimOptions, type SimResult } from '../../simulators/fleet.js';
import { ConfigSchema } from '../../src/config/schema.js';
import type { LocationReading, Reading } from '../../src/model/reading.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';

/** A simulated fleet and what its devices said, decoded by the real normaliser (deduplicated), per container in measurement order. */
export interface DecodedCorpus {
  sim: SimResult;
  readings: Map<string, Reading[]>;
  plans: Map<string, TripPlan>;
}

const cache = new Map<string, DecodedCorpus>();

export function decodedCorpus(opts: SimOptions): DecodedCorpus {
  const key = JSON.stringify(opts);
  const hit = cache.get(key);
  if (hit) return hit;
  const sim = simulateFleet(opts);
  const config = ConfigSchema.parse({});
  const norm = buildNormaliser(config, new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, sim.trips));
  const readings = new Map<string, Reading[]>();
  for (const m of sim.messages) {
    for (const r of norm.normalise(m.topic, m.payload, m.t).readings) {
      const list = readings.get(r.containerId) ?? [];
      list.push(r);
      readings.set(r.containerId, list);
    }
  }
  for (const list of readings.values()) list.sort((a, b) => a.ts - b.ts);
  const c = { sim, readings, plans: new Map(sim.trips.map((t) => [t.containerId, t])) };
  cache.set(key, c);
  return c;
}

export const fixesOf = (c: DecodedCorpus, id: string): LocationReading[] => (c.readings.get(id) ?? []).filter((r): r is LocationReading => r.kind === 'location');

export function km(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const r = Math.PI / 180;
  const s = Math.sin(((b.lat - a.lat) * r) / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(((b.lon - a.lon) * r) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(s)));
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Local solar hour at a longitude. */
export function solarHour(t: number, lon: number): number {
  return (((t / 3_600_000 + lon / 15) % 24) + 24) % 24;
}

/** Runs of consecutive fixes that stay within `radiusKm` of the run's first fix. */
export function stationaryRuns(fixes: readonly LocationReading[], radiusKm: number): Array<{ from: LocationReading; to: LocationReading; fixes: LocationReading[] }> {
  const out: Array<{ from: LocationReading; to: LocationReading; fixes: LocationReading[] }> = [];
  for (let i = 0; i < fixes.length; ) {
    let j = i;
    while (j + 1 < fixes.length && km(fixes[i]!, fixes[j + 1]!) < radiusKm) j++;
    out.push({ from: fixes[i]!, to: fixes[j]!, fixes: fixes.slice(i, j + 1) });
    i = j + 1;
  }
  return out;
}
