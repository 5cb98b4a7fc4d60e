import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/api/auth.js';
import { plan, reading } from '../../helpers/fixtures.js';
import type { AlertPage, AlertView, ContainerBody, DeliveriesBody, ErrorBody, MeBody, TrackBody, TripBody } from './bodies.js';
import { bearer, getJson, makeAlert, publishAlerts, publishReadings, startApiOnly, waitFor } from './harness.js';
import { SseClient } from './sse-client.js';

// Two centres on one platform: the Dutch centre watches NL, the Chinese one
// CNSHA. Each token sees only its centre's containers, alerts, trips and
// stream; anything else is answered exactly as if it did not exist.
const NL_RO = 'nl-reader-token-0123456789';
const NL_RW = 'nl-writer-token-0123456789';
const CN_RW = 'cn-writer-token-0123456789';
const ADMIN = 'admin-token-0123456789abc';
const centres = JSON.stringify([
  { name: 'centre-nl', label: 'Rotterdam targeting centre', scope: ['NL'] },
  { name: 'centre-cn', scope: ['CNSHA'] },
]);
const tokens = JSON.stringify([
  { name: 'nl-ro', sha256: hashToken(NL_RO), scopes: ['read'], centre: 'centre-nl' },
  { name: 'nl-rw', sha256: hashToken(NL_RW), scopes: ['read', 'write'], centre: 'centre-nl' },
  { name: 'cn-rw', sha256: hashToken(CN_RW), scopes: ['read', 'write'], centre: 'centre-cn' },
  { name: 'platform-admin', sha256: hashToken(ADMIN), scopes: ['admin'] },
]);

const NL_BOX = 'MSCU1234566';
const CN_BOX = 'TGHU7654320';
const tNl = plan({ tripId: 'T-NL-1', containerId: NL_BOX, deviceId: 'acme-00042', origin: 'NLRTM', destination: 'BRSSZ', transshipments: ['ESALG'] });
const tCn = plan({ tripId: 'T-CN-1', containerId: CN_BOX, deviceId: 'acme-00077', origin: 'CNSHA', destination: 'USLAX', transshipments: [] });
const T = Date.parse('2026-01-12T03:00:00Z');

