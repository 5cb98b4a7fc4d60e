import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/api/auth.js';
import type { DcsaIotEvent } from '../../../src/api/export/dcsa.js';
import { IotEventsSchema, IotEventsSchemaDomain31 } from '../../helpers/dcsa-iot-event-schema.js';
import { plan, reading } from '../../helpers/fixtures.js';
import type { TripBody } from './bodies.js';
import { bearer, getJson, makeAlert, publishAlerts, publishReadings, startApiOnly, waitFor } from './harness.js';

const T = Date.parse('2026-01-12T03:00:00Z');
const MIN = 60_000;
const BOX = 'MSCU1234566';
const CN = 'cn-reader-token-0123456789';
const ADMIN = 'admin-token-0123456789abc';
const sets = [
  `centres=${JSON.stringify([
    { name: 'centre-nl', scope: ['NL'] },
    { name: 'centre-cn', scope: ['CN'] },
  ])}`,
  `api.tokens=${JSON.stringify([
    { name: 'admin', sha256: hashToken(ADMIN), scopes: ['admin'] },
    { name: 'cn-ro', sha256: hashToken(CN), scopes: ['read'], centre: 'centre-cn' },
  ])}`,
];

const at = (m: number) => new Date(T + m * MIN).toISOString();
const id = (name: string) => `json-v1:acme-00042:${name}`;
const readings = [
  reading(T, { kind: 'location', lat: 45.6, lon: -7.9, speedKn: 15.5 }, { id: 'g1' }),
  reading(T + MIN, { kind: 'door', open: false }, { id: 'd0' }),
  reading(T + 10 * MIN, { kind: 'location', lat: 45.5, lon: -8.0, speedKn: 15.1 }, { id: 'g2' }),
  reading(T + 11 * MIN, { kind: 'light', lux: 140 }, { id: 'l1' }),
  reading(T + 12 * MIN, { kind: 'door', open: true }, { id: 'd1' }),
  reading(T + 14 * MIN, { kind: 'temperature', celsius: 14.5 }, { id: 't1' }),
  reading(T + 15 * MIN, { kind: 'door', open: false }, { id: 'd2' }),
  reading(T + 20 * MIN, { kind: 'location', lat: 45.45, lon: -8.05, speedKn: 15.3 }, { id: 'g3' }),
];
const alert = makeAlert({ containerId: BOX, tripId: 'T-2026-000123', startedAt: at(12), detectedAt: at(12), location: { lat: 45.5, lon: -8 }, evidence: [id('d1'), id('g2')] });

