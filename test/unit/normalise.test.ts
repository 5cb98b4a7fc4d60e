import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEAD_LETTER_REASONS, type DeadLetterReason } from '../../src/normalise/dead-letter.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';
import { plan, testConfig } from '../helpers/fixtures.js';
import type { LocationReading } from '../../src/model/reading.js';

const config = testConfig();
const RECEIVED = Date.parse('2026-01-07T10:06:00Z');

function normaliser() {
  const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, [plan(), plan({ tripId: 'T-CSV-1', deviceId: 'sat-0091', containerId: 'CSQU3054383' })]);
  return buildNormaliser(config, trips);
}

const json = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('json-v1 (WIRE 1.1)', () => {
  it('decodes the WIRE examples into canonical readings', () => {
    const n = normaliser();
    const door = n.normalise('ssd/json/acme-00042/door', json({ msgId: 'a1b2-000017', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:00Z', state: 'open' }), RECEIVED);
    expect(door.deadLetters).toEqual([]);
    expect(door.readings).toEqual([
      { eventId: 'json-v1:acme-00042:a1b2-000017', deviceId: 'acme-00042', containerId: 'MSCU1234566', tripId: 'T-2026-000123', format: 'json-v1', ts: Date.parse('2026-01-07T10:00:00Z'), receivedAt: RECEIVED, kind: 'door', open: true },
    ]);
    const gps = n.normalise('ssd/json/acme-00042/gps', json({ msgId: 'a1b2-000018', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:30Z', lat: 51.9213, lon: 4.4811, speedKn: 0.2, headingDeg: 181, hdop: 0.9 }), RECEIVED);
    expect(gps.readings[0]).toMatchObject({ kind: 'location', lat: 51.9213, lon: 4.4811, speedKn: 0.2, headingDeg: 181, hdop: 0.9 });
    const light = n.normalise('ssd/json/acme-00042/light', json({ msgId: 'l1', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:30.250Z', lux: 3.5 }), RECEIVED);
    expect(light.readings[0]).toMatchObject({ kind: 'light', lux: 3.5, ts: Date.parse('2026-01-07T10:00:30.250Z') });
    const temp = n.normalise('ssd/json/acme-00042/temp', json({ msgId: 't1', containerId: 'MSCU1234566', ts: '2026-01-07T10:01:00Z', celsius: -17.9, setpointC: -18 }), RECEIVED);
    expect(temp.readings[0]).toMatchObject({ kind: 'temperature', celsius: -17.9, setpointC: -18 });
  });

  it('drops a redelivered msgId of the same device, not of another device', () => {
    const n = normaliser();
    const msg = json({ msgId: 'x-1', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:00Z', state: 'closed' });
    expect(n.normalise('ssd/json/acme-00042/door', msg, RECEIVED).readings).toHaveLength(1);
    const again = n.normalise('ssd/json/acme-00042/door', msg, RECEIVED + 1000);
    expect(again.readings).toHaveLength(0);
    expect(again.duplicates).toBe(1);
    // the same msgId from another device (for a container no plan binds: no device-container mismatch)
    expect(n.normalise('ssd/json/acme-00043/door', json({ msgId: 'x-1', containerId: 'TGHU7654320', ts: '2026-01-07T10:00:00Z', state: 'closed' }), RECEIVED).readings).toHaveLength(1);
  });

  it('binds no trip when no plan names the container, but keeps the reading', () => {
    const r = normaliser().normalise('ssd/json/dev-9/door', json({ msgId: '1', containerId: 'TGHU7654320', ts: '2026-01-07T10:00:00Z', state: 'open' }), RECEIVED);
    expect(r.readings[0]).toMatchObject({ tripId: null, containerId: 'TGHU7654320' });
  });
});

describe('csv-v1 (WIRE 1.2)', () => {
  it('decodes the WIRE example lines, container from the trip plan', () => {
    const n = normaliser();
    const g = n.normalise('ssd/csv/sat-0091', Buffer.from('4711;G;1767780000;51.92130;4.48110;0.2;181'), RECEIVED);
    expect(g.readings[0]).toMatchObject({ eventId: 'csv-v1:sat-0091:4711@1767780000', kind: 'location', lat: 51.9213, lon: 4.4811, speedKn: 0.2, headingDeg: 181, containerId: 'CSQU3054383', tripId: 'T-CSV-1', ts: 1767780000000 });
    expect(n.normalise('ssd/csv/sat-0091', Buffer.from('4712;D;1767780030;1'), RECEIVED).readings[0]).toMatchObject({ kind: 'door', open: true });
    expect(n.normalise('ssd/csv/sat-0091', Buffer.from('4713;T;1767780060;-182;-180\n'), RECEIVED).readings[0]).toMatchObject({ kind: 'temperature', celsius: -18.2, setpointC: -18 });
    expect(n.normalise('ssd/csv/sat-0091', Buffer.from('4714;L;1767780090;12'), RECEIVED).readings[0]).toMatchObject({ kind: 'light', lux: 12 });
    // an empty optional value gives none (every reading has the field, undefined: model/reading.ts)
    const fix = n.normalise('ssd/csv/sat-0091', Buffer.from('4715;G;1767780120;51.9;4.4;;'), RECEIVED).readings[0] as LocationReading;
    expect(fix.kind).toBe('location');
    expect(fix.speedKn).toBeUndefined();
    expect(fix.headingDeg).toBeUndefined();
  });

  it('treats a wrapped seq at a later time as new, the same seq and time as a duplicate', () => {
    const n = normaliser();
    expect(n.normalise('ssd/csv/sat-0091', Buffer.from('65535;D;1767780000;0'), RECEIVED).readings).toHaveLength(1);
    expect(n.normalise('ssd/csv/sat-0091', Buffer.from('0;D;1767780060;1'), RECEIVED).readings).toHaveLength(1);
    expect(n.normalise('ssd/csv/sat-0091', Buffer.from('0;D;1767780060;1'), RECEIVED).duplicates).toBe(1);
    // after wrapping all the way round, seq 0 comes back at another time: a new reading
    expect(n.normalise('ssd/csv/sat-0091', Buffer.from('0;D;1767781000;0'), RECEIVED).readings).toHaveLength(1);
  });
});

describe('batch-v1 (WIRE 1.3)', () => {
  const example = {
    gatewayId: 'VSL-9876543',
    sentAt: '2026-01-07T10:05:00Z',
    events: [
      { eventId: 'e-1', equipmentReference: 'MSCU1234566', deviceId: 'acme-00042', eventDateTime: '2026-01-07T10:00:00Z', eventType: 'DOOR_OPENED' },
      { eventId: 'e-2', equipmentReference: 'MSCU1234566', deviceId: 'acme-00042', eventDateTime: '2026-01-07T10:00:30Z', eventType: 'LOCATION', latitude: 51.9213, longitude: 4.4811, speedKnots: 0.2 },
      { eventId: 'e-3', equipmentReference: 'TGHU7654320', deviceId: 'acme-00077', eventDateTime: '2026-01-07T10:01:00Z', eventType: 'TEMPERATURE', temperatureCelsius: -17.9, setpointCelsius: -18.0 },
      { eventId: 'e-4', equipmentReference: 'TGHU7654320', deviceId: 'acme-00077', eventDateTime: '2026-01-07T10:01:00Z', eventType: 'LIGHT', lux: 0.0 },
    ],
  };
  it('decodes the WIRE example', () => {
    const r = normaliser().normalise('ssd/batch/VSL-9876543', json(example), RECEIVED);
    expect(r.deadLetters).toEqual([]);
    expect(r.readings.map((x) => x.kind)).toEqual(['door', 'location', 'temperature', 'light']);
    expect(r.readings[0]).toMatchObject({ eventId: 'batch-v1:acme-00042:e-1', open: true, tripId: 'T-2026-000123' });
    expect(r.readings[2]).toMatchObject({ containerId: 'TGHU7654320', celsius: -17.9, setpointC: -18 });
  });
  it('dead-letters one bad event alone; the others go on', () => {
    const bad = structuredClone(example);
    (bad.events[1] as Record<string, unknown>).latitude = 123;
    bad.events[2]!.equipmentReference = 'TGHU7654321';
    const r = normaliser().normalise('ssd/batch/VSL-9876543', json(bad), RECEIVED);
    expect(r.readings.map((x) => x.eventId)).toEqual(['batch-v1:acme-00042:e-1', 'batch-v1:acme-00077:e-4']);
    expect(r.deadLetters.map((d) => d.reason)).toEqual(['schema-violation', 'bad-container-number']);
    expect(r.deadLetters[0]!.detail).toMatch(/events\[1\]: latitude/);
    expect(JSON.parse(r.deadLetters[1]!.payload!)).toMatchObject({ eventId: 'e-3' });
  });
});

describe('dead letters', () => {
  const cases: Array<[DeadLetterReason, string, Buffer]> = [
    ['unknown-topic', 'ssd/xml/dev-1', Buffer.from('<x/>')],
    ['unknown-topic', 'other/json/dev-1/door', Buffer.from('{}')],
    ['payload-too-large', 'ssd/json/acme-00042/door', Buffer.from(JSON.stringify({ msgId: '1', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:00Z', state: 'open', pad: 'x'.repeat(300_000) }))],
    ['not-utf8', 'ssd/csv/sat-0091', Buffer.from([0x34, 0x37, 0xff, 0xfe, 0x3b])],
    ['invalid-json', 'ssd/json/acme-00042/door', Buffer.from('{"msgId": "1", ')],
    ['invalid-csv', 'ssd/csv/sat-0091', Buffer.from('4711;G')],
    ['unknown-reading-type', 'ssd/json/acme-00042/humidity', Buffer.from('{}')],
    ['unknown-reading-type', 'ssd/csv/sat-0091', Buffer.from('4711;X;1767780000;1')],
    ['schema-violation', 'ssd/json/acme-00042/gps', Buffer.from(JSON.stringify({ msgId: '1', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:00Z', lat: 91, lon: 4 }))],
    ['schema-violation', 'ssd/json/acme-00042/door', Buffer.from(JSON.stringify({ msgId: '1', containerId: 'MSCU1234566', ts: '7 Jan 2026', state: 'open' }))],
    ['bad-container-number', 'ssd/json/acme-00042/door', Buffer.from(JSON.stringify({ msgId: '1', containerId: 'MSCU1234567', ts: '2026-01-07T10:00:00Z', state: 'open' }))],
    ['unbound-device', 'ssd/csv/sat-9999', Buffer.from('1;D;1767780000;1')],
    ['device-container-mismatch', 'ssd/json/acme-00043/door', Buffer.from(JSON.stringify({ msgId: '1', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:00Z', state: 'open' }))],
    ['device-container-mismatch', 'ssd/json/sat-0091/gps', Buffer.from(JSON.stringify({ msgId: '1', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:00Z', lat: 51.9, lon: 4.4 }))],
    ['batch-too-large', 'ssd/batch/VSL-1', Buffer.from(JSON.stringify({ gatewayId: 'VSL-1', sentAt: '2026-01-07T10:05:00Z', events: Array.from({ length: 10_001 }, () => ({})) }))],
    ['clock-skew', 'ssd/csv/sat-0091', Buffer.from(`1;D;${1767780000 + 3 * 3600};1`)],
    ['clock-skew', 'ssd/json/acme-00042/door', Buffer.from(JSON.stringify({ msgId: '1', containerId: 'MSCU1234566', ts: '2025-10-01T00:00:00Z', state: 'open' }))],
  ];
  it.each(cases)('%s: %s', (reason, topic, payload) => {
    const r = normaliser().normalise(topic, payload, RECEIVED);
    expect(r.readings).toEqual([]);
    expect(r.deadLetters).toHaveLength(1);
    const d = r.deadLetters[0]!;
    expect(d.reason).toBe(reason);
    expect(d.topic).toBe(topic);
    expect(d.detail.length).toBeGreaterThan(5);
    expect(d.receivedAt).toBe(new Date(RECEIVED).toISOString());
    // nothing lost: the payload is kept, as text or base64
    const kept = d.payload !== undefined ? Buffer.from(d.payload) : Buffer.from(d.payloadBase64!, 'base64');
    expect(kept.equals(payload)).toBe(true);
  });
  it('reaches every reason the registry defines', () => {
    const reached = new Set(cases.map((c) => c[0]));
    expect([...Object.keys(DEAD_LETTER_REASONS)].filter((r) => !reached.has(r as DeadLetterReason))).toEqual([]);
  });
});

describe('decoders never throw', () => {
  it('arbitrary bytes on every topic give readings or dead letters', () => {
    const n = normaliser();
    fc.assert(
      fc.property(fc.constantFrom('ssd/json/acme-00042/door', 'ssd/json/acme-00042/gps', 'ssd/json/d/temp', 'ssd/csv/sat-0091', 'ssd/batch/VSL-1', 'ssd/zz'), fc.uint8Array({ maxLength: 300 }), (topic, bytes) => {
        const r = n.normalise(topic, Buffer.from(bytes), RECEIVED);
        expect(r.readings.length + r.deadLetters.length + r.duplicates).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
  it('near-valid JSON readings with arbitrary field values never throw', () => {
    const n = normaliser();
    fc.assert(
      fc.property(
        fc.record(
          { msgId: fc.anything(), containerId: fc.oneof(fc.constant('MSCU1234566'), fc.string()), ts: fc.oneof(fc.constant('2026-01-07T10:00:00Z'), fc.anything()), state: fc.anything(), lat: fc.anything(), lon: fc.double() },
          { requiredKeys: [] },
        ),
        (doc) => {
          for (const kind of ['door', 'gps']) {
            const r = n.normalise(`ssd/json/acme-00042/${kind}`, Buffer.from(JSON.stringify(doc) ?? 'null'), RECEIVED);
            expect(r.readings.length + r.deadLetters.length + r.duplicates).toBe(1);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
