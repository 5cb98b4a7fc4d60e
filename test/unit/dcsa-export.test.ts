import { describe, expect, it } from 'vitest';
import { DcsaLedger, deriveIotEvents, horizonOf, stableUuid, type DcsaIotEvent } from '../../src/api/export/dcsa.js';
import { readingToWire } from '../../src/model/reading.js';
import { IotEventSchema } from '../helpers/dcsa-iot-event-schema.js';
import { reading } from '../helpers/fixtures.js';

const T = Date.parse('2026-01-12T03:00:00Z');
const MIN = 60_000;
const opts = { containerId: 'MSCU1234566', publisher: { partyName: 'sealwatch', carrierCode: 'ZZZZ', carrierCodeListProvider: 'SMDG' as const }, publisherRole: 'VSP' as const, placeWithinMs: 30 * MIN };
const meta = { publisher: opts.publisher, publisherRole: opts.publisherRole };

describe('DCSA IoT events', () => {
  const door = (m: number, open: boolean, id: string) => readingToWire(reading(T + m * MIN, { kind: 'door', open }, { id }));
  const fix = (m: number, id: string) => readingToWire(reading(T + m * MIN, { kind: 'location', lat: -33.9, lon: 151.2 }, { id }));

  it('a door event per change of state; a door first seen closed is no event; a fix is a breadcrumb placed where it was', () => {
    const events = deriveIotEvents([door(0, false, 'a'), door(1, false, 'b'), door(2, true, 'c'), door(3, true, 'd'), fix(4, 'f'), door(5, false, 'e')], opts).map((d) => d.event(stableUuid(d.key)));
    expect(events.map((e) => e.payload!.iotEventCode)).toEqual(['DRO', 'LOC', 'DRC']);
    expect(events[1]!.payload!.geoLocation).toEqual({ latitude: '-33.90000', longitude: '+151.20000' });
    // placed by the fix nearest in time, within 30 min: the opening is 2 min from it
    expect(events[0]!.payload!.geoLocation).toEqual(events[1]!.payload!.geoLocation);
    expect(deriveIotEvents([door(0, true, 'x')], opts)[0]!.key).toBe('DRO:json-v1:acme-00042:x');
    for (const e of events) expect(IotEventSchema.safeParse(e).success).toBe(true);
  });

  it('the schema transcription refuses what DCSA refuses', () => {
    const [ok] = deriveIotEvents([door(0, true, 'y')], opts).map((d) => d.event(stableUuid(d.key))) as [DcsaIotEvent];
    expect(IotEventSchema.safeParse(ok).success).toBe(true);
    const bad = (e: unknown) => IotEventSchema.safeParse(e).success;
    expect(bad({ ...ok, metadata: { ...ok.metadata, retractedEventID: 'x' } })).toBe(false); // a retraction with a payload
    expect(bad({ metadata: ok.metadata })).toBe(false); // no payload, no retraction
    expect(bad({ ...ok, metadata: { ...ok.metadata, eventType: 'EQUIPMENT' } })).toBe(false);
    expect(bad({ ...ok, payload: { ...ok.payload, geoLocation: { latitude: 45.5, longitude: '-8' } } })).toBe(false);
    expect(bad({ ...ok, payload: { ...ok.payload, geoLocation: { latitude: '+45.500000001', longitude: '-8' } } })).toBe(false);
    expect(bad({ ...ok, payload: { ...ok.payload, iotEventCode: 'DOOR' } })).toBe(false);
    expect(bad({ ...ok, payload: { ...ok.payload, tripId: 'T-1' } })).toBe(false);
    expect(bad({ ...ok, metadata: { ...ok.metadata, publisher: { partyName: 'x', carrierCode: 'TOOLONG', carrierCodeListProvider: 'SMDG' } } })).toBe(false);
    expect(bad({ ...ok, metadata: { ...ok.metadata, eventCreatedDateTime: '2026-01-12 03:00' } })).toBe(false);
  });

  it('the ledger retracts a withdrawn event once, forgets what aged out without retracting it, and republishes under a new id', () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const ledger = new DcsaLedger(2, () => now);
    const run = (rs: ReturnType<typeof door>[]) => ledger.reconcile('c', deriveIotEvents(rs, opts), horizonOf(rs), meta);
    const first = run([fix(-1, 'f0'), door(0, true, 'o'), door(5, false, 'c1')]);
    const closeId = first.find((e) => e.payload?.iotEventCode === 'DRC')!.metadata.eventID;
    now += 1000;
    // a late reading: the door was closed at 3 already, so the close at 5 is withdrawn
    const second = run([fix(-1, 'f0'), door(0, true, 'o'), door(3, false, 'c0'), door(5, false, 'c1')]);
    const retraction = second.find((e) => e.metadata.retractedEventID)!;
    expect(retraction.metadata).toMatchObject({ retractedEventID: closeId, eventCreatedDateTime: '2026-12-01T00:00:01.000Z' });
    expect(retraction.payload).toBeUndefined();
    expect(second.filter((e) => e.payload?.iotEventCode === 'DRC').map((e) => e.payload!.eventDateTime)).toEqual([new Date(T + 3 * MIN).toISOString()]);
    // back again (the late reading was wrong and is gone): a new id, and the retraction stays
    const third = run([fix(-1, 'f0'), door(0, true, 'o'), door(5, false, 'c1')]);
    expect(third.find((e) => e.payload?.iotEventCode === 'DRC')!.metadata.eventID).not.toBe(closeId);
    expect(third.filter((e) => e.metadata.retractedEventID)).toHaveLength(2); // and the close at 3 went
    // the oldest readings aged out of what is held: the breadcrumb and the opening are forgotten, not retracted,
    // and the close (the oldest door reading held, its change unknowable) is not judged either
    const fourth = run([door(5, false, 'c1')]);
    expect(fourth.filter((e) => e.metadata.retractedEventID)).toHaveLength(2);
    for (const e of [...first, ...second, ...third, ...fourth]) expect(IotEventSchema.safeParse(e).success).toBe(true);
  });
});
