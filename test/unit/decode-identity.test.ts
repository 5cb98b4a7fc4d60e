import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulateFleet } from '../../simulators/fleet.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { BatchScratch, scanBatchV1 } from '../../src/normalise/batch-v1.js';
import { buildNormaliser, type NormaliseResult } from '../../src/normalise/normaliser.js';
import { packagePath } from '../../src/paths.js';
import { TripDirectory } from '../../src/trips/directory.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { buildNormaliser as buildReference, type NormaliseResult as ReferenceResult } from '../helpers/reference-normalise/normaliser.js';

// The decode path against the one it replaced (test/helpers/reference-normalise,
// a frozen copy of src/normalise as it was before issue 14 part 2): every
// message of a varied corpus must give the same readings (every field, in
// the same key order), the same dead letters with the same reasons, details
// and kept payloads, and the same duplicate decisions, recording at once and
// (as live ingest does) only once delivered, with the default duplicate
// windows and with tiny ones that evict all the time, while trip plans change
// under the stream.

interface Message {
  topic: string;
  payload: Buffer;
  t: number;
}

const config = ConfigSchema.parse({});
// below the configuration's floor of 16 ids on purpose: rings wrap and devices are evicted all the time
const tinyWindows = { ...config, ingest: { ...config.ingest, dedupIdsPerDevice: 3, dedupMaxDevices: 4 } };

function directory(plans: Iterable<TripPlan>): TripDirectory {
  return new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, plans);
}

const strip = (r: NormaliseResult | ReferenceResult) => ({ readings: r.readings, deadLetters: r.deadLetters, duplicates: r.duplicates });

/** The result as data: key order shows in the JSON, -0 and NaN in the deep comparison. */
function same(a: NormaliseResult, b: ReferenceResult): boolean {
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b)) && isDeepStrictEqual(strip(a), strip(b));
}

interface Run {
  /** Record ids only once delivered: delivered after `lag` more messages, and every `dropEvery`th never (the broker brings it again). */
  deferred?: { lag: number; dropEvery: number };
  /** Plan changes at message indexes, applied to the one directory both read. */
  changes?: Map<number, TripPlan>;
  cfg?: typeof config;
}

/** Feeds the messages through both; returns how many results were compared and what they held. */
function compare(messages: readonly Message[], plans: readonly TripPlan[], run: Run = {}) {
  const trips = directory(plans);
  const cfg = run.cfg ?? config;
  const fresh = buildNormaliser(cfg, trips);
  const reference = buildReference(cfg, trips);
  const held: Array<[NormaliseResult, ReferenceResult, number]> = [];
  const seen = { messages: 0, readings: 0, deadLetters: 0, duplicates: 0, reasons: new Set<string>() };
  messages.forEach((m, i) => {
    const change = run.changes?.get(i);
    if (change) trips.upsert(change);
    const opts = { deferRecord: run.deferred !== undefined };
    const a = fresh.normalise(m.topic, m.payload, m.t, opts);
    const b = reference.normalise(m.topic, m.payload, m.t, opts);
    if (!same(a, b)) {
      expect({ message: i, topic: m.topic, payload: m.payload.toString('utf8').slice(0, 300), fresh: a }, 'decodes differently').toEqual({ message: i, topic: m.topic, payload: m.payload.toString('utf8').slice(0, 300), fresh: b });
      // toEqual does not see key order (nor always -0): the JSON does
      expect(JSON.stringify(strip(a)), `message ${i}: same values, other key order`).toBe(JSON.stringify(strip(b)));
      expect(isDeepStrictEqual(strip(a), strip(b)), `message ${i}: strictly equal`).toBe(true);
    }
    seen.messages++;
    seen.readings += a.readings.length;
    seen.deadLetters += a.deadLetters.length;
    seen.duplicates += a.duplicates;
    for (const d of a.deadLetters) seen.reasons.add(d.reason);
    if (run.deferred) {
      held.push([a, b, i]);
      while (held.length > run.deferred.lag) {
        const [x, y, at] = held.shift()!;
        if (at % run.deferred.dropEvery === 0) continue;
        fresh.remember(x);
        reference.remember(y);
      }
    }
  });
  return seen;
}