describe('targeting centres: each token sees its own jurisdiction, and nothing of the others', () => {
  let s: Awaited<ReturnType<typeof startApiOnly>>;
  const aNl = makeAlert({ containerId: NL_BOX, tripId: 'T-NL-1' });
  const aCn = makeAlert({ containerId: CN_BOX, tripId: 'T-CN-1', deviceId: 'acme-00077' });
  const missing = 'f'.repeat(32);
  const url = (path: string) => `${s.api.url}${path}`;
  const as = (token: string, init: RequestInit = {}) => ({ ...init, headers: { 'content-type': 'application/json', ...bearer(token), ...(init.headers as Record<string, string> | undefined) } });

  beforeAll(async () => {
    s = await startApiOnly({ sets: [`centres=${centres}`, `api.tokens=${tokens}`], plans: [tNl, tCn] });
    await publishAlerts(s.bus, [aNl, aCn]);
    await publishReadings(s.bus, [
      reading(T, { kind: 'location', lat: 45.5, lon: -8 }, { containerId: NL_BOX, tripId: 'T-NL-1' }),
      reading(T, { kind: 'location', lat: 30.5, lon: 125 }, { containerId: CN_BOX, tripId: 'T-CN-1', deviceId: 'acme-00077' }),
    ]);
    await waitFor(() => s.api.context.alerts.size === 2 && s.api.context.containers.list().length === 2, 10_000, 'alerts and telemetry');
  });
  afterAll(() => s?.stop());

  it('lists only its own alerts, containers and trips', async () => {
    const alerts = await getJson<AlertPage>(url('/api/alerts'), as(NL_RO));
    expect(alerts.body.items.map((a) => a.alertId)).toEqual([aNl.alertId]);
    expect(alerts.body.total).toBe(1);
    const containers = await getJson<{ items: ContainerBody[] }>(url('/api/containers'), as(NL_RO));
    expect(containers.body.items.map((c) => c.containerId)).toEqual([NL_BOX]);
    expect(containers.body.items[0]!.openAlerts).toBe(1);
    const trips = await getJson<{ items: TripBody[] }>(url('/api/trips'), as(NL_RO));
    expect(trips.body.items.map((t) => t.plan.tripId)).toEqual(['T-NL-1']);
    const cn = await getJson<AlertPage>(url('/api/alerts'), as(CN_RW));
    expect(cn.body.items.map((a) => a.alertId)).toEqual([aCn.alertId]);
  });

  it("answers another centre's alert exactly as a missing one: 404 to read, evidence, acknowledge or close", async () => {
    const strip = (b: ErrorBody, id: string) => ({ ...b, message: b.message.replace(id, '<id>') });
    const readOther = await getJson<ErrorBody>(url(`/api/alerts/${aCn.alertId}`), as(NL_RO));
    const readMissing = await getJson<ErrorBody>(url(`/api/alerts/${missing}`), as(NL_RO));
    expect(readOther.status).toBe(404);
    expect(strip(readOther.body, aCn.alertId)).toEqual(strip(readMissing.body, missing));
    const evidence = await getJson<ErrorBody>(url(`/api/alerts/${aCn.alertId}/evidence`), as(NL_RO));
    expect(evidence.status).toBe(404);
    expect(strip(evidence.body, aCn.alertId)).toEqual(strip((await getJson<ErrorBody>(url(`/api/alerts/${missing}/evidence`), as(NL_RO))).body, missing));
    for (const action of ['acknowledge', 'close']) {
      const other = await getJson<ErrorBody>(url(`/api/alerts/${aCn.alertId}/actions`), as(NL_RW, { method: 'POST', body: JSON.stringify({ action }) }));
      const none = await getJson<ErrorBody>(url(`/api/alerts/${missing}/actions`), as(NL_RW, { method: 'POST', body: JSON.stringify({ action }) }));
      expect(other.status).toBe(404);
      expect(strip(other.body, aCn.alertId)).toEqual(strip(none.body, missing));
    }
    // nothing happened to it
    const mine = await getJson<AlertView>(url(`/api/alerts/${aCn.alertId}`), as(CN_RW));
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ status: 'open', history: [] });
    // its own alert it may act on
    const ack = await getJson<AlertView>(url(`/api/alerts/${aNl.alertId}/actions`), as(NL_RW, { method: 'POST', body: JSON.stringify({ action: 'acknowledge' }) }));
    expect(ack.status).toBe(200);
    expect(ack.body.history[0]).toMatchObject({ by: 'nl-rw', action: 'acknowledge' });
  });

  it("answers another centre's container and track as missing ones (404), and its own as usual", async () => {
    const other = await getJson<ErrorBody>(url(`/api/containers/${CN_BOX}`), as(NL_RO));
    const none = await getJson<ErrorBody>(url('/api/containers/SEGU4182371'), as(NL_RO));
    expect(other.status).toBe(404);
    expect(other.body.message.replace(CN_BOX, '<id>')).toBe(none.body.message.replace('SEGU4182371', '<id>'));
    const track = await getJson<ErrorBody>(url(`/api/containers/${CN_BOX}/track`), as(NL_RO));
    const noTrack = await getJson<ErrorBody>(url('/api/containers/SEGU4182371/track'), as(NL_RO));
    expect(track.status).toBe(404);
    expect(noTrack.status).toBe(404);
    expect(track.body.message.replace(CN_BOX, '<id>')).toBe(noTrack.body.message.replace('SEGU4182371', '<id>'));
    const range = '?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z';
    const own = await getJson<TrackBody>(url(`/api/containers/${NL_BOX}/track${range}`), as(NL_RO));
    expect(own.status).toBe(200);
    expect(own.body.points).toHaveLength(1);
    const theirs = await getJson<TrackBody>(url(`/api/containers/${CN_BOX}/track${range}`), as(CN_RW));
    expect(theirs.body.points[0]).toMatchObject({ lat: 30.5, lon: 125 });
  });

  it('reads and replaces only its own plans; files only plans that touch its scope', async () => {
    expect((await getJson(url('/api/trips/T-CN-1'), as(NL_RO))).status).toBe(404);
    expect((await getJson(url('/api/trips/T-NL-1'), as(NL_RO))).status).toBe(200);
    const overwrite = await getJson<ErrorBody>(url('/api/trips/T-CN-1'), as(NL_RW, { method: 'PUT', body: JSON.stringify({ ...tCn, origin: 'NLRTM' }) }));
    expect(overwrite.status).toBe(404);
    expect(s.api.context.trips.get('T-CN-1')!.origin).toBe('CNSHA');
    const outside = await getJson<ErrorBody>(url('/api/trips/T-NEW-1'), as(NL_RW, { method: 'PUT', body: JSON.stringify({ ...tCn, tripId: 'T-NEW-1', containerId: 'SEGU4182371' }) }));
    expect(outside.status).toBe(403);
    expect(outside.body.message).toContain('centre-nl');
    expect(s.api.context.trips.get('T-NEW-1')).toBeUndefined();
    const inside = await getJson<TripBody>(url('/api/trips/T-NEW-2'), as(NL_RW, { method: 'PUT', body: JSON.stringify({ ...tCn, tripId: 'T-NEW-2', containerId: 'SEGU4182371', destination: 'NLRTM' }) }));
    expect(inside.status).toBe(200);
    // the new plan makes its container visible to the centre at once
    expect((await getJson<{ items: TripBody[] }>(url('/api/trips'), as(NL_RO))).body.items.map((t) => t.plan.tripId)).toEqual(['T-NEW-2', 'T-NL-1']);
  });

  it('streams only its own alerts and their status changes, live and from Last-Event-ID', async () => {
    const nl = await SseClient.open(url('/api/alerts/stream?lastEventId=0'), bearer(NL_RO));
    const admin = await SseClient.open(url('/api/alerts/stream?lastEventId=0'), bearer(ADMIN));
    try {
      expect(nl.status).toBe(200);
      const liveNl = makeAlert({ containerId: NL_BOX, tripId: 'T-NL-1' });
      const liveCn = makeAlert({ containerId: CN_BOX, tripId: 'T-CN-1', deviceId: 'acme-00077' });
      await publishAlerts(s.bus, [liveCn, liveNl]);
      // a status change of the other centre's alert, by its own centre
      expect((await getJson(url(`/api/alerts/${aCn.alertId}/actions`), as(CN_RW, { method: 'POST', body: JSON.stringify({ action: 'acknowledge' }) }))).status).toBe(200);
      // the admin's stream has everything: once it has the last event, the centre's has had its chance too
      await waitFor(() => admin.events.some((e) => e.event === 'status' && JSON.parse(e.data).alertId === aCn.alertId), 10_000, 'the status event');
      await new Promise((r) => setTimeout(r, 100));
      const seen = nl.events.map((e) => JSON.parse(e.data) as AlertView);
      expect(seen.every((a) => a.containerId === NL_BOX)).toBe(true);
      expect(seen.map((a) => a.alertId)).toContain(liveNl.alertId);
      expect(seen.map((a) => a.alertId)).toContain(aNl.alertId);
      expect(seen.map((a) => a.alertId)).not.toContain(liveCn.alertId);
      expect(admin.events.map((e) => JSON.parse(e.data).alertId)).toContain(liveCn.alertId);
    } finally {
      nl.close();
      admin.close();
    }
  });

  it('an admin token sees every centre, and looks through one with ?centre=', async () => {
    const all = await getJson<AlertPage>(url('/api/alerts'), as(ADMIN));
    expect(all.body.items.map((a) => a.containerId).sort()).toEqual([NL_BOX, NL_BOX, CN_BOX, CN_BOX]);
    const nl = await getJson<AlertPage>(url('/api/alerts?centre=centre-nl'), as(ADMIN));
    expect(new Set(nl.body.items.map((a) => a.containerId))).toEqual(new Set([NL_BOX]));
    expect((await getJson(url(`/api/alerts/${aCn.alertId}?centre=centre-nl`), as(ADMIN))).status).toBe(404);
    const unknown = await getJson<ErrorBody>(url('/api/alerts?centre=centre-xx'), as(ADMIN));
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toBe('centre');
    // a centre's token cannot look through another centre
    expect((await getJson(url('/api/alerts?centre=centre-cn'), as(NL_RO))).status).toBe(403);
    expect((await getJson(url('/api/alerts?centre=centre-nl'), as(NL_RO))).status).toBe(200);
  });

  it('tells each token who it is, which centre it sees and which it may pick', async () => {
    const me = await getJson<MeBody>(url('/api/me'), as(NL_RO));
    expect(me.body).toEqual({
      name: 'nl-ro',
      scopes: ['read'],
      centre: 'centre-nl',
      view: { name: 'centre-nl', label: 'Rotterdam targeting centre', scope: ['NL'] },
      centres: [{ name: 'centre-nl', label: 'Rotterdam targeting centre', scope: ['NL'] }],
    });
    const admin = await getJson<MeBody>(url('/api/me?centre=centre-cn'), as(ADMIN));
    expect(admin.body).toMatchObject({ name: 'platform-admin', scopes: ['admin', 'read', 'write'], centre: null, view: { name: 'centre-cn', scope: ['CNSHA'] } });
    expect(admin.body.centres.map((c) => c.name)).toEqual(['centre-nl', 'centre-cn']);
  });

  it('keeps platform-wide metrics and webhook deliveries from a centre', async () => {
    expect((await getJson(url('/metrics'), as(NL_RO))).status).toBe(403);
    expect((await getJson(url('/metrics'), as(ADMIN))).status).toBe(200);
    const hooks = await getJson<DeliveriesBody>(url('/api/webhooks/deliveries'), as(NL_RO));
    expect(hooks.status).toBe(200);
  });
});

describe('centres in the configuration', () => {
  it('refuses a token of an unknown centre, and a token of no centre without the admin scope', async () => {
    await expect(startApiOnly({ sets: [`centres=${centres}`, `api.tokens=${JSON.stringify([{ name: 'x', sha256: hashToken('x'), scopes: ['read'], centre: 'centre-zz' }])}`] })).rejects.toThrow(/api\.tokens\.0\.centre.*no centre centre-zz/);
    await expect(startApiOnly({ sets: [`centres=${centres}`, `api.tokens=${JSON.stringify([{ name: 'x', sha256: hashToken('x'), scopes: ['read', 'write'] }])}`] })).rejects.toThrow(/must name its centre/);
    await expect(startApiOnly({ sets: [`centres=${JSON.stringify([{ name: 'c', scope: ['Rotterdam'] }])}`] })).rejects.toThrow(/centres\.0\.scope\.0.*country code/);
  });
});
