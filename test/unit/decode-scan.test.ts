import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulateFleet } from '../../simulators/fleet.js';
import type { DecodeContext } from '../../src/normalise/context.js';
import { decodeCsvV1Reference, scanCsvV1 } from '../../src/normalise/csv-v1.js';
import { Deduper, ID_BATCH, ID_BATCH_NUM, ID_JSON, ID_JSON_NUM, packed, packId } from '../../src/normalise/dedup.js';
import { isoTimeMs, isoTimeMsAt, isoTimeMsBytes } from '../../src/normalise/fields.js';
import { BATCH_EVENT_KEYS, BatchScratch, decodeBatchEvent, isValidBatchEnvelope, scanBatchV1, scannedBatchReading } from '../../src/normalise/batch-v1.js';
import { FlatMembers, flatMembersAsObject, scanFlatObject, scanFlatObjectAt } from '../../src/normalise/flat-json.js';
import { decodeJsonV1, isJsonV1Kind, JSON_V1_KINDS, JsonV1Scratch, scanJsonV1, type JsonV1Kind } from '../../src/normalise/json-v1.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { plan, testConfig } from '../helpers/fixtures.js';

/**
 * The payload scans that skip `JSON.parse`, the UTF-8 check and text ids
 * (issue 14 part 2, second round) against the paths they skip: whatever a
 * scan answers, the slow path answers alike; what it accepts is ASCII; an
 * id's numeric form is a function of its text and tells ids apart.
 */

const config = testConfig();
const RECEIVED = Date.parse('2026-01-07T10:06:00Z');
const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, [plan(), plan({ tripId: 'T-CSV-1', deviceId: 'sat-0091', containerId: 'CSQU3054383' })]);
const ctx: DecodeContext = { limits: { maxBatchEvents: 10_000, maxFutureSkewMs: 3_600_000, maxPastAgeMs: 30 * 86_400_000 }, trips };
const isAscii = (s: string) => [...s].every((c) => c.charCodeAt(0) < 128);
const sameData = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b) && isDeepStrictEqual(a, b);

const KEYS = ['msgId', 'containerId', 'ts', 'lat', 'lon', 'speedKn', 'headingDeg', 'hdop', 'state', 'lux', 'celsius', 'setpointC'];

/** Number texts on and past every edge of the scanner: JSON's grammar, 15 significant digits, exponents. */
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.tuple(fc.integer({ min: -999, max: 999 }), fc.nat(10 ** 9), fc.nat(12)).map(([i, f, z]) => `${i}.${'0'.repeat(z)}${f}`),
  fc.constantFrom(
    '0',
    '-0',
    '-0.0',
    '0.0',
    '1.0',
    '01',
    '-01',
    '1.',
    '.5',
    '-',
    '--1',
    '1e5',
    '1E-2',
    '2.5e+3',
    '123456789012345',
    '1234567890123456',
    '0.123456789012345',
    '0.1234567890123456',
    '99999999999999.9',
    '9007199254740993',
    '1.5.3',
    '0x10',
    'Infinity',
    'NaN',
    '1_000',
  ),
);
/** String texts: plain, escaped, control, non-ASCII, lone surrogates. */
const stringText = fc.oneof(
  fc.string({ maxLength: 16 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"m-1"', '"MSCU1234566"', '"2026-01-07T10:00:00Z"', '"open"', '"closed"', '"a\\"b"', '"\\u0041"', '"tab\there"', '"é"', '"\u{1F600}"', '"\ud800"', '"unterminated', '""', '"\\"', '"a\\nb"', '"\x7f"'),
  fc.string({ maxLength: 16, unit: 'grapheme' }).map((s) => `"${s}"`),
);
const valueText = fc.oneof(numberText, stringText, fc.constantFrom('true', 'false', 'null', '[]', '{}', '[1]', '{"a":1}', ''));
const ws = fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n ', '\u00a0', '\u2028');
const keyText = fc.oneof(
  fc.constantFrom(...KEYS).map((k) => `"${k}"`),
  fc.constantFrom('"msgId"', '"other"', '"__proto__"', '"ms\\u0067Id"', '"lat "', 'lat', '""'),
);
const flatText = fc
  .tuple(fc.array(fc.tuple(ws, keyText, ws, valueText, ws), { maxLength: 9 }), ws, ws, fc.constantFrom(',', ',', ',', ', ', ';', ''))
  .map(([members, a, b, sep]) => `${a}{${members.map(([w1, k, w2, v, w3]) => `${w1}${k}${w2}:${w3}${v}`).join(sep)}}${b}`);
/** Flat objects of distinct known keys with plain values: the scanner's own shape. */
const cleanFlat = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...KEYS), fc.oneof(numberText, fc.constantFrom('"m-1"', '"MSCU1234566"', '"a b"', '""'))), { selector: ([k]) => k, maxLength: 8 })
  .chain((members) => fc.tuple(fc.constant(members), ws).map(([m, w]) => `{${m.map(([k, v]) => `"${k}":${w}${v}`).join(`,${w}`)}}${w}`));