const fuzz = (await import(pathToFileURL(packagePath('scripts', 'fuzz.mjs')).href)) as {
  makeCase(format: string, seed: number): { topic: string; payload: Buffer };
  caseSeed(seed: number, format: string, i: number): number;
  FUZZ_PLANS: TripPlan[];
  FUZZ_RECEIVED: number;
};

/** The fuzz script's hostile cases (random bytes, near-valid payloads, mutated valid ones), in fuzz order. */
function fuzzCorpus(n: number, seed: number): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < n; i++)
    for (const format of ['json-v1', 'csv-v1', 'batch-v1']) {
      const c = fuzz.makeCase(format, fuzz.caseSeed(seed, format, i));
      out.push({ topic: c.topic, payload: c.payload, t: fuzz.FUZZ_RECEIVED });
    }
  return out;
}

const fleet = simulateFleet({ seed: 14, containers: 40, start: Date.parse('2026-03-02T00:00:00Z'), voyageHours: 240 });

describe('the decode path gives what the one before it gave', () => {
  it('on a simulated fleet (every format, field faults, breaches), recording at once', () => {
    const s = compare(fleet.messages, fleet.trips);
    expect(s.messages).toBeGreaterThan(20_000);
    expect(s.readings).toBeGreaterThan(20_000);
    expect(s.duplicates).toBeGreaterThan(0);
    expect(s.deadLetters).toBeGreaterThan(0);
  }, 120_000);

  it('on the simulated fleet recorded once delivered (some never delivered), and with tiny windows that evict', () => {
    compare(fleet.messages, fleet.trips, { deferred: { lag: 3, dropEvery: 7 } });
    const s = compare(fleet.messages, fleet.trips, { cfg: tinyWindows });
    expect(s.duplicates).toBeGreaterThan(0);
  }, 120_000);

  it('on the simulated fleet while plans are moved, swapped and added under it', () => {
    const plans = fleet.trips;
    const changes = new Map<number, TripPlan>();
    const n = fleet.messages.length;
    const shift = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * 3_600_000).toISOString();
    for (let k = 0; k < 30; k++) {
      const p = plans[k % plans.length]!;
      const q = plans[(k + 1) % plans.length]!;
      const at = Math.floor(((k + 1) * n) / 31);
      const change: TripPlan =
        k % 3 === 0
          ? { ...p, departure: shift(p.departure, 6 - k), eta: shift(p.eta, -24 + k) } // moved in time
          : k % 3 === 1
            ? { ...p, deviceId: q.deviceId } // the device of another plan: the pairs change
            : { ...p, tripId: `${p.tripId}-NEXT${k}`, departure: shift(p.eta, 1), eta: shift(p.eta, 400) }; // a next trip
      changes.set(at, change);
    }
    compare(fleet.messages, plans, { changes });
    compare(fleet.messages, plans, { changes, deferred: { lag: 1, dropEvery: 5 } });
  }, 120_000);

  it("on the fuzz script's hostile payloads of every format", () => {
    const corpus = fuzzCorpus(4000, 14);
    const s = compare(corpus, fuzz.FUZZ_PLANS);
    expect(s.readings).toBeGreaterThan(1000);
    for (const reason of ['not-utf8', 'invalid-json', 'invalid-csv', 'schema-violation', 'unknown-reading-type', 'bad-container-number', 'clock-skew', 'unbound-device', 'device-container-mismatch'])
      expect(s.reasons, reason).toContain(reason);
    compare(corpus, fuzz.FUZZ_PLANS, { deferred: { lag: 2, dropEvery: 3 } });
    compare(corpus, fuzz.FUZZ_PLANS, { cfg: tinyWindows });
  }, 120_000);

  it('on the ids whose short forms could be mistaken: csv seq and epoch written with leading zeros, one device on every format, a batch repeating its events', () => {
    const T = fuzz.FUZZ_RECEIVED;
    const epoch = T / 1000 - 60;
    const lines = [`7;D;${epoch};1`, `007;D;${epoch};1`, `7;D;0${epoch};1`, `7;D;${epoch};1`, `0;D;${epoch};0`, `00;D;${epoch};0`, `0;D;${epoch};0\r\n`, `65535;L;${epoch};5`, `7;T;${epoch + 1};40`, `7;T;${epoch + 1};41`];
    const csv = lines.map((l) => ({ topic: 'ssd/csv/acme-00042', payload: Buffer.from(l), t: T }));
    const json = ['7@' + epoch, '7', `${epoch}`, 'm-1', 'm-1'].map((msgId) => ({
      topic: 'ssd/json/acme-00042/door',
      payload: Buffer.from(JSON.stringify({ msgId, containerId: 'MSCU1234566', ts: new Date(T - 5000).toISOString(), state: 'open' })),
      t: T,
    }));
    const ev = (eventId: string, deviceId: string, containerId: string) => ({ eventId, equipmentReference: containerId, deviceId, eventDateTime: new Date(T - 9000).toISOString(), eventType: 'DOOR_CLOSED' });
    const events = Array.from({ length: 80 }, (_, i) => ev(`m-${i % 50}`, i % 2 ? 'acme-00042' : 'sat-0091', i % 2 ? 'MSCU1234566' : i % 5 ? 'CSQU3054383' : 'MSCU1234566'));
    const batch = [0, 1].map(() => ({ topic: 'ssd/batch/VSL-9876543', payload: Buffer.from(JSON.stringify({ gatewayId: 'VSL-9876543', sentAt: new Date(T).toISOString(), events })), t: T }));
    const all = [...csv, ...json, ...batch, ...csv, ...json];
    const s = compare(all, fuzz.FUZZ_PLANS);
    expect(s.duplicates).toBeGreaterThan(40);
    compare(all, fuzz.FUZZ_PLANS, { deferred: { lag: 0, dropEvery: 1_000_000 } });
    compare(all, fuzz.FUZZ_PLANS, { deferred: { lag: 4, dropEvery: 2 } });
    compare(all, fuzz.FUZZ_PLANS, { cfg: tinyWindows });
  });

  it('on one topic whose container and ids change under what the topic keeps (its last container number, its window): mostly in order, steps back, repeats', () => {
    const T = fuzz.FUZZ_RECEIVED;
    const container = fc.constantFrom('MSCU1234566', 'MSCU1234566', 'MSCU1234566', 'MSCU1234565', 'CSQU3054383', 'mscu1234566', 'MSCU123456', 'MSCU12345666');
    const step = fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, fc.integer({ min: -6, max: 0 }));
    const kind = fc.constantFrom('door', 'light', 'temp');
    fc.assert(
      fc.property(fc.array(fc.tuple(container, step, kind, fc.integer({ min: -120, max: 0 })), { minLength: 5, maxLength: 80 }), (ops) => {
        let n = 100;
        const messages = ops.map(([c, by, k, dt]) => {
          n = Math.max(1, n + by);
          const ts = new Date(T + dt * 1000).toISOString();
          const value = k === 'door' ? '"state":"open"' : k === 'light' ? '"lux":3' : '"celsius":4.5';
          return { topic: `ssd/json/acme-00042/${k}`, payload: Buffer.from(`{"msgId":"m-${n}","containerId":"${c}","ts":"${ts}",${value}}`), t: T };
        });
        const s = compare(messages, fuzz.FUZZ_PLANS);
        expect(s.messages).toBe(ops.length);
        compare(messages, fuzz.FUZZ_PLANS, { cfg: tinyWindows });
      }),
      { numRuns: 150 },
    );
  });
  it("on json-v1 payloads with bytes replaced anywhere (the container number's and the time's too) by any byte or a two-byte character: the scanner reads bytes, the decoder before it text", () => {
    const T = fuzz.FUZZ_RECEIVED;
    const ts = new Date(T - 5000).toISOString();
    const bodies = ['"state":"open"', '"state":"closed"', '"lux":3', '"celsius":4.5,"setpointC":-18', '"lat":51.5,"lon":3.25,"speedKn":12.5,"headingDeg":180,"hdop":0.9'];
    const kinds = ['door', 'door', 'light', 'temp', 'gps'];
    const edit = fc.tuple(
      fc.nat(120),
      fc.oneof(
        fc.integer({ min: 0, max: 255 }).map((b) => [b]),
        fc.constantFrom([0xc3, 0xa9], [0xc3], [0xa9], [0x5c, 0x75]),
      ),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(4), fc.constantFrom('MSCU1234566', 'CSQU3054383'), fc.array(edit, { maxLength: 2 })), { minLength: 1, maxLength: 12 }), (ops) => {
        const messages = ops.map(([k, c, edits], i) => {
          let bytes = Buffer.from(`{"msgId":"m-${i}","containerId":"${c}","ts":"${ts}",${bodies[k]!}}`);
          for (const [at, by] of edits) {
            const p = at % bytes.length;
            bytes = Buffer.concat([bytes.subarray(0, p), Buffer.from(by), bytes.subarray(p + 1)]);
          }
          return { topic: `ssd/json/acme-00042/${kinds[k]!}`, payload: bytes, t: T };
        });
        compare(messages, fuzz.FUZZ_PLANS);
      }),
      { numRuns: 3000 },
    );
  });

  it('on one id written so that one copy takes the scanner and the other JSON.parse: escapes, spacing, non-ASCII, invalid UTF-8, ids of 14 and 15 characters', () => {
    const T = fuzz.FUZZ_RECEIVED;
    const ts = new Date(T - 5000).toISOString();
    const doc = (msgId: string, spaced = false) => (spaced ? `{ "msgId" : ${msgId} ,\n "containerId":"MSCU1234566", "ts":"${ts}", "state":"open" }` : `{"msgId":${msgId},"containerId":"MSCU1234566","ts":"${ts}","state":"open"}`);
    const ids = [
      '"m-1"',
      '"m\\u002d1"',
      '"abcdefghijklmn"',
      '"abcdefghijklm\\u006e"',
      '"abcdefghijklmno"',
      '"abcdefghijklmn\\u006f"',
      '"é-1"',
      '"\\u00e9-1"',
      `"${'x'.repeat(40)}"`,
      `"${'x'.repeat(39)}\\u0078"`,
      '"tab\\t"',
      '"a\\u0000"',
      '"a"',
    ];
    const json = ids.flatMap((id) => [false, true].map((spaced) => ({ topic: 'ssd/json/acme-00042/door', payload: Buffer.from(doc(id, spaced)), t: T })));
    // a byte that is not UTF-8 inside an otherwise valid payload, and a valid two-byte character
    const bad = Buffer.from(doc('"m-\u00ff"'), 'latin1');
    json.push({ topic: 'ssd/json/acme-00042/door', payload: bad, t: T }, { topic: 'ssd/json/acme-00042/door', payload: Buffer.from(doc('"m-\u00ff"'), 'utf8'), t: T });
    const csvBad = Buffer.concat([Buffer.from(`8;D;${T / 1000 - 60};`), Buffer.from([0xff])]);
    json.push({ topic: 'ssd/csv/acme-00042', payload: csvBad, t: T });
    const ev = (eventId: string) => ({ eventId, equipmentReference: 'MSCU1234566', deviceId: 'acme-00042', eventDateTime: ts, eventType: 'DOOR_CLOSED' });
    const batch = [
      ['m-1', 'abcdefghijklmn', 'abcdefghijklmno'],
      ['m-1', 'é-1', 'abcdefghijklmno'],
    ].map((eventIds) => ({ topic: 'ssd/batch/VSL-9876543', payload: Buffer.from(JSON.stringify({ gatewayId: 'VSL-9876543', sentAt: new Date(T).toISOString(), events: eventIds.map(ev) })), t: T }));
    const all = [...json, ...batch, ...json];
    const s = compare(all, fuzz.FUZZ_PLANS);
    expect(s.duplicates).toBeGreaterThan(json.length);
    expect(s.reasons).toContain('not-utf8');
    compare(all, fuzz.FUZZ_PLANS, { deferred: { lag: 0, dropEvery: 1_000_000 } });
    compare(all, fuzz.FUZZ_PLANS, { deferred: { lag: 3, dropEvery: 2 } });
    compare(all, fuzz.FUZZ_PLANS, { cfg: tinyWindows });
  });
  // batch-v1 (issue 14 part 2, batch scan): the scan reads the whole batch or none of it; an event it gives no reading for goes through decodeBatchEvent of its JSON
  const T = fuzz.FUZZ_RECEIVED;
  const near = new Date(T - 9000).toISOString();
  /** Events of every type, valid and not: each writes its JSON text (members in the given order). */
  const eventTexts = [
    `{"eventId":"g-1","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"LOCATION","latitude":51.5,"longitude":-3.25,"speedKnots":12.5,"headingDegrees":180}`,
    `{"eventId":"g-2","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"LOCATION","latitude":-0,"longitude":180,"headingDegrees":0}`,
    `{"eventId":"g-3","equipmentReference":"CSQU3054383","deviceId":"sat-0091","eventDateTime":"${near}","eventType":"TEMPERATURE","temperatureCelsius":-18.25,"setpointCelsius":-18}`,
    `{"eventId":"g-4","equipmentReference":"CSQU3054383","deviceId":"sat-0091","eventDateTime":"${near}","eventType":"TEMPERATURE","temperatureCelsius":4.5}`,
    `{"eventId":"g-5","equipmentReference":"TGHU7654320","deviceId":"acme-00077","eventDateTime":"${near}","eventType":"LIGHT","lux":0}`,
    `{"eventId":"g-6","equipmentReference":"TGHU7654320","deviceId":"acme-00077","eventDateTime":"${near}","eventType":"DOOR_OPENED"}`,
    `{"eventType":"DOOR_CLOSED","deviceId":"acme-00077","eventId":"g-7","eventDateTime":"${near}","equipmentReference":"TGHU7654320"}`,
    // refused: unknown type, bad container number, check digit, a time that is no ISO time, clock skew, out of range, a string for a number, a missing member, an empty id
    `{"eventId":"b-1","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"HUMIDITY","lux":3}`,
    `{"eventId":"b-2","equipmentReference":"MSCU123456","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"DOOR_OPENED"}`,
    `{"eventId":"b-3","equipmentReference":"MSCU1234567","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"DOOR_OPENED"}`,
    `{"eventId":"b-4","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventDateTime":"2026-01-07 10:00:00Z","eventType":"DOOR_OPENED"}`,
    `{"eventId":"b-5","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventDateTime":"2025-01-07T10:00:00Z","eventType":"DOOR_OPENED"}`,
    `{"eventId":"b-6","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"LOCATION","latitude":90.5,"longitude":3}`,
    `{"eventId":"b-7","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"TEMPERATURE","temperatureCelsius":"4.5"}`,
    `{"eventId":"b-8","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventType":"LIGHT","lux":3}`,
    `{"eventId":"","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"LIGHT","lux":3}`,
    `{"eventId":"b-9","equipmentReference":"MSCU1234566","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"LOCATION","latitude":1,"longitude":2,"speedKnots":"fast"}`,
    // kept, or dead-lettered by the binding check: a device on another plan's container, a device no plan names
    `{"eventId":"m-1","equipmentReference":"CSQU3054383","deviceId":"acme-00042","eventDateTime":"${near}","eventType":"DOOR_OPENED"}`,
    `{"eventId":"m-2","equipmentReference":"MSCU1234566","deviceId":"nobody-1","eventDateTime":"${near}","eventType":"LIGHT","lux":12.75,"latitude":"extra, not read"}`,
  ];
  const batchText = (gatewayId: string, events: readonly string[], sep = ',') => `{"gatewayId":"${gatewayId}","sentAt":"${new Date(T).toISOString()}","events":[${events.join(sep)}]}`;
  const pick = fc.array(fc.nat(eventTexts.length - 1), { maxLength: 14 }).map((ix) => ix.map((i) => eventTexts[i]!));
  const scanned = (messages: readonly Message[]) => {
    const sc = new BatchScratch();
    return messages.filter((m) => scanBatchV1(m.payload, 'VSL-9876543', config.ingest.maxBatchEvents, sc)).length;
  };

  it('on batch-v1 batches of valid and refused events, in any order, repeated, spaced or not: the scan answers most, with the same readings, dead letters and duplicates', () => {
    let answered = 0;
    let total = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(pick, fc.constantFrom(',', ', ', ',\n  ', ' ,'), fc.constantFrom('VSL-9876543', 'VSL-9876543', 'VSL-1')), { minLength: 1, maxLength: 6 }), (batches) => {
        const messages = batches.map(([events, sep, gw]) => ({ topic: 'ssd/batch/VSL-9876543', payload: Buffer.from(batchText(gw, events, sep)), t: T }));
        answered += scanned(messages);
        total += messages.length;
        compare(messages, fuzz.FUZZ_PLANS);
        compare(messages, fuzz.FUZZ_PLANS, { deferred: { lag: 1, dropEvery: 2 } });
        compare(messages, fuzz.FUZZ_PLANS, { cfg: tinyWindows });
        compare(messages, fuzz.FUZZ_PLANS, { cfg: { ...config, ingest: { ...config.ingest, maxBatchEvents: 5 } } });
      }),
      { numRuns: 400 },
    );
    // the scan path is the one mostly taken (a gateway not the topic's, the only batches it leaves to JSON.parse here)
    expect(answered / total).toBeGreaterThan(0.5);
  });

  it('on batch-v1 payloads with bytes replaced anywhere (keys, numbers, times, container numbers, between events) by any byte or a two-byte character', () => {
    const edit = fc.tuple(
      fc.nat(4000),
      fc.oneof(
        fc.integer({ min: 0, max: 255 }).map((b) => [b]),
        fc.constantFrom([0xc3, 0xa9], [0xc3], [0xa9], [0x5c, 0x75], [0x5c, 0x22], [0x20], [0x2c], [0x7b], [0x7d], [0x5b], [0x5d], [0x22], [0x3a], [0x30], [0x2d], [0x65], [0x2e]),
      ),
    );
    let answered = 0;
    let edited = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(pick, fc.array(edit, { minLength: 1, maxLength: 2 })), { minLength: 1, maxLength: 6 }), (batches) => {
        const messages = batches.map(([events, edits]) => {
          let bytes = Buffer.from(batchText('VSL-9876543', events));
          for (const [at, by] of edits) {
            const p = at % bytes.length;
            bytes = Buffer.concat([bytes.subarray(0, p), Buffer.from(by), bytes.subarray(p + 1)]);
          }
          return { topic: 'ssd/batch/VSL-9876543', payload: bytes, t: T };
        });
        answered += scanned(messages);
        edited += messages.length;
        compare(messages, fuzz.FUZZ_PLANS);
      }),
      { numRuns: 3000 },
    );
    // edited batches the scan still read (an edit inside a value it decodes, or one it sees through) and ones it left to JSON.parse
    expect(answered).toBeGreaterThan(edited / 20);
    expect(answered).toBeLessThan(edited);
  });
});
