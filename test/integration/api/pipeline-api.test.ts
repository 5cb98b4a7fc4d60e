import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../../src/bus/topics.js';
import type { TripPlan } from '../../../src/trips/schema.js';
import { plan } from '../../helpers/fixtures.js';
import type { AlertPage, AlertView, ContainerBody, ErrorBody, EvidenceBody, ReadyBody, TrackBody, TripBody } from './bodies.js';
import { bearer, device, getJson, startApiOnly, startStack, waitFor, type Stack } from './harness.js';

/**
 * The whole embedded path over real sockets: a trip plan PUT over HTTP, then
 * readings published over MQTT to aedes on 127.0.0.1, the pipeline raises an
 * alert, and the API serves the alert, the container, its track and evidence,
 * and the alert's lifecycle.
 */
describe('API over the embedded pipeline', () => {
  let s: Stack;
  let dev: MqttClient;
  let token: string;
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  const tripId = 'T-API-0001';
  const good: TripPlan = plan({ tripId, departure: iso(48 * 3_600_000), eta: new Date(now + 10 * 86_400_000).toISOString() });
  let alertId = '';

  beforeAll(async () => {
    s = await startStack({ demoWriteToken: true });
    token = s.api.demoWriteToken!;
    dev = await device(s.broker.url, 'acme-00042');
  });
  afterAll(async () => {
    await dev?.endAsync();
    await s?.stop();
  });

  const put = <T = TripBody>(body: unknown, id = tripId) => getJson<T>(`${s.api.url}/api/trips/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(body) });
  const act = <T = AlertView>(body: unknown) => getJson<T>(`${s.api.url}/api/alerts/${alertId}/actions`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(body) });

  it('refuses a bad plan with 400 naming the field, and changes nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...good, containerId: 'MSCU1234567' }, 'containerId'],
      [{ ...good, eta: good.departure }, 'eta'],
      [
        {
          ...good,
          authorisedZones: [
            { name: 'Rotterdam', locode: 'NLRTM', radiusKm: 15 },
            { name: 'Algeciras', locode: 'ESALG', radiusKm: -1 },
          ],
        },
        'authorisedZones.1.radiusKm',
      ],
      [{ ...good, transshipments: ['XXZZZ'] }, 'transshipments.0'],
      [{ ...good, departure: 'tomorrow' }, 'departure'],
      [{ ...good, tripId: 'T-OTHER' }, 'tripId'],
    ];
    for (const [body, field] of cases) {
      const r = await put<ErrorBody>(body);
      expect(r.status, field).toBe(400);
      expect(r.body.field, JSON.stringify(r.body)).toBe(field);
      expect(r.body.message).toContain(field);
    }
    expect(s.pipeline.bus.kind).toBe('memory');
    expect(s.bus.read(TOPICS.trips)).toHaveLength(0);
    expect((await getJson(`${s.api.url}/api/trips/${tripId}`)).status).toBe(404);
  });

  it('a plan PUT takes effect for the rules at once and is published to the trips topic', async () => {
    const r = await put(good);
    expect(r.status).toBe(200);
    expect(r.body.zones.map((z) => z.locode)).toEqual(['NLRTM', 'ESALG', 'BRSSZ']);
    expect(s.bus.read(TOPICS.trips).map((m) => m.key)).toEqual([tripId]);
    // A door opened at sea, the fixes published out of measurement order.
    const gps = (id: string, msAgo: number, lat: number, lon: number) => dev.publishAsync('ssd/json/acme-00042/gps', JSON.stringify({ msgId: id, containerId: 'MSCU1234566', ts: iso(msAgo), lat, lon, speedKn: 15.5 }), { qos: 1 });
    await gps('g2', 10 * 60_000, 45.45, -8.05);
    await gps('g1', 20 * 60_000, 45.5, -8.0);
    await dev.publishAsync('ssd/json/acme-00042/door', JSON.stringify({ msgId: 'd1', containerId: 'MSCU1234566', ts: iso(9 * 60_000), state: 'open' }), { qos: 1 });
    await dev.publishAsync('ssd/json/acme-00042/temp', JSON.stringify({ msgId: 't1', containerId: 'MSCU1234566', ts: iso(8 * 60_000), celsius: 14.5 }), { qos: 1 });
    await gps('g3', 5 * 60_000, 45.4, -8.1);
    const list = await waitFor(async () => {
      const l = await getJson<AlertPage>(`${s.api.url}/api/alerts?tripId=${tripId}`);
      return l.body.total > 0 && l.body;
    });
    expect(list.items[0]).toMatchObject({ rule: 'DOOR_OPEN_IN_TRANSIT', tripId, containerId: 'MSCU1234566', status: 'open' });
    alertId = list.items[0].alertId;
  });

  it('serves containers with their latest state by measurement time, tracks and evidence', async () => {
    const c = await waitFor(async () => {
      const r = await getJson<{ items: ContainerBody[] }>(`${s.api.url}/api/containers`);
      const item = r.body.items.find((x: { containerId: string }) => x.containerId === 'MSCU1234566');
      return item?.position?.lat === 45.4 && item;
    });
    expect(c).toMatchObject({ tripId, deviceId: 'acme-00042', door: { open: true }, temperature: { celsius: 14.5 }, openAlerts: 1 });
    const track = await getJson<TrackBody>(`${s.api.url}/api/containers/MSCU1234566/track`);
    expect(track.body.source).toBe('memory');
    expect(track.body.points.map((p: { lat: number }) => p.lat)).toEqual([45.5, 45.45, 45.4]);
    const part = await getJson<TrackBody>(`${s.api.url}/api/containers/MSCU1234566/track?from=${iso(15 * 60_000)}&to=${iso(6 * 60_000)}`);
    expect(part.body.points.map((p: { lat: number }) => p.lat)).toEqual([45.45]);
    expect((await getJson(`${s.api.url}/api/containers/NOTACONTAINER/track`)).status).toBe(400);
    const ev = await getJson<EvidenceBody>(`${s.api.url}/api/alerts/${alertId}/evidence`);
    expect(ev.status).toBe(200);
    expect(ev.body.readings.map((r: { kind: string }) => r.kind)).toEqual(['location', 'location', 'door', 'temperature', 'location']);
    expect(ev.body.readings.filter((r: { evidence: boolean }) => r.evidence).map((r: { kind: string }) => r.kind)).toContain('door');
    expect(ev.body.track).toHaveLength(3);
  });

  it('keeps the lifecycle: status, assignee and history (who, when, note); refuses impossible transitions', async () => {
    const ack = await act({ action: 'acknowledge', note: 'looking at it' });
    expect(ack.status).toBe(200);
    expect(ack.body.status).toBe('acknowledged');
    expect(ack.body.history).toEqual([expect.objectContaining({ action: 'acknowledge', by: 'demo-writer', from: 'open', to: 'acknowledged', note: 'looking at it' })]);
    expect(Date.parse(ack.body.history[0].at)).toBeGreaterThan(now - 60_000);
    expect((await act({ action: 'acknowledge' })).status).toBe(409);
    const noAssignee = await act<ErrorBody>({ action: 'assign' });
    expect(noAssignee.status).toBe(400);
    expect(noAssignee.body.field).toBe('assignee');
    expect((await act({ action: 'shred' })).status).toBe(400);
    expect((await act({ action: 'assign', assignee: 'officer.dupont' })).body.assignee).toBe('officer.dupont');
    const closed = await act({ action: 'close', note: 'seal intact on inspection' });
    expect(closed.body.status).toBe('closed');
    expect(closed.body.history.map((h: { action: string }) => h.action)).toEqual(['acknowledge', 'assign', 'close']);
    expect((await act({ action: 'close' })).status).toBe(409);
    const c = await getJson<ContainerBody>(`${s.api.url}/api/containers/MSCU1234566`);
    expect(c.body.openAlerts).toBe(0);
    expect((await getJson<AlertPage>(`${s.api.url}/api/alerts?status=closed`)).body.items.map((a: { alertId: string }) => a.alertId)).toEqual([alertId]);
    expect((await getJson(`${s.api.url}/api/alerts/unknown-id/actions`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: '{"action":"close"}' })).status).toBe(404);
  });

  it('lifecycle records are on the status topic and reload in a new API over the same bus (a restart)', async () => {
    const again = await startApiOnly({ bus: s.bus });
    try {
      const a = await waitFor(async () => {
        const r = await getJson<AlertView>(`${again.api.url}/api/alerts/${alertId}`);
        return r.status === 200 && r.body;
      });
      expect(a.status).toBe('closed');
      expect(a.history.map((h: { action: string }) => h.action)).toEqual(['acknowledge', 'assign', 'close']);
    } finally {
      await again.stop();
    }
  });

  it('health, readiness and metrics read the pipeline', async () => {
    await dev.publishAsync('ssd/json/acme-00042/door', '{not json', { qos: 1 });
    expect((await getJson(`${s.api.url}/healthz`)).body).toEqual({ status: 'ok' });
    const ready = await getJson<ReadyBody>(`${s.api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ bus: { ok: true }, mqtt: { ok: true } });
    const text = await waitFor(async () => {
      const t = (await getJson<string>(`${s.api.url}/metrics`)).body;
      return t.includes('sealwatch_ingest_dead_letters_total{reason="invalid-json"} 1') && t;
    });
    expect(text).toMatch(/^sealwatch_ingest_messages_total 6$/m);
    expect(text).toMatch(/^sealwatch_ingest_readings_total 5$/m);
    expect(text).toMatch(/^sealwatch_alerts_total\{rule="DOOR_OPEN_IN_TRANSIT"\} 1$/m);
    expect(text).toMatch(/^sealwatch_rules_readings_total 5$/m);
    // stage latency histograms and the rule engine's consumer lag
    expect(text).toMatch(/^sealwatch_ingest_handle_seconds_count 6$/m);
    expect(text).toMatch(/^sealwatch_rules_batch_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(/^sealwatch_arrival_to_alert_seconds_count 1$/m);
    expect(text).toMatch(/^sealwatch_rules_consumer_lag 0$/m);
    // an API without a pipeline in its process is not ready
    const alone = await startApiOnly();
    try {
      const r = await getJson<ReadyBody>(`${alone.api.url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.body.checks.mqtt.ok).toBe(false);
    } finally {
      await alone.stop();
    }
  });
});