/** A text with one character deleted, inserted or replaced. */
const mutated = (text: fc.Arbitrary<string>) =>
  fc.tuple(text, fc.nat(), fc.constantFrom('', '"', ',', '}', '{', ':', '\\', '0', 'e', '.', '-', ' ', 'é', '\u0000')).map(([s, at, c]) => {
    const i = s.length ? at % s.length : 0;
    return s.slice(0, i) + c + s.slice(i + (at % 3 === 0 ? 0 : 1));
  });

describe('the flat-object scanner is sure only of what JSON.parse reads alike', () => {
  it('accepted text parses, to an object of the same members and values, and is ASCII', () => {
    const mm = new FlatMembers();
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(cleanFlat, flatText, mutated(cleanFlat), mutated(flatText), fc.string({ maxLength: 30 })), (text) => {
        // the scanner reads the payload's bytes (UTF-8)
        const payload = Buffer.from(text);
        if (!scanFlatObject(payload, KEYS, 0, mm)) return;
        accepted++;
        expect(isAscii(text)).toBe(true);
        const doc = JSON.parse(text) as Record<string, unknown>;
        const got = flatMembersAsObject(payload, KEYS, mm);
        expect(Object.keys(doc).sort()).toEqual(Object.keys(got).sort());
        for (const [k, v] of Object.entries(doc)) expect(Object.is(v, got[k]), `${k}: ${String(v)} vs ${String(got[k])}`).toBe(true);
      }),
      { numRuns: 30_000 },
    );
    expect(accepted).toBeGreaterThan(1500); // the property is not vacuous
  });

  it('reads every double JSON.stringify writes with up to 15 significant digits exactly', () => {
    const mm = new FlatMembers();
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const text = `{"lat":${JSON.stringify(d)}}`;
        if (scanFlatObject(Buffer.from(text), KEYS, 0, mm)) expect(Object.is(mm.num[3], JSON.parse(text).lat)).toBe(true);
        else expect(/e|\d{16}/i.test(JSON.stringify(d).replace(/[-.]/g, ''))).toBe(true); // refused only for an exponent or 16+ digits
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('the batch scan is sure only of what JSON.parse reads alike', () => {
  it('a flat object inside a larger text: what it reads from its { to the end it answers is the object JSON.parse reads there', () => {
    const mm = new FlatMembers();
    let accepted = 0;
    fc.assert(
      fc.property(fc.constantFrom('', '[', '{"events":[', '  '), fc.oneof(cleanFlat, flatText, mutated(cleanFlat), mutated(flatText)), fc.constantFrom('', ']', ',{"a":1}]', '}', 'x'), (before, text, after) => {
        const payload = Buffer.from(before + text + after);
        const at = Buffer.byteLength(before) + (text.length - text.trimStart().length);
        const end = scanFlatObjectAt(payload, at, KEYS, 0, mm);
        if (end < 0) return;
        accepted++;
        const inner = payload.toString('utf8', at, end);
        expect(isAscii(inner)).toBe(true);
        const doc = JSON.parse(inner) as Record<string, unknown>;
        const got = flatMembersAsObject(payload, KEYS, mm);
        expect(Object.keys(doc).sort()).toEqual(Object.keys(got).sort());
        for (const [k, v] of Object.entries(doc)) expect(Object.is(v, got[k]), `${k}: ${String(v)} vs ${String(got[k])}`).toBe(true);
        // the object alone, as the whole text: scanFlatObject answers alike
        expect(scanFlatObject(Buffer.from(inner), KEYS, 0, new FlatMembers())).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  /** Events near the valid ones: the members of a type in any order, now and then one missing, one of another type, a value out of range or of the wrong kind. */
  const POOL: Record<string, readonly string[]> = {
    eventId: ['"e-1"', '"e-2"', '"e-1"', '""', `"${'x'.repeat(201)}"`],
    equipmentReference: ['"MSCU1234566"', '"CSQU3054383"', '"MSCU1234566"', '"MSCU1234567"', '"MSCU123456"', '"mscu1234566"'],
    deviceId: ['"acme-00042"', '"sat-0091"', '"acme-00042"', '"nobody-1"', '""'],
    eventDateTime: ['"2026-01-07T10:00:00Z"', '"2026-01-07T10:05:59.9Z"', '"2026-01-07T10:00:00Z"', '"2026-02-30T10:00:00Z"', '"2026-01-07 10:00:00Z"', '"2025-01-07T10:00:00Z"'],
    eventType: ['"DOOR_OPENED"', '"DOOR_CLOSED"', '"LOCATION"', '"LIGHT"', '"TEMPERATURE"', '"LOCATION"', '"TEMPERATURE"', '"HUMIDITY"', '"light"'],
  };
  /** Each number's range (WIRE 1.3): values drawn a little beyond it on both sides, and on and just past its bounds. */
  const RANGE: Record<string, [number, number]> = { latitude: [-90, 90], longitude: [-180, 180], speedKnots: [0, 1000], headingDegrees: [0, 360], lux: [0, 1e6], temperatureCelsius: [-60, 80], setpointCelsius: [-60, 80] };
  const value = (k: string) => {
    if (POOL[k]) return fc.constantFrom(...POOL[k]!);
    const [lo, hi] = RANGE[k]!;
    const edges = [lo, hi, lo - 0.5, hi + 0.5, lo - 1e-9, hi + 1e-9].map((v) => JSON.stringify(v));
    return fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.double({ min: lo - 5, max: hi + 5, noNaN: true }), fc.nat(7)).map(([d, f]) => (f === 7 ? JSON.stringify(d) : d.toFixed(f))) },
      { weight: 2, arbitrary: fc.constantFrom(...edges) },
      numberText,
      fc.constantFrom('"4"', '0', '-0', '-0.0'),
    );
  };
  const TYPE_KEYS: Record<string, string[]> = { DOOR_OPENED: [], DOOR_CLOSED: [], LOCATION: ['latitude', 'longitude', 'speedKnots', 'headingDegrees'], LIGHT: ['lux'], TEMPERATURE: ['temperatureCelsius', 'setpointCelsius'] };
  const nearEvent = fc
    .tuple(fc.constantFrom(...Object.keys(TYPE_KEYS)), fc.nat(3), fc.constantFrom(...BATCH_EVENT_KEYS), fc.boolean(), fc.boolean())
    .chain(([type, drop, other, shuffle, add]) => {
      const keys = ['eventId', 'equipmentReference', 'deviceId', 'eventDateTime', 'eventType', ...TYPE_KEYS[type]!.filter((_, i) => i < 2 || drop !== i)];
      if (drop === 3) keys.splice(drop, 1);
      if (add && !keys.includes(other)) keys.push(other);
      return fc.tuple(shuffle ? fc.shuffledSubarray(keys, { minLength: keys.length }) : fc.constant(keys), fc.constant(type));
    })
    .chain(([keys, type]) => fc.tuple(fc.constant(keys), fc.tuple(...keys.map((k) => (k === 'eventType' ? fc.oneof({ weight: 5, arbitrary: fc.constant(`"${type}"`) }, value(k)) : value(k)))), ws))
    .map(([keys, values, w]) => `{${keys.map((k, i) => `"${k}":${w}${values[i]}`).join(`,${w}`)}}`);
  const event = fc.oneof(
    { weight: 4, arbitrary: nearEvent },
    fc
      .uniqueArray(
        fc.tuple(
          fc.constantFrom(...BATCH_EVENT_KEYS, 'other'),
          fc.oneof(numberText, fc.constantFrom('"e-1"', '"MSCU1234566"', '"acme-00042"', '"2026-01-07T10:00:00Z"', '"LIGHT"', '"DOOR_OPENED"', '""'), stringText, fc.constantFrom('true', 'null', '[]', '{}')),
        ),
        { selector: ([k]) => k, maxLength: 12 },
      )
      .chain((members) => fc.tuple(fc.constant(members), ws).map(([m, w]) => `${w}{${m.map(([k, v]) => `"${k}":${w}${v}`).join(`,${w}`)}}${w}`)),
  );
  const batchText = fc
    .tuple(
      fc.array(event, { maxLength: 5 }),
      fc.constantFrom('"VSL-1"', '"VSL-1"', '"VSL-1"', '"VSL-1"', '"VSL-2"', '""', '1', '"VSL\\u002d1"'),
      fc.constantFrom('"2026-01-07T10:05:00Z"', '"2026-01-07T10:05:00.5Z"', '"2026-01-07T10:05:00Z"', '"yesterday"', '0'),
      fc.constantFrom('gse', 'gse', 'egs', 'gs', 'gsee', 'gsex'),
      ws,
    )
    .map(([events, gw, sent, order, w]) => {
      const member = { g: `"gatewayId":${w}${gw}`, s: `"sentAt":${sent}`, e: `"events":${w}[${events.join(',')}]`, x: '"extra":1' } as Record<string, string>;
      return `${w}{${[...order].map((c) => member[c]).join(`,${w}`)}}${w}`;
    });

  it('a batch it answers is valid JSON, ASCII, an envelope decodeBatchEnvelope accepts, and each event read is the event JSON.parse gives', () => {
    const sc = new BatchScratch();
    let accepted = 0;
    let events = 0;
    fc.assert(
      fc.property(fc.oneof(batchText, mutated(batchText)), fc.integer({ min: 0, max: 6 }), (text, max) => {
        const payload = Buffer.from(text);
        if (!scanBatchV1(payload, 'VSL-1', max, sc)) return;
        accepted++;
        expect(isAscii(text)).toBe(true);
        const doc = JSON.parse(text) as { gatewayId: string; sentAt: string; events: unknown[] };
        expect(isValidBatchEnvelope(doc)).toBe(true);
        expect(doc.gatewayId).toBe('VSL-1');
        expect(isoTimeMs(doc.sentAt)).not.toBeNaN();
        expect(doc.events.length).toBeLessThanOrEqual(max);
        expect(sc.count).toBe(doc.events.length);
        for (let i = 0; i < sc.count; i++) {
          events++;
          const ev = JSON.parse(payload.toString('latin1', sc.spanStart(i), sc.spanEnd(i)));
          expect(sameData(ev, doc.events[i])).toBe(true);
        }
      }),
      { numRuns: 30_000 },
    );
    expect(accepted).toBeGreaterThan(250);
    expect(events).toBeGreaterThan(250);
  });

  it("a scanned event's reading is decodeBatchEvent's, or there is none and decodeBatchEvent gives none (and no plan was looked up)", () => {
    const sc = new BatchScratch();
    let readings = 0;
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 4 }), fc.oneof({ weight: 4, arbitrary: fc.constant(RECEIVED) }, fc.integer({ min: RECEIVED - 40 * 86_400_000, max: RECEIVED + 2 * 3_600_000 })), (events, receivedAt) => {
        const payload = Buffer.from(`{"gatewayId":"VSL-1","sentAt":"2026-01-07T10:05:00Z","events":[${events.join(',')}]}`);
        if (!scanBatchV1(payload, 'VSL-1', 10, sc)) return;
        for (let i = 0; i < sc.count; i++) {
          const slow = decodeBatchEvent(JSON.parse(payload.toString('latin1', sc.spanStart(i), sc.spanEnd(i))), receivedAt, ctx);
          const fast = scannedBatchReading(payload, sc, i, receivedAt, ctx);
          if ('reason' in slow) expect(fast).toBeNull();
          else {
            readings++;
            expect(sameData(fast, slow)).toBe(true);
            expect(sc.eventId).toBe(slow.eventId.slice(`batch-v1:${slow.deviceId}:`.length));
          }
        }
      }),
      { numRuns: 20_000 },
    );
    expect(readings).toBeGreaterThan(200);
  });
});