describe('exports: tracks and evidence as GeoJSON, CSV and KML; DCSA IoT events', () => {
  let s: Awaited<ReturnType<typeof startApiOnly>>;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.api.url}${path}`, { headers: { ...bearer(ADMIN), ...headers } });
  const range = 'from=2026-01-12T00:00:00Z&to=2026-01-13T00:00:00Z';

  beforeAll(async () => {
    s = await startApiOnly({ sets, plans: [plan()], demoWriteToken: true });
    await publishReadings(s.bus, readings);
    await publishAlerts(s.bus, [alert]);
    await waitFor(() => s.api.context.alerts.size === 1 && s.api.context.containers.readings(BOX, 0, Infinity, 100).length === readings.length);
  });
  afterAll(() => s?.stop());

  it("a container's track as GeoJSON, CSV and KML, by ?format= or Accept", async () => {
    const geo = await get(`/api/containers/${BOX}/track?${range}&format=geojson`);
    expect(geo.status).toBe(200);
    expect(geo.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(geo.headers.get('content-disposition')).toBe(`attachment; filename="track-${BOX}.geojson"`);
    const fc = (await geo.json()) as { type: string; features: Array<{ geometry: { type: string; coordinates: unknown }; properties: Record<string, unknown> }> };
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features[0]!.geometry).toEqual({
      type: 'LineString',
      coordinates: [
        [-7.9, 45.6],
        [-8, 45.5],
        [-8.05, 45.45],
      ],
    });
    expect(fc.features.slice(1).map((f) => [f.geometry.type, f.properties.at])).toEqual([
      ['Point', at(0)],
      ['Point', at(10)],
      ['Point', at(20)],
    ]);
    const viaAccept = await get(`/api/containers/${BOX}/track?${range}`, { accept: 'text/csv' });
    expect(viaAccept.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = (await viaAccept.text()).trimEnd().split('\r\n');
    expect(rows).toEqual(['containerId,at,lat,lon,speedKn,headingDeg,eventId', `${BOX},${at(0)},45.6,-7.9,15.5,,${id('g1')}`, `${BOX},${at(10)},45.5,-8,15.1,,${id('g2')}`, `${BOX},${at(20)},45.45,-8.05,15.3,,${id('g3')}`]);
    const kml = await get(`/api/containers/${BOX}/track?${range}`, { accept: 'application/vnd.google-earth.kml+xml' });
    expect(kml.headers.get('content-type')).toMatch(/^application\/vnd\.google-earth\.kml\+xml/);
    const text = await kml.text();
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<kml xmlns="http:\/\/www.opengis.net\/kml\/2.2">/);
    expect(text).toContain('<LineString><tessellate>1</tessellate><coordinates>-7.9,45.6,0 -8,45.5,0 -8.05,45.45,0</coordinates></LineString>');
    expect(text.match(/<Placemark>/g)).toHaveLength(4);
    expect(text).toContain(`<TimeStamp><when>${at(10)}</when></TimeStamp>`);
    // JSON stays the default; a client that takes none of them gets 406, an unknown format 400
    expect(((await (await get(`/api/containers/${BOX}/track?${range}`, { accept: 'application/json' })).json()) as { points: unknown[] }).points).toHaveLength(3);
    expect((await get(`/api/containers/${BOX}/track?${range}`, { accept: 'image/png' })).status).toBe(406);
    expect((await get(`/api/containers/${BOX}/track?${range}&format=shp`)).status).toBe(400);
    // the browser's generic Accept gets JSON
    expect((await get(`/api/containers/${BOX}/track?${range}`, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })).headers.get('content-type')).toMatch(/^application\/json/);
  });

  it("an alert's evidence as GeoJSON, CSV and KML", async () => {
    const base = `/api/alerts/${alert.alertId}/evidence?beforeMs=3600000`;
    const fc = (await (await get(`${base}&format=geojson`)).json()) as { features: Array<{ id?: string; geometry: { type: string; coordinates: number[] } | null; properties: Record<string, unknown> }> };
    expect(fc.features[0]).toMatchObject({ id: alert.alertId, geometry: { type: 'Point', coordinates: [-8, 45.5] }, properties: { kind: 'alert', rule: alert.rule } });
    expect(fc.features[1]!.properties.kind).toBe('track');
    const byId = new Map(fc.features.filter((f) => f.properties.eventId).map((f) => [f.properties.eventId, f]));
    expect(byId.get(id('d1'))).toMatchObject({ geometry: null, properties: { kind: 'door', open: true, evidence: true } });
    expect(byId.get(id('g2'))).toMatchObject({ geometry: { type: 'Point', coordinates: [-8, 45.5] }, properties: { evidence: true } });
    expect(byId.get(id('l1'))!.properties).toMatchObject({ kind: 'light', lux: 140, evidence: false });
    const csv = (await (await get(base, { accept: 'text/csv' })).text()).trimEnd().split('\r\n');
    // the header, and every reading of the window (from startedAt - 1 h: all of them)
    expect(csv).toHaveLength(readings.length + 1);
    expect(csv[0]).toBe('alertId,rule,containerId,measuredAt,receivedAt,kind,eventId,evidence,lat,lon,speedKn,headingDeg,doorOpen,lux,celsius,setpointC');
    expect(csv.find((r) => r.includes(id('d1')))).toMatch(/,door,json-v1:acme-00042:d1,true,,,,,true,,,$/);
    const kml = await (await get(`${base}&format=kml`)).text();
    expect(kml).toContain('<styleUrl>#alert</styleUrl>');
    expect(kml).toContain(`placed at the fix of ${at(10)}`);
  });

  it('DCSA IoT events of a container: door opened and closed, breadcrumbs; valid against the DCSA schema; the same ids every time', async () => {
    const res = await getJson<DcsaIotEvent[]>(`${s.api.url}/api/containers/${BOX}/dcsa-events`, { headers: bearer(ADMIN) });
    expect(res.status).toBe(200);
    expect(IotEventsSchema.safeParse(res.body).error?.issues).toBeUndefined();
    expect(res.body.map((e) => [e.payload!.iotEventCode, e.payload!.eventDateTime])).toEqual([
      ['LOC', at(0)],
      ['LOC', at(10)],
      ['DRO', at(12)],
      ['DRC', at(15)],
      ['LOC', at(20)],
    ]);
    const dro = res.body[2]!;
    expect(dro).toMatchObject({
      metadata: { eventType: 'IOT', eventCreatedDateTime: new Date(T + 12 * MIN + 5000).toISOString(), publisher: { partyName: 'sealwatch', carrierCode: 'ZZZZ', carrierCodeListProvider: 'SMDG' }, publisherRole: 'VSP' },
      payload: { eventClassifierCode: 'ACT', iotEventTypeCode: 'DETC', equipmentReference: BOX, geoLocation: { latitude: '+45.50000', longitude: '-8.00000' } },
    });
    expect(dro.metadata.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await getJson<DcsaIotEvent[]>(`${s.api.url}/api/containers/${BOX}/dcsa-events`, { headers: bearer(ADMIN) })).body).toEqual(res.body);
    // only what Event Domain 3.1.0 lists: door openings
    const strict = await getJson<DcsaIotEvent[]>(`${s.api.url}/api/containers/${BOX}/dcsa-events?iotEventCodes=DRO`, { headers: bearer(ADMIN) });
    expect(IotEventsSchemaDomain31.safeParse(strict.body).success).toBe(true);
    expect(strict.body.map((e) => e.metadata.eventID)).toEqual([dro.metadata.eventID]);
    expect(IotEventsSchemaDomain31.safeParse(res.body).success).toBe(false);
    expect((await getJson(`${s.api.url}/api/containers/${BOX}/dcsa-events?iotEventCodes=XYZ`, { headers: bearer(ADMIN) })).status).toBe(400);
  });

  it('a late reading that re-evaluates the door withdraws the event it replaced: retractedEventID, no payload', async () => {
    const before = (await getJson<DcsaIotEvent[]>(`${s.api.url}/api/containers/${BOX}/dcsa-events`, { headers: bearer(ADMIN) })).body;
    const oldClose = before.find((e) => e.payload?.iotEventCode === 'DRC')!;
    // the door was closed at 12:13 already; the reading arrives an hour late
    await publishReadings(s.bus, [reading(T + 13 * MIN, { kind: 'door', open: false }, { id: 'd1b', delay: 60 * MIN })]);
    await waitFor(() => s.api.context.containers.readings(BOX, 0, Infinity, 100).length === readings.length + 1);
    const after = (await getJson<DcsaIotEvent[]>(`${s.api.url}/api/containers/${BOX}/dcsa-events`, { headers: bearer(ADMIN) })).body;
    expect(IotEventsSchema.safeParse(after).error?.issues).toBeUndefined();
    const closes = after.filter((e) => e.payload?.iotEventCode === 'DRC');
    expect(closes.map((e) => e.payload!.eventDateTime)).toEqual([at(13)]);
    expect(closes[0]!.metadata.eventID).not.toBe(oldClose.metadata.eventID);
    const retractions = after.filter((e) => e.metadata.retractedEventID);
    expect(retractions).toHaveLength(1);
    expect(retractions[0]!.metadata.retractedEventID).toBe(oldClose.metadata.eventID);
    expect(retractions[0]!.payload).toBeUndefined();
    // the retraction is published once, and stays in the feed
    expect((await getJson<DcsaIotEvent[]>(`${s.api.url}/api/containers/${BOX}/dcsa-events`, { headers: bearer(ADMIN) })).body).toEqual(after);
  });

  it("a trip's events; a plan put again with other dates retracts what falls out of the trip", async () => {
    const trip = (await getJson<DcsaIotEvent[]>(`${s.api.url}/api/trips/T-2026-000123/dcsa-events`, { headers: bearer(ADMIN) })).body;
    expect(IotEventsSchema.safeParse(trip).error?.issues).toBeUndefined();
    // in DCSA's order, by creation: the late door reading's close was received last
    expect(trip.filter((e) => e.payload).map((e) => e.payload!.iotEventCode)).toEqual(['LOC', 'LOC', 'DRO', 'LOC', 'DRC']);
    // the trip ended earlier than planned: eta + 72 h falls at 12:11
    const eta = new Date(T + 11 * MIN - 72 * 3_600_000).toISOString();
    const put = await getJson<TripBody>(`${s.api.url}/api/trips/T-2026-000123`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(s.api.demoWriteToken!) },
      body: JSON.stringify({ ...plan(), departure: '2026-01-05T00:00:00Z', eta }),
    });
    expect(put.status).toBe(200);
    const after = (await getJson<DcsaIotEvent[]>(`${s.api.url}/api/trips/T-2026-000123/dcsa-events`, { headers: bearer(ADMIN) })).body;
    expect(IotEventsSchema.safeParse(after).error?.issues).toBeUndefined();
    expect(after.filter((e) => e.payload).map((e) => [e.payload!.iotEventCode, e.payload!.eventDateTime])).toEqual([
      ['LOC', at(0)],
      ['LOC', at(10)],
    ]);
    const withdrawn = trip.filter((e) => e.payload && Date.parse(e.payload.eventDateTime) > T + 11 * MIN).map((e) => e.metadata.eventID);
    expect(after.filter((e) => e.metadata.retractedEventID).map((e) => e.metadata.retractedEventID)).toEqual(expect.arrayContaining(withdrawn));
    expect(after.filter((e) => e.metadata.retractedEventID)).toHaveLength(withdrawn.length);
  });

  it("another centre's container, trip and alert exports are 404", async () => {
    for (const path of [`/api/containers/${BOX}/dcsa-events`, '/api/trips/T-2026-000123/dcsa-events', `/api/containers/${BOX}/track?format=kml`, `/api/alerts/${alert.alertId}/evidence?format=geojson`]) {
      expect((await fetch(`${s.api.url}${path}`, { headers: bearer(CN) })).status).toBe(404);
    }
  });
});
