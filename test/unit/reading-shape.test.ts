import { describe, expect, it } from 'vitest';
import { simulateFleet } from '../../simulators/fleet.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { oneShape, parseWireReading, parseWireReadingBySchema, type Reading, readingToWire } from '../../src/model/reading.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';
import { TripDirectory } from '../../src/trips/directory.js';

const config = ConfigSchema.parse({});
const KEYS = ['eventId', 'deviceId', 'containerId', 'tripId', 'format', 'kind', 'ts', 'receivedAt', 'open', 'lat', 'lon', 'speedKn', 'headingDeg', 'hdop', 'lux', 'celsius', 'setpointC'];

/** A fleet's readings as the normaliser gives them: every format, every kind, optional values given or not, field faults that take the slow paths. */
function decoded(): Reading[] {
  const fleet = simulateFleet({ seed: 77, containers: 30, start: Date.parse('2026-03-02T00:00:00Z'), voyageHours: 120 });
  const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, fleet.trips);
  const n = buildNormaliser(config, trips);
  const out: Reading[] = [];
  for (const m of fleet.messages) out.push(...n.normalise(m.topic, m.payload, m.t).readings);
  return out;
}

describe('readings of one shape', () => {
  const readings = decoded();

  it('every decoded reading has every field, in one order, whatever its format and kind', () => {
    const seen = new Set(readings.map((r) => `${r.format} ${r.kind} ${r.kind === 'location' ? r.speedKn !== undefined : r.kind === 'temperature' ? r.setpointC !== undefined : ''}`));
    // the three formats and the four kinds, with and without optional values
    for (const f of ['json-v1', 'csv-v1', 'batch-v1'])
      for (const k of ['door', 'location', 'light', 'temperature'])
        expect(
          [...seen].some((s) => s.startsWith(`${f} ${k}`)),
          `${f} ${k}`,
        ).toBe(true);
    expect(seen.has('json-v1 temperature true') || seen.has('batch-v1 temperature true') || seen.has('csv-v1 temperature true')).toBe(true);
    expect(seen.has('json-v1 temperature false') || seen.has('batch-v1 temperature false') || seen.has('csv-v1 temperature false')).toBe(true);
    for (const r of readings) expect(Object.keys(r), r.eventId).toEqual(KEYS);
  });

  it('so does a reading read back from the telemetry topic, by either path; the JSON carries only the fields the reading has', () => {
    for (const r of readings.slice(0, 2000)) {
      const json = JSON.stringify(readingToWire(r));
      expect(json).not.toContain('undefined');
      const back = parseWireReading(json);
      expect(Object.keys(back)).toEqual(KEYS);
      expect(Object.keys(parseWireReadingBySchema(json))).toEqual(KEYS);
      expect(back).toEqual(r);
      expect(oneShape(back)).toEqual(back);
    }
  });

  it('oneShape gives a reading of any make that shape, values kept', () => {
    const made = { kind: 'location', lat: 1.5, lon: -2, hdop: 0.8, eventId: 'e', deviceId: 'd', containerId: 'MSCU1234566', tripId: null, format: 'json-v1', ts: 5, receivedAt: 6 } as Reading;
    const r = oneShape(made);
    expect(Object.keys(r)).toEqual(KEYS);
    expect(r).toEqual(made);
    expect(r).toMatchObject({ kind: 'location', lat: 1.5, lon: -2, hdop: 0.8, speedKn: undefined, headingDeg: undefined, ts: 5, receivedAt: 6, tripId: null });
  });
});