describe('json-v1 scan decodes as JSON.parse and the zod-checked decoder do', () => {
  const ts = fc.oneof(
    { weight: 4, arbitrary: fc.constant('2026-01-07T10:01:00.250Z') },
    fc.constantFrom('2026-01-07T10:00:00Z', '2026-01-07T10:05:59.9Z', '2026-01-31T23:59:60Z', '2026-02-29T10:00:00Z', '2026-01-07T10:00:00.123456789Z', '2026-01-07 10:00:00Z', '2025-01-07T10:00:00Z'),
    fc.string({ maxLength: 6 }),
  );
  /** Numbers mostly inside every kind's ranges, sometimes anywhere. */
  const num = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.oneof(
        fc.double({ min: 0, max: 60, noNaN: true }).map((d) => String(Number(d.toFixed(6)))),
        fc.integer({ min: 1, max: 60 }).map(String),
        fc.constantFrom('0.9', '14.3', '-18', '0', '-0', '0.0', '254'),
      ),
    },
    { weight: 1, arbitrary: numberText },
  );
  /** The member in `there` of 12 cases, else absent. */
  const member = (k: string, v: fc.Arbitrary<string>, there: number) =>
    there === 0 ? fc.constant(undefined) : fc.oneof({ weight: there, arbitrary: v.map((x): string | undefined => `"${k}":${x}`) }, { weight: 12 - there, arbitrary: fc.constant(undefined) });
  /** json-v1 documents near the kind's shape: its members mostly there, the other kinds' members now and then. */
  const near = (kind: JsonV1Kind) => {
    const mine = (k: string) => (kind === 'door' ? k === 'state' : kind === 'gps' ? ['lat', 'lon', 'speedKn', 'headingDeg', 'hdop'].includes(k) : kind === 'light' ? k === 'lux' : k === 'celsius' || k === 'setpointC');
    const f = (k: string) => (['msgId', 'containerId', 'ts'].includes(k) ? 11 : mine(k) ? 9 : 0);
    return fc
      .tuple(
        member(
          'msgId',
          fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom('"m-2"', '"abcdefghijklmnopq"') },
            fc.constantFrom('"m-1"', '""', `"${'x'.repeat(200)}"`, `"${'x'.repeat(201)}"`, '"m\\u002d1"', '"abcdefghijklmn"', '"abcdefghijklmno"', '"é"', '7'),
            stringText,
          ),
          f('msgId'),
        ),
        member('containerId', fc.constantFrom('"MSCU1234566"', '"MSCU1234566"', '"MSCU1234566"', '"MSCU1234566"', '"MSCU1234565"', '"mscu1234566"', '"MSCU123456"', '"CSQU3054383"', '"MSC\\u00551234566"', '7'), f('containerId')),
        member(
          'ts',
          ts.map((t) => JSON.stringify(t)),
          f('ts'),
        ),
        member('state', fc.constantFrom('"open"', '"closed"', '"OPEN"', '"ope\\u006e"', '1'), f('state')),
        member('lat', num, f('lat')),
        member('lon', num, f('lon')),
        member('speedKn', num, f('speedKn')),
        member('headingDeg', num, f('headingDeg')),
        member('hdop', fc.oneof(num, fc.constant('0')), f('hdop')),
        member('lux', num, f('lux')),
        member('celsius', num, f('celsius')),
        member('setpointC', fc.oneof(num, fc.constant('"5"')), f('setpointC')),
        member('extra', fc.constant('1'), 1),
        fc.oneof({ weight: 1, arbitrary: fc.constantFrom('"msgId":"again"', '"lat":1') }, { weight: 11, arbitrary: fc.constant(undefined) }),
      )
      .chain((members) => {
        const present = members.filter((m): m is string => m !== undefined);
        return fc.oneof(fc.constant(present), fc.shuffledSubarray(present, { minLength: present.length })).map((ms) => `{${ms.join(',')}}`);
      });
  };
  const kindAndText = fc.constantFrom(...JSON_V1_KINDS).chain((kind) => fc.tuple(fc.constant(kind), fc.oneof(near(kind), near(kind), mutated(near(kind)), flatText)));
  it('on near-valid and arbitrary payloads: a reading or rejection alike, or no answer', () => {
    const scratch = new JsonV1Scratch();
    const answered = new Map<string, number>();
    fc.assert(
      fc.property(
        kindAndText,
        fc.constantFrom('acme-00042', 'sat-0091', 'x-1'),
        fc.oneof({ weight: 3, arbitrary: fc.constant(RECEIVED) }, fc.integer({ min: RECEIVED - 40 * 86_400_000, max: RECEIVED + 2 * 3_600_000 })),
        ([kind, text], device, receivedAt) => {
          const fast = scanJsonV1(device, kind, text, receivedAt, ctx, scratch);
          if (fast === null) return;
          answered.set(kind, (answered.get(kind) ?? 0) + 1);
          if (!('reason' in fast)) answered.set('readings', (answered.get('readings') ?? 0) + 1);
          expect(isAscii(text)).toBe(true);
          const slow = decodeJsonV1(device, kind, JSON.parse(text), receivedAt, ctx);
          expect(sameData(fast, slow), `${kind} ${text}`).toBe(true);
          if (!('reason' in fast)) expect(scratch.fields.msgId).toBe((JSON.parse(text) as { msgId: string }).msgId);
        },
      ),
      { numRuns: 40_000 },
    );
    for (const kind of [...JSON_V1_KINDS, 'readings']) expect(answered.get(kind) ?? 0, kind).toBeGreaterThan(100);
  });

  const fleet = simulateFleet({ seed: 7, containers: 24, start: Date.parse('2026-03-02T00:00:00Z'), voyageHours: 72 });
  it('answers every well-formed json-v1, csv-v1 and batch-v1 payload of the simulator (the fast paths are the paths taken)', () => {
    const scratch = new JsonV1Scratch();
    const fleetTrips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, fleet.trips);
    const c: DecodeContext = { ...ctx, trips: fleetTrips, limits: { ...ctx.limits, maxPastAgeMs: 1e12, maxFutureSkewMs: 1e12 } };
    let json = 0;
    let csv = 0;
    let batch = 0;
    let batchEvents = 0;
    const batchScratch = new BatchScratch();
    for (const m of fleet.messages) {
      const [, level, id, kind] = m.topic.split('/');
      const text = m.payload.toString('utf8');
      if (level === 'json' && isJsonV1Kind(kind!)) {
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch {
          continue;
        }
        const slow = decodeJsonV1(id!, kind as JsonV1Kind, doc, m.t, c);
        if ('reason' in slow || !isAscii(text)) continue; // the simulator's field faults
        json++;
        expect(sameData(scanJsonV1(id!, kind as JsonV1Kind, text, m.t, c, scratch), slow), text).toBe(true);
      } else if (level === 'batch') {
        let doc: { gatewayId?: unknown; events?: unknown[] };
        try {
          doc = JSON.parse(text);
        } catch {
          continue;
        }
        if (!isValidBatchEnvelope(doc) || doc.gatewayId !== id || !isAscii(text)) continue;
        batch++;
        expect(scanBatchV1(m.payload, id!, 10_000, batchScratch), text).toBe(true);
        for (let i = 0; i < doc.events!.length; i++) {
          const slow = decodeBatchEvent(doc.events![i], m.t, c);
          if ('reason' in slow) continue;
          batchEvents++;
          expect(sameData(scannedBatchReading(m.payload, batchScratch, i, m.t, c), slow)).toBe(true);
        }
      } else if (level === 'csv') {
        const slow = decodeCsvV1Reference(id!, text, m.t, c);
        if ('reason' in slow) continue;
        csv++;
        expect(sameData(scanCsvV1(id!, text, m.t, c), slow), text).toBe(true);
      }
    }
    expect(json).toBeGreaterThan(500);
    expect(csv).toBeGreaterThan(500);
    expect(batch).toBeGreaterThan(20);
    expect(batchEvents).toBeGreaterThan(500);
  });
});

