import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkContainerNumber, makeContainerNumber } from '../../src/model/iso6346.js';
import { readingToWire, WireReadingSchema } from '../../src/model/reading.js';
import { parseIsoTime } from '../../src/model/time.js';
import { BATCH_ENVELOPE_SCHEMA, BATCH_EVENT_SCHEMA, isValidBatchEnvelope, isValidBatchEvent } from '../../src/normalise/batch-v1.js';
import type { DecodeContext } from '../../src/normalise/context.js';
import { decodeCsvV1, decodeCsvV1Reference } from '../../src/normalise/csv-v1.js';
import { DEAD_LETTER_REASONS } from '../../src/normalise/dead-letter.js';
import { Deduper, ID_BATCH, ID_BATCH_NUM, ID_CSV, ID_JSON, ID_JSON_NUM, ID_TEXT } from '../../src/normalise/dedup.js';
import { containerProblem, isoTimeMs } from '../../src/normalise/fields.js';
import { isValidJsonV1, JSON_V1_KINDS, JSON_V1_SCHEMAS } from '../../src/normalise/json-v1.js';
import { parseTopic, parseTopicBySplit } from '../../src/normalise/topic.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';
import { plan, testConfig } from '../helpers/fixtures.js';

/**
 * The decoders' hot paths (hand-written validation, scans instead of
 * split/regex, the typed-array duplicate window) against their references
 * (zod, the split decoder, a plain LRU model) on arbitrary and near-valid
 * input; then the whole normaliser on hostile input: it never throws, and
 * what it returns is a valid reading or a dead letter with a named reason.
 */

const config = testConfig();
const RECEIVED = Date.parse('2026-01-07T10:06:00Z');
const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, [plan(), plan({ tripId: 'T-CSV-1', deviceId: 'sat-0091', containerId: 'CSQU3054383' })]);
const ctx: DecodeContext = { limits: { maxBatchEvents: 10_000, maxFutureSkewMs: 3_600_000, maxPastAgeMs: 30 * 86_400_000 }, trips };

/** Numbers and non-numbers that sit on or beyond every bound the schemas have. */
const edgeNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 90, -90, 90.0000001, 180, -180.5, 360, 360.1, 1000, 1000.5, 1e6, 1e6 + 1, 80, -60, -60.1, 100, 100.1, 0.5),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, 1e308),
  fc.double(),
  fc.integer(),
);
const oddValue = fc.oneof(edgeNumber, fc.string({ maxLength: 8 }), fc.constantFrom(null, undefined, true, '', 'open', 'closed', [], {}, '__proto__'), fc.anything({ maxDepth: 2 }));
const validTimes = fc.constantFrom('2026-01-07T10:00:00Z', '2026-01-07T10:00:00.250Z', '2026-01-07T10:05:59.9Z');

