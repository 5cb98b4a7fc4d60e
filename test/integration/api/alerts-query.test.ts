import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/model/alert.js';
import type { AlertPage, ErrorBody } from './bodies.js';
import { getJson, makeAlert, publishAlerts, startApiOnly, waitFor, type JsonResponse } from './harness.js';

/** Alerts put on the alerts topic are served by the API over real HTTP on 127.0.0.1. */
describe('GET /api/alerts: filters and pagination', () => {
  let s: Awaited<ReturnType<typeof startApiOnly>>;
  const alerts: Alert[] = [];

  beforeAll(async () => {
    s = await startApiOnly();
    const rules = ['DOOR_OPEN_IN_TRANSIT', 'LOCATION_JUMP', 'TEMPERATURE_EXCURSION'] as const;
    const sev = ['critical', 'high', 'medium'] as const;
    for (let i = 0; i < 30; i++) alerts.push(makeAlert({ rule: rules[i % 3], severity: sev[i % 3], containerId: i % 2 ? 'MSCU1234566' : 'TGHU7654320', tripId: i % 2 ? 'T-A' : 'T-B' }));
    // two alerts with the same startedAt: the order must still be total (alertId breaks the tie)
    alerts.push(makeAlert({ startedAt: alerts[5]!.startedAt }));
    await publishAlerts(s.bus, alerts);
    // a redelivered alert (at least once) is one alert
    await publishAlerts(s.bus, [alerts[0]!]);
    await waitFor(() => s.api.context.alerts.size === alerts.length);
  });
  afterAll(() => s?.stop());

  const q = <T = AlertPage>(query: string) => getJson<T>(`${s.api.url}/api/alerts${query}`);

  it('lists every alert once, newest startedAt first, ties by alertId', async () => {
    const r = await q('?limit=500');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(alerts.length);
    const expected = [...alerts].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || (a.alertId < b.alertId ? -1 : 1)).map((a) => a.alertId);
    expect(r.body.items.map((a: Alert) => a.alertId)).toEqual(expected);
    expect(r.body.items[0]).toMatchObject({ status: 'open', assignee: null, history: [] });
    expect(r.body.streamSeq).toBe(alerts.length);
  });

  it('filters by rule, severity, container, trip and startedAt range', async () => {
    const byRule = await q('?rule=LOCATION_JUMP,TEMPERATURE_EXCURSION&limit=500');
    expect(byRule.body.items.map((a: Alert) => a.alertId).sort()).toEqual(
      alerts
        .filter((a) => a.rule !== 'DOOR_OPEN_IN_TRANSIT')
        .map((a) => a.alertId)
        .sort(),
    );
    const combo = await q('?severity=critical&containerId=MSCU1234566&tripId=T-A&limit=500');
    const want = alerts.filter((a) => a.severity === 'critical' && a.containerId === 'MSCU1234566' && a.tripId === 'T-A');
    expect(want.length).toBeGreaterThan(0);
    expect(combo.body.items.map((a: Alert) => a.alertId).sort()).toEqual(want.map((a) => a.alertId).sort());
    const from = alerts[10]!.startedAt;
    const to = alerts[20]!.startedAt;
    const range = await q(`?from=${from}&to=${to}&limit=500`);
    const inRange = alerts.filter((a) => Date.parse(a.startedAt) >= Date.parse(from) && Date.parse(a.startedAt) < Date.parse(to));
    expect(range.body.total).toBe(inRange.length);
    expect(range.body.items.map((a: Alert) => a.alertId).sort()).toEqual(inRange.map((a) => a.alertId).sort());
  });

  it('filters by lifecycle status', async () => {
    const open = await q('?status=open&limit=500');
    expect(open.body.total).toBe(alerts.length);
    const closed = await q('?status=closed');
    expect(closed.body.total).toBe(0);
  });

  it('pages with a cursor: every alert exactly once, in order, even when alerts arrive between pages', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: JsonResponse<AlertPage> = await q(`?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((a: Alert) => a.alertId));
      cursor = r.body.nextCursor;
      if (pages === 1) {
        // an alert newer than everything served arrives mid-way: it sorts before the cursor, so the pages go on unchanged
        const late = makeAlert({ startedAt: '2027-01-01T00:00:00Z' });
        await publishAlerts(s.bus, [late]);
        await waitFor(() => s.api.context.alerts.has(late.alertId));
      }
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(alerts.length / 7));
    const expected = [...alerts].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || (a.alertId < b.alertId ? -1 : 1)).map((a) => a.alertId);
    expect(seen).toEqual(expected);
  });

  it('serves one alert by id, 404 for an unknown one', async () => {
    const one = await getJson(`${s.api.url}/api/alerts/${alerts[3]!.alertId}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ ...alerts[3], status: 'open' });
    expect((await getJson(`${s.api.url}/api/alerts/nope`)).status).toBe(404);
  });

  it('refuses bad filters with 400 naming the parameter', async () => {
    const badRule = await q<ErrorBody>('?rule=DOOR_OPEN_IN_TRANSIT,NOT_A_RULE');
    expect(badRule.status).toBe(400);
    expect(badRule.body.field).toBe('rule');
    expect(badRule.body.message).toContain('NOT_A_RULE');
    expect((await q<ErrorBody>('?severity=urgent')).body.field).toBe('severity');
    expect((await q<ErrorBody>('?status=done')).body.field).toBe('status');
    expect((await q<ErrorBody>('?cursor=garbage')).body.field).toBe('cursor');
    const badTime = await q<ErrorBody>('?from=yesterday');
    expect(badTime.status).toBe(400);
    expect(badTime.body.field).toBe('from');
    const badLimit = await q<ErrorBody>('?limit=0');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.field).toBe('limit');
  });
});