describe('csv-v1 scan answers only ASCII lines', () => {
  it('on arbitrary and near-valid lines', () => {
    const epoch = Math.floor(RECEIVED / 1000) - 60;
    const line = fc.oneof(
      fc.string({ maxLength: 40, unit: 'binary' }),
      fc
        .tuple(
          fc.nat(70_000),
          fc.constantFrom('D', 'G', 'L', 'T'),
          fc.array(fc.oneof(fc.constantFrom('1', '0', '51.5', '-0.1', '14.0', '254', '-180', '40', 'é', '\u0661', '\ufffd', ''), fc.string({ maxLength: 3, unit: 'binary' })), { minLength: 1, maxLength: 4 }),
        )
        .map(([s, t, v]) => [String(s), t, String(epoch), ...v].join(';')),
    );
    let answered = 0;
    fc.assert(
      fc.property(line, (text) => {
        const r = scanCsvV1('sat-0091', text, RECEIVED, ctx);
        if (r === null) return;
        answered++;
        expect(isAscii(text), text).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    expect(answered).toBeGreaterThan(200);
  });
});

describe('ids as numbers', () => {
  const id = fc.oneof(
    fc.string({ maxLength: 16 }),
    fc.string({ maxLength: 16, unit: 'binary' }),
    fc.constantFrom('', 'a', '\u0000', 'a\u0000', '\u0000a', 'abcdefg', 'abcdefgh', 'abcdefghijklmn', 'abcdefghijklmno', '\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f'),
  );
  const key = (s: string) => (packId(s, 0, s.length) ? [packed.a, packed.b] : null);
  it('packs exactly the ids of 1..14 characters in 1..127, into safe integers, two ids alike only when they are the same', () => {
    fc.assert(
      fc.property(id, id, (s, t) => {
        const ks = key(s);
        const kt = key(t);
        expect(ks !== null).toBe(s.length >= 1 && s.length <= 14 && [...s].every((c) => c.charCodeAt(0) >= 1 && c.charCodeAt(0) <= 127));
        if (ks && kt) expect(ks[0] === kt[0] && ks[1] === kt[1]).toBe(s === t);
        if (ks) expect(Number.isSafeInteger(ks[0]) && Number.isSafeInteger(ks[1])).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
  it('packs an id in place inside a longer text as it packs the id alone', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5 }), id, fc.string({ maxLength: 5 }), (pre, s, post) => {
        const alone = key(s);
        const inPlace = packId(pre + s + post, pre.length, pre.length + s.length) ? [packed.a, packed.b] : null;
        expect(inPlace).toEqual(alone);
      }),
    );
  });
  it('a window tells numeric ids from text ids, and json-v1 ids from batch-v1 ones', () => {
    const d = new Deduper(64, 4);
    expect(packId('m-1', 0, 3)).toBe(true);
    const { a, b } = packed;
    expect(d.seen('dev', ID_JSON_NUM, '', a, b)).toBe(false);
    expect(d.seen('dev', ID_JSON_NUM, '', a, b)).toBe(true);
    expect(d.seen('dev', ID_BATCH_NUM, '', a, b)).toBe(false); // same numbers, other format
    expect(d.seen('dev', ID_JSON, 'm-1', 0, 0)).toBe(false); // a text key is another key (the normaliser never mixes them for one id)
    expect(d.seen('dev', ID_BATCH, 'm-1', 0, 0)).toBe(false);
    expect(d.seen('dev', ID_JSON_NUM, '', a, b + 1)).toBe(false);
    expect(d.seen('dev', ID_JSON_NUM, '', a + 2 ** 40, b)).toBe(false); // the high bits count in the hash and the comparison
    expect(d.hasKey('dev', ID_JSON_NUM, '', a + 2 ** 40, b)).toBe(true);
  });
});

describe('ISO times read in place', () => {
  it('are the times of the text alone', () => {
    const iso = fc.oneof(
      fc.date({ min: new Date(-62_000_000_000_000), max: new Date(253_402_300_799_000), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('2026-01-31T23:59:60Z', '2026-02-29T10:00:00Z', '2024-02-29T24:00:00Z', '2026-01-07T10:00:00.1234567890Z', '2026-01-07T10:00:00.Z', '2026-01-07T10:00:00'),
      fc.string({ maxLength: 26 }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), iso, fc.string({ maxLength: 6 }), (pre, s, post) => {
        expect(Object.is(isoTimeMsAt(pre + s + post, pre.length, pre.length + s.length), isoTimeMs(s))).toBe(true);
        // and in a payload's bytes (UTF-8: a character outside ASCII is bytes above 127)
        const a = Buffer.byteLength(pre);
        const bytes = Buffer.from(pre + s + post);
        expect(Object.is(isoTimeMsBytes(bytes, a, a + Buffer.byteLength(s)), isoTimeMs(s)), s).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});