describe('topic scan agrees with split and join', () => {
  const segment = fc.oneof(fc.constantFrom('ssd', 'json', 'csv', 'batch', '', 'a', 'door', 'x'.repeat(200), 'x'.repeat(201), 'a/b', 'jsonx', 'csv/'), fc.string({ maxLength: 6 }));
  it('for every topic and root', () => {
    fc.assert(
      fc.property(fc.constantFrom('ssd', 'a/b', 's'), fc.array(segment, { maxLength: 6 }), (root, segs) => {
        for (const topic of [segs.join('/'), [root, ...segs].join('/')]) expect(parseTopic(topic, root)).toEqual(parseTopicBySplit(topic, root));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('field checks agree with the model', () => {
  const isoLike = fc.oneof(
    fc.date({ min: new Date(-62_000_000_000_000), max: new Date(253_402_300_799_000), noInvalidDate: true }).map((d) => d.toISOString()),
    fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 19 }),
        fc.integer({ min: 0, max: 39 }),
        fc.integer({ min: 0, max: 29 }),
        fc.integer({ min: 0, max: 69 }),
        fc.integer({ min: 0, max: 69 }),
        fc.stringMatching(/^(\.\d{0,11})?$/),
      )
      .map(([y, mo, d, h, mi, s, frac]) => `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}${frac}Z`),
    fc.tuple(fc.constantFrom('2026-01-07T10:00:00Z', '2026-01-07T10:00:00.123456789Z', '2026-02-28T23:59:59.9Z'), fc.nat(30), fc.string({ minLength: 1, maxLength: 1 })).map(([s, i, c]) => s.slice(0, i) + c + s.slice(i + 1)),
    fc.string({ maxLength: 32 }),
  );
  it('isoTimeMs is parseIsoTime', () => {
    fc.assert(
      fc.property(isoLike, (s) => {
        expect(Object.is(isoTimeMs(s), parseIsoTime(s))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    for (const v of [undefined, null, 1, {}, []]) expect(isoTimeMs(v)).toBeNaN();
  });
  it('containerProblem is checkContainerNumber', () => {
    const like = fc.oneof(
      fc.tuple(fc.constantFrom('MSCU', 'CSQU', 'TGHU', 'ABCJ', 'XYZZ', 'ABCD', 'msCU', 'AB1U'), fc.nat(999_999)).map(([p, n]) => makeContainerNumber(p, n)),
      fc.tuple(fc.constantFrom('MSCU1234566', 'CSQU3054383', 'TGHU7654320'), fc.nat(10), fc.string({ minLength: 0, maxLength: 2 })).map(([s, i, c]) => s.slice(0, i) + c + s.slice(i + 1)),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(like, (s) => {
        expect(containerProblem(s)).toBe(checkContainerNumber(s));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('hand-written validation accepts exactly what zod accepts', () => {
  const jsonDoc = fc.record(
    {
      msgId: fc.oneof(fc.constantFrom('m-1', '', 'x'.repeat(200), 'x'.repeat(201)), oddValue),
      containerId: fc.oneof(fc.constant('MSCU1234566'), oddValue),
      ts: fc.oneof(validTimes, oddValue),
      state: fc.oneof(fc.constantFrom('open', 'closed', 'OPEN'), oddValue),
      lat: edgeNumber,
      lon: edgeNumber,
      speedKn: fc.oneof(edgeNumber, oddValue),
      headingDeg: edgeNumber,
      hdop: edgeNumber,
      lux: edgeNumber,
      celsius: edgeNumber,
      setpointC: fc.oneof(edgeNumber, oddValue),
    },
    { requiredKeys: [] },
  );
  it('json-v1, every kind', () => {
    fc.assert(
      fc.property(fc.constantFrom(...JSON_V1_KINDS), fc.oneof(jsonDoc, fc.anything(), fc.anything({ withNullPrototype: true })), (kind, doc) => {
        const z = JSON_V1_SCHEMAS[kind].safeParse(doc);
        expect(isValidJsonV1(kind, doc)).toBe(z.success);
        // accepted: zod's copy holds the very values the fast path reads from the document
        if (z.success) for (const [k, v] of Object.entries(z.data)) expect(Object.is(v, (doc as Record<string, unknown>)[k])).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
  it('batch-v1 envelope and events', () => {
    const event = fc.record(
      {
        eventId: fc.oneof(fc.constantFrom('e-1', '', 'x'.repeat(201)), oddValue),
        equipmentReference: fc.oneof(fc.constant('MSCU1234566'), oddValue),
        deviceId: fc.oneof(fc.constant('acme-00042'), oddValue),
        eventDateTime: fc.oneof(validTimes, oddValue),
        eventType: fc.oneof(fc.constantFrom('DOOR_OPENED', 'DOOR_CLOSED', 'LOCATION', 'LIGHT', 'TEMPERATURE', 'HUMIDITY'), oddValue),
        latitude: edgeNumber,
        longitude: edgeNumber,
        speedKnots: edgeNumber,
        headingDegrees: fc.oneof(edgeNumber, oddValue),
        lux: edgeNumber,
        temperatureCelsius: edgeNumber,
        setpointCelsius: edgeNumber,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(event, fc.anything()), (doc) => {
        const z = BATCH_EVENT_SCHEMA.safeParse(doc);
        expect(isValidBatchEvent(doc)).toBe(z.success);
        if (z.success) for (const [k, v] of Object.entries(z.data)) expect(Object.is(v, (doc as Record<string, unknown>)[k])).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    const envelope = fc.record({ gatewayId: fc.oneof(fc.constantFrom('VSL-1', ''), oddValue), sentAt: fc.oneof(validTimes, oddValue), events: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), oddValue) }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(envelope, fc.anything()), (doc) => {
        expect(isValidBatchEnvelope(doc)).toBe(BATCH_ENVELOPE_SCHEMA.safeParse(doc).success);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('csv-v1 scan agrees with the split decoder', () => {
  const token = fc.oneof(
    fc.constantFrom(
      '0',
      '1',
      '65535',
      '65536',
      '007',
      '',
      '-',
      '-0',
      '1.5',
      '.5',
      '5.',
      '51.92130',
      '-22.14844',
      '90',
      '-90.1',
      '180.0',
      '1000',
      '1000.1',
      '360',
      '-1',
      '211',
      '-182',
      '-601',
      '801',
      '-180',
      '123456',
      '1234567',
      '12345678',
      '1767780000',
      '999999999999',
      '1767780000000',
      'D',
      'G',
      'L',
      'T',
      'X',
      'GG',
      '1e3',
      ' 1',
      '1\r',
      '\n',
    ),
    fc.nat().map(String),
    fc.double({ min: -400, max: 400, noNaN: true }).map((d) => d.toFixed(5)),
    fc.string({ maxLength: 4 }),
  );
  const line = fc.oneof(
    fc
      .tuple(fc.nat(70_000), fc.constantFrom('D', 'G', 'L', 'T', 'X', ''), fc.integer({ min: 1767700000, max: 1767800000 }), fc.array(token, { maxLength: 6 }), fc.constantFrom('', '\n', '\r\n', '\r'))
      .map(([seq, type, epoch, values, end]) => [String(seq), type, String(epoch), ...values].join(';') + end),
    fc.array(token, { maxLength: 8 }).map((t) => t.join(';')),
    fc.string({ maxLength: 40 }),
  );
  it('on near-valid and arbitrary lines (reading, or reason and detail)', () => {
    fc.assert(
      fc.property(fc.constantFrom('sat-0091', 'sat-9999'), line, fc.integer({ min: RECEIVED - 40 * 86_400_000, max: RECEIVED + 2 * 3_600_000 }), (device, text, receivedAt) => {
        const fast = decodeCsvV1(device, text, receivedAt, ctx);
        const ref = decodeCsvV1Reference(device, text, receivedAt, ctx);
        expect(fast).toEqual(ref);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(ref)); // key order too: the telemetry topic's JSON
      }),
      { numRuns: 30_000 },
    );
  });

  // The scan reads numbers from the digits (no slice, no Number) up to 15 digits: each must be Number() of its text, -0 and fractions of many digits included.
  const digits = (min: number, max: number) => fc.array(fc.constantFrom('0', '0', '1', '3', '5', '7', '9'), { minLength: min, maxLength: max }).map((d) => d.join(''));
  const decimal = fc
    .tuple(
      fc.constantFrom('', '-'),
      digits(1, 3),
      fc.oneof(
        fc.constant(''),
        digits(1, 18).map((f) => `.${f}`),
      ),
    )
    .map(([sign, int, frac]) => sign + int + frac);
  const integer = fc.tuple(fc.constantFrom('', '-'), digits(1, 4)).map(([sign, int]) => sign + int);
  const values = fc.oneof(
    // (the constants: more than 15 digits, where the digits as one integer are not exact and its quotient would miss Number's value)
    fc.tuple(fc.constant('G'), fc.array(fc.oneof({ weight: 4, arbitrary: decimal }, integer, fc.constantFrom('', '23.247179262793809', '1.1681427774305037', '-62.24677152845954571')), { minLength: 2, maxLength: 4 })),
    fc.tuple(fc.constant('L'), fc.array(fc.oneof({ weight: 4, arbitrary: digits(1, 8) }, integer), { minLength: 1, maxLength: 2 })),
    fc.tuple(fc.constant('T'), fc.array(fc.oneof({ weight: 4, arbitrary: integer }, decimal, fc.constant('')), { minLength: 1, maxLength: 3 })),
  );
  const numericLine = fc
    .tuple(fc.nat(65_535), fc.constantFrom('', '', '0', '00'), fc.integer({ min: 1767700000, max: 1767800000 }), fc.constantFrom('', '', '0'), values)
    .map(([seq, z1, epoch, z2, [type, vs]]) => [`${z1}${seq}`, type, `${z2}${epoch}`, ...vs].join(';'));
  it('on lines of numbers: every number of a reading is Number() of its text (Object.is: -0 too), the event id the text of seq and epoch', () => {
    const numbers = (r: object) => Object.entries(r).filter(([, v]) => typeof v === 'number');
    let readings = 0;
    fc.assert(
      fc.property(numericLine, (text) => {
        const fast = decodeCsvV1('sat-0091', text, RECEIVED, ctx);
        const ref = decodeCsvV1Reference('sat-0091', text, RECEIVED, ctx);
        expect(fast).toEqual(ref);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(ref));
        const a = numbers(fast);
        const b = numbers(ref);
        expect(a.map(([k]) => k)).toEqual(b.map(([k]) => k));
        for (let i = 0; i < a.length; i++) expect(Object.is(a[i]![1], b[i]![1]), `${text}: ${a[i]![0]}`).toBe(true);
        if (!('reason' in fast)) readings++;
      }),
      { numRuns: 30_000 },
    );
    expect(readings).toBeGreaterThan(6000);
  });
});

describe('the duplicate window is a least-recently-heard LRU of id windows', () => {
  /** The plain model: a Map in recency order of device -> ids in arrival order. */
  class Model {
    devices = new Map<string, string[]>();
    constructor(
      readonly ids: number,
      readonly max: number,
    ) {}
    isDuplicate(dev: string, id: string): boolean {
      const w = this.devices.get(dev);
      if (w?.includes(id)) return true;
      if (!w && this.devices.size >= this.max) this.devices.delete(this.devices.keys().next().value!);
      const list = w ?? [];
      this.devices.delete(dev);
      this.devices.set(dev, list);
      list.push(id);
      if (list.length > this.ids) list.shift();
      return false;
    }
  }
  it('answers like the model, keeps the same devices in the same order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.oneof(fc.nat(12).map(String), fc.string({ maxLength: 40 }))), { maxLength: 400 }),
        (ids, max, ops) => {
          const d = new Deduper(ids, max);
          const m = new Model(ids, max);
          for (const [dev, id] of ops) expect(d.isDuplicate(dev, `json-v1:${dev}:${id}`)).toBe(m.isDuplicate(dev, `json-v1:${dev}:${id}`));
          expect(d.keys()).toEqual([...m.devices.keys()]);
          expect(d.deviceCount).toBe(m.devices.size);
        },
      ),
      { numRuns: 3000 },
    );
  });
  it('answers like the model for every kind of key (text and numeric tags), with rings that wrap', () => {
    const key = fc.oneof(
      fc.tuple(fc.constantFrom(ID_TEXT, ID_JSON, ID_BATCH), fc.oneof(fc.nat(6).map(String), fc.string({ maxLength: 20 }))).map(([tag, s]) => [tag, s, 0, 0] as const),
      fc
        .tuple(fc.constantFrom(ID_CSV, ID_JSON_NUM, ID_BATCH_NUM), fc.oneof(fc.nat(5), fc.constantFrom(2 ** 48, 2 ** 49 - 1, 2 ** 32, 2 ** 32 + 1)), fc.oneof(fc.nat(5), fc.constantFrom(2 ** 40 + 3, 1767780000)))
        .map(([tag, a, b]) => [tag, '', a, b] as const),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), key, fc.boolean()), { minLength: 50, maxLength: 800, size: 'max' }), (ids, max, ops) => {
        const d = new Deduper(ids, max);
        const m = new Model(ids, max);
        for (const [dev, [tag, s, a, b], peek] of ops) {
          const id = JSON.stringify([tag, s, a, b]);
          if (peek) expect(d.hasKey(dev, tag, s, a, b)).toBe(m.devices.get(dev)?.includes(id) ?? false);
          else expect(d.seen(dev, tag, s, a, b)).toBe(m.isDuplicate(dev, id));
        }
        expect(d.keys()).toEqual([...m.devices.keys()]);
      }),
      { numRuns: 300 },
    );
  });
  it('answers like the model while ids mostly come in order (ordered windows, bisection, the table made and dropped again)', () => {
    // per device a counter that mostly goes up, sometimes steps back (a redelivery, an old id) or jumps; csv-v1 keys wrap their seq (a)
    const step = fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, fc.integer({ min: -12, max: 0 }), fc.integer({ min: 2, max: 3000 }));
    // cases, and cases in which the ordered path was taken at least once
    let cases = 0;
    let casesOrdered = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom(ID_CSV, ID_JSON_NUM, ID_BATCH_NUM, ID_JSON), step, fc.boolean(), fc.boolean()), { minLength: 50, maxLength: 1500, size: 'max' }),
        (ids, max, ops) => {
          const d = new Deduper(ids, max);
          const m = new Model(ids, max);
          const counter = new Map<string, number>();
          let ordered = 0;
          for (const [dev, tagPick, by, peek, otherTag] of ops) {
            const n = Math.max(0, (counter.get(dev) ?? 1000) + by);
            counter.set(dev, n);
            // mostly the device's own tag; sometimes another (numeric or text) in between
            const tag = otherTag && by === 1 ? tagPick : dev === 'a' ? ID_JSON_NUM : dev === 'b' ? ID_CSV : ID_BATCH_NUM;
            const [s, a, b] = tag === ID_JSON ? [`m-${n}`, 0, 0] : tag === ID_CSV ? ['', n % 7, 1_780_000_000 + Math.floor(n / 7)] : ['', n, n % 3 === 0 ? 2 ** 40 : 0];
            const id = JSON.stringify([tag, s, a, b]);
            if (peek) expect(d.hasKey(dev, tag, s, a, b)).toBe(m.devices.get(dev)?.includes(id) ?? false);
            else expect(d.seen(dev, tag, s, a, b)).toBe(m.isDuplicate(dev, id));
            if (d.isOrdered(dev)) ordered++;
          }
          expect(d.keys()).toEqual([...m.devices.keys()]);
          cases++;
          if (ordered > 0) casesOrdered++;
        },
      ),
      { numRuns: 300 },
    );
    // the ordered path is the one mostly taken: counted over the cases, since a generated case may now and then never
    // take it (one in some hundreds: a case asserting it alone failed about that often)
    expect(casesOrdered / cases).toBeGreaterThan(0.9);
  });
  it('an ordered window bisects its wrapped ring: every id held is a duplicate, every id let go or never seen is not', () => {
    for (const size of [1, 2, 3, 7, 8, 9, 64, 100]) {
      const d = new Deduper(size, 1);
      for (let i = 0; i < 3 * size + 5; i++) expect(d.seen('dev', ID_CSV, '', i % 5, 1_000 + i)).toBe(false);
      expect(d.isOrdered('dev')).toBe(true);
      const last = 3 * size + 4;
      for (let i = 0; i <= last + 2; i++) expect(d.hasKey('dev', ID_CSV, '', i % 5, 1_000 + i)).toBe(i <= last && i > last - size);
      expect(d.hasKey('dev', ID_CSV, '', (last + 1) % 5, 1_000 + last)).toBe(false); // same epoch, another seq
      // one id out of order: the window takes a table, and keeps answering alike
      expect(d.seen('dev', ID_CSV, '', 0, 999)).toBe(false);
      expect(d.isOrdered('dev')).toBe(size === 1);
      expect(d.seen('dev', ID_CSV, '', 0, 999)).toBe(true);
      // a whole window of ids in order again: ordered again
      for (let i = 0; i < size; i++) expect(d.seen('dev', ID_CSV, '', 0, 5_000 + i)).toBe(false);
      expect(d.isOrdered('dev')).toBe(true);
      expect(d.seen('dev', ID_CSV, '', 0, 5_000 + size - 1)).toBe(true);
    }
  });
  it('stays bounded under device churn', () => {
    const d = new Deduper(16, 100);
    for (let i = 0; i < 50_000; i++) d.isDuplicate(`dev-${i % 3000}`, `id-${i}`);
    expect(d.deviceCount).toBe(100);
    expect(d.keys()).toHaveLength(100);
    expect(d.keys()[99]).toBe(`dev-${49_999 % 3000}`);
  });
});

describe('the normaliser on hostile input', () => {
  const reasons = new Set(Object.keys(DEAD_LETTER_REASONS));
  const topics = ['ssd/json/acme-00042/door', 'ssd/json/acme-00042/gps', 'ssd/json/acme-00042/light', 'ssd/json/acme-00042/temp', 'ssd/csv/sat-0091', 'ssd/batch/VSL-1'];
  const deep = (n: number, open: string, close: string, inner = '1') => open.repeat(n) + inner + close.repeat(n);
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
    fc.anything().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    fc
      .record(
        {
          msgId: oddValue,
          containerId: fc.oneof(fc.constant('MSCU1234566'), oddValue),
          ts: fc.oneof(validTimes, oddValue),
          state: oddValue,
          lat: edgeNumber,
          lon: edgeNumber,
          lux: edgeNumber,
          celsius: edgeNumber,
          events: fc.array(fc.anything(), { maxLength: 4 }),
          gatewayId: fc.constantFrom('VSL-1', 'VSL-2'),
          sentAt: validTimes,
        },
        { requiredKeys: [] },
      )
      .map((o) => Buffer.from(JSON.stringify(o))),
    fc
      .constantFrom(
        deep(5000, '[', ']'),
        deep(5000, '{"a":', '}'),
        '{"__proto__":{"msgId":"p","containerId":"MSCU1234566","ts":"2026-01-07T10:00:00Z","state":"open"}}',
        '{"msgId":"c","containerId":"MSCU1234566","ts":"2026-01-07T10:00:00Z","state":"open","constructor":{"prototype":{"polluted":1}},"__proto__":{"polluted":1}}',
        '{"gatewayId":"VSL-1","sentAt":"2026-01-07T10:05:00Z","events":[{"__proto__":{"eventType":"LIGHT"}},{"constructor":1,"eventType":"constructor"}]}',
        '{"msgId":"n","containerId":"MSCU1234566","ts":"2026-01-07T10:00:00Z","lat":1e999,"lon":-1e999,"lux":1e400,"celsius":123456789012345678901234567890}',
        '1;G;1767780000;1e999;4',
        `1;T;${'9'.repeat(400)};1`,
        '',
      )
      .map((s) => Buffer.from(s)),
  );
  it('never throws; a reading is valid on the wire, a dead letter has a known reason and says why', () => {
    const n = buildNormaliser(config, trips);
    fc.assert(
      fc.property(fc.constantFrom(...topics, 'ssd/zz', 'ssd/json/acme-00042/__proto__', 'ssd/batch/__proto__'), payload, (topic, bytes) => {
        const r = n.normalise(topic, bytes, RECEIVED);
        // every message gives something, except a well-formed batch with no events
        if (!(topic === 'ssd/batch/VSL-1' && r.deadLetters.length === 0)) expect(r.readings.length + r.deadLetters.length + r.duplicates).toBeGreaterThan(0);
        for (const reading of r.readings) expect(WireReadingSchema.safeParse(readingToWire(reading)).success).toBe(true);
        for (const d of r.deadLetters) {
          expect(reasons.has(d.reason)).toBe(true);
          expect(d.detail).not.toMatch(/^decoder error/);
          expect(d.detail.length).toBeGreaterThan(5);
        }
      }),
      { numRuns: 5000 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('limits are configuration', () => {
  it('payload size, batch size and clock skew bounds follow their settings', () => {
    const tight = testConfig(['ingest.maxPayloadBytes.csv-v1=12', 'ingest.maxBatchEvents=2', 'ingest.maxFutureSkewMs=60000', 'ingest.maxPastAgeMs=3600000']);
    const n = buildNormaliser(tight, trips);
    const reason = (topic: string, text: string, at = RECEIVED) => n.normalise(topic, Buffer.from(text), at).deadLetters.map((d) => d.reason);
    expect(reason('ssd/csv/sat-0091', '4712;D;1767780030;1')).toEqual(['payload-too-large']);
    const event = (id: string, ts: string) => ({ eventId: id, equipmentReference: 'MSCU1234566', deviceId: 'acme-00042', eventDateTime: ts, eventType: 'DOOR_CLOSED' });
    const batch = (events: unknown[]) => JSON.stringify({ gatewayId: 'VSL-1', sentAt: '2026-01-07T10:05:00Z', events });
    expect(reason('ssd/batch/VSL-1', batch([event('a', '2026-01-07T10:00:00Z'), event('b', '2026-01-07T10:00:00Z'), event('c', '2026-01-07T10:00:00Z')]))).toEqual(['batch-too-large']);
    // 2 min ahead of arrival: beyond a 1 min bound; 2 h behind: beyond a 1 h bound; both fine under the defaults
    const door = (ts: string) => JSON.stringify({ msgId: ts, containerId: 'MSCU1234566', ts, state: 'closed' });
    expect(reason('ssd/json/acme-00042/door', door('2026-01-07T10:08:00Z'))).toEqual(['clock-skew']);
    expect(reason('ssd/json/acme-00042/door', door('2026-01-07T08:05:00Z'))).toEqual(['clock-skew']);
    const loose = buildNormaliser(config, trips);
    expect(loose.normalise('ssd/json/acme-00042/door', Buffer.from(door('2026-01-07T10:08:00Z')), RECEIVED).readings).toHaveLength(1);
    expect(loose.normalise('ssd/json/acme-00042/door', Buffer.from(door('2026-01-07T08:05:00Z')), RECEIVED).readings).toHaveLength(1);
    expect(loose.normalise('ssd/csv/sat-0091', Buffer.from('4712;D;1767780030;1'), RECEIVED).readings).toHaveLength(1);
  });
});
