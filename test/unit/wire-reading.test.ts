import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { oneShape, parseWireReading, parseWireReadingBySchema, readingToWire, type Reading } from '../../src/model/reading.js';

// parseWireReading builds the readings it is sure of directly and leaves the
// rest to the schema: on any message, valid or broken, it must give what the
// schema path gives (the same keys in the same order and the same values), or
// refuse it as the schema does.
type Outcome = { ok: true; keys: string[]; values: unknown[] } | { ok: false };

function outcome(parse: (json: string) => Reading, json: string): Outcome {
  try {
    const r = parse(json) as unknown as Record<string, unknown>;
    return { ok: true, keys: Object.keys(r), values: Object.values(r) };
  } catch {
    return { ok: false };
  }
}

function same(json: string): void {
  const fast = outcome(parseWireReading, json);
  const schema = outcome(parseWireReadingBySchema, json);
  expect(fast.ok).toBe(schema.ok);
  if (fast.ok && schema.ok) {
    expect(fast.keys).toEqual(schema.keys);
    for (const [i, v] of fast.values.entries()) expect(Object.is(v, schema.values[i]) || (typeof v === 'object' && JSON.stringify(v) === JSON.stringify(schema.values[i]))).toBe(true);
  }
}

const T0 = Date.parse('2026-03-01T00:00:00Z');
const base = fc.record({
  eventId: fc.string({ minLength: 1, maxLength: 12 }),
  deviceId: fc.string({ minLength: 1, maxLength: 8 }),
  containerId: fc.constantFrom('MSCU1234565', 'X'),
  tripId: fc.option(fc.string({ maxLength: 6 }), { nil: null }),
  format: fc.constantFrom('json-v1' as const, 'csv-v1' as const, 'batch-v1' as const),
  ts: fc.integer({ min: 0, max: 400 * 86_400_000 }).map((d) => T0 + d),
  receivedAt: fc.integer({ min: 0, max: 400 * 86_400_000 }).map((d) => T0 + d),
});
const num = (min: number, max: number) => fc.oneof(fc.double({ min, max, noNaN: true }), fc.integer({ min: Math.ceil(min), max: Math.floor(max) }));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const reading: fc.Arbitrary<Reading> = fc.oneof(
  fc.tuple(base, fc.boolean()).map(([b, open]) => ({ ...b, kind: 'door' as const, open })),
  fc.tuple(base, num(-90, 90), num(-180, 180), opt(num(0, 60)), opt(num(0, 360)), opt(num(0.1, 50))).map(([b, lat, lon, speedKn, headingDeg, hdop]) => {
    const r: Record<string, unknown> = { ...b, kind: 'location', lat, lon };
    if (speedKn !== undefined) r.speedKn = speedKn;
    if (headingDeg !== undefined) r.headingDeg = headingDeg;
    if (hdop !== undefined) r.hdop = hdop;
    return r as unknown as Reading;
  }),
  fc.tuple(base, num(0, 1e6)).map(([b, lux]) => ({ ...b, kind: 'light' as const, lux })),
  fc.tuple(base, num(-60, 80), opt(num(-60, 80))).map(([b, celsius, setpointC]) => (setpointC === undefined ? { ...b, kind: 'temperature' as const, celsius } : { ...b, kind: 'temperature' as const, celsius, setpointC })),
);
const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 30 }),
  fc.constant('2026-03-01T00:00:00Z'),
  fc.constant('2026-13-45T99:99:99Z'),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.constant({}),
  fc.constant(-1),
  fc.constant(0),
  fc.constant(-0),
);
const KEYS = ['eventId', 'deviceId', 'containerId', 'tripId', 'format', 'measuredAt', 'receivedAt', 'kind', 'open', 'lat', 'lon', 'speedKn', 'headingDeg', 'hdop', 'lux', 'celsius', 'setpointC', 'extra'];

describe('parseWireReading', () => {
  it('gives what the schema path gives on every valid message, key order included', () => {
    fc.assert(
      fc.property(reading, (r) => same(JSON.stringify(readingToWire(r)))),
      { numRuns: 2000 },
    );
  });

  it('gives what the schema path gives on broken messages: a field removed, replaced by anything, or added', () => {
    const mutation = fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('delete', 'set'), junk);
    fc.assert(
      fc.property(reading, fc.array(mutation, { minLength: 1, maxLength: 3 }), (r, muts) => {
        const w = readingToWire(r) as unknown as Record<string, unknown>;
        for (const [key, op, value] of muts) {
          if (op === 'delete') delete w[key];
          else w[key] = value;
        }
        same(JSON.stringify(w));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses what JSON can say but the schema cannot take: an infinite number, a time without Z, not an object', () => {
    const ok = JSON.stringify(readingToWire({ eventId: 'e', deviceId: 'd', containerId: 'c', tripId: null, format: 'json-v1', ts: T0, receivedAt: T0, kind: 'location', lat: 1, lon: 2 }));
    expect(parseWireReading(ok)).toEqual({ eventId: 'e', deviceId: 'd', containerId: 'c', tripId: null, format: 'json-v1', kind: 'location', lat: 1, lon: 2, ts: T0, receivedAt: T0 });
    for (const broken of [ok.replace('"lat":1', '"lat":1e999'), ok.replace(/Z"/, '"'), '[1,2]', 'null', '"text"']) {
      expect(() => parseWireReadingBySchema(broken)).toThrow();
      expect(() => parseWireReading(broken)).toThrow();
    }
  });
});

describe('readingToWire', () => {
  // the form it had: a rest spread of the reading without its times, then the two ISO times
  const bySpread = (r: Reading) => {
    const { ts, receivedAt, ...rest } = r;
    return { ...rest, measuredAt: new Date(ts).toISOString(), receivedAt: new Date(receivedAt).toISOString() };
  };
  // readings made elsewhere (tests, snapshots of older versions) have their keys in orders of their own; decoders make one shape (below)
  const anyOrder = reading.chain((r) => {
    const entries = Object.entries(r);
    return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }).map((e) => Object.fromEntries(e) as unknown as Reading);
  });

  // and as decoders make them now: every field, those not given undefined (model/reading.ts), which are not written
  const made = reading.map((r) => oneShape(r));

  it('gives the spread form, keys in the reading’s own order, with or without the receipt time given as ISO; undefined fields left out', () => {
    fc.assert(
      fc.property(fc.oneof(anyOrder, made), (r) => {
        const want = bySpread(r);
        for (const got of [readingToWire(r), readingToWire(r, new Date(r.receivedAt).toISOString())]) {
          expect(Object.keys(got)).toEqual(Object.keys(want).filter((k) => (want as Record<string, unknown>)[k] !== undefined));
          expect(Object.values(got)).not.toContain(undefined);
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
