import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/api/auth.js';
import { bucketStart, type Stats } from '../../../src/api/stats.js';
import { plan } from '../../helpers/fixtures.js';
import type { AlertView, ErrorBody } from './bodies.js';
import { bearer, getJson, makeAlert, publishAlerts, startApiOnly, waitFor } from './harness.js';

const ADMIN = 'admin-token-0123456789abc';
const CN = 'cn-reader-token-0123456789';
const sets = [
  `centres=${JSON.stringify([
    { name: 'centre-nl', scope: ['NL'] },
    { name: 'centre-cn', scope: ['CN'] },
  ])}`,
  `api.tokens=${JSON.stringify([
    { name: 'analyst', sha256: hashToken(ADMIN), scopes: ['admin'] },
    { name: 'cn-ro', sha256: hashToken(CN), scopes: ['read'], centre: 'centre-cn' },
  ])}`,
];
const day = (d: number, h = 3) => new Date(Date.UTC(2026, 0, 12 + d, h)).toISOString();

describe('analyst feedback: dispositions on close, per-rule precision over time', () => {
  let s: Awaited<ReturnType<typeof startApiOnly>>;
  const plans = [plan({ tripId: 'T-NL', containerId: 'MSCU1234566' }), plan({ tripId: 'T-CN', containerId: 'TGHU7654320', deviceId: 'acme-00077', origin: 'CNSHA', destination: 'USLAX', transshipments: [] })];
  // door alerts on two days, gap alerts on one; one CN alert
  const doors = [0, 0, 0, 1, 1].map((d) => makeAlert({ rule: 'DOOR_OPEN_IN_TRANSIT', tripId: 'T-NL', startedAt: day(d), detectedAt: day(d), ruleVersion: d }));
  const gaps = [0, 0].map((d) => makeAlert({ rule: 'LOCATION_GAP', severity: 'medium', tripId: 'T-NL', startedAt: day(d), detectedAt: day(d), ruleVersion: 0 }));
  const cn = makeAlert({ rule: 'DOOR_OPEN_IN_TRANSIT', tripId: 'T-CN', containerId: 'TGHU7654320', startedAt: day(0), detectedAt: day(0), ruleVersion: 0 });
  const act = (alertId: string, body: object) =>
    getJson<AlertView & ErrorBody>(`${s.api.url}/api/alerts/${alertId}/actions`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(ADMIN) }, body: JSON.stringify(body) });
  const stats = async (query = '', token = ADMIN) => (await getJson<Stats>(`${s.api.url}/api/stats${query}`, { headers: bearer(token) })).body;

  beforeAll(async () => {
    s = await startApiOnly({ sets, plans });
    await publishAlerts(s.bus, [...doors, ...gaps, cn]);
    await waitFor(() => s.api.context.alerts.size === 8);
  });
  afterAll(() => s?.stop());

  it('closing records a disposition in the alert and its history; a reopen clears it, the history keeps it', async () => {
    const closed = await act(doors[0]!.alertId, { action: 'close', disposition: 'false-alarm', note: 'crew opened it for a reefer check' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', disposition: 'false-alarm' });
    expect(closed.body.history).toEqual([expect.objectContaining({ action: 'close', by: 'analyst', disposition: 'false-alarm', note: 'crew opened it for a reefer check' })]);
    const reopened = await act(doors[0]!.alertId, { action: 'reopen' });
    expect(reopened.body).toMatchObject({ status: 'open', disposition: null });
    expect(reopened.body.history.map((h) => h.disposition)).toEqual(['false-alarm', null]);
    const wrong = await act(doors[0]!.alertId, { action: 'acknowledge', disposition: 'duplicate' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.field).toBe('disposition');
    const unknown = await act(doors[0]!.alertId, { action: 'close', disposition: 'meh' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toBe('disposition');
    expect((await act(doors[0]!.alertId, { action: 'close', disposition: 'confirmed-breach' })).body.disposition).toBe('confirmed-breach');
    // kept on the status topic: a restarted API has it
    const again = await startApiOnly({ sets, plans, bus: s.bus });
    try {
      await waitFor(() => again.api.context.alerts.size === 8);
      const v = await getJson<AlertView>(`${again.api.url}/api/alerts/${doors[0]!.alertId}`, { headers: bearer(ADMIN) });
      expect(v.body).toMatchObject({ status: 'closed', disposition: 'confirmed-breach' });
    } finally {
      await again.stop();
    }
  });

  it('GET /api/stats: precision per rule, per day of detection and per rule version, within the jurisdiction', async () => {
    const before = await stats('?bucket=day');
    expect(before.rules.find((r) => r.rule === 'DOOR_OPEN_IN_TRANSIT')).toMatchObject({ raised: 6, closed: 1, precision: 1 });
    await act(doors[1]!.alertId, { action: 'close', disposition: 'false-alarm' });
    await act(doors[2]!.alertId, { action: 'close', disposition: 'duplicate' });
    await act(doors[3]!.alertId, { action: 'close', disposition: 'confirmed-breach' });
    await act(doors[4]!.alertId, { action: 'acknowledge' });
    await act(gaps[0]!.alertId, { action: 'close', disposition: 'false-alarm' });
    await act(gaps[1]!.alertId, { action: 'close' });
    await act(cn.alertId, { action: 'close', disposition: 'false-alarm' });
    const st = await stats('?bucket=day');
    const door = st.rules.find((r) => r.rule === 'DOOR_OPEN_IN_TRANSIT')!;
    // confirmed 2 (day 0 and day 1), false alarms 2 (day 0, and the CN one): a duplicate counts for neither
    expect(door).toEqual({
      rule: 'DOOR_OPEN_IN_TRANSIT',
      raised: 6,
      open: 0,
      acknowledged: 1,
      closed: 5,
      dispositions: { 'confirmed-breach': 2, 'false-alarm': 2, duplicate: 1, 'not-our-jurisdiction': 0, undisposed: 0 },
      precision: 0.5,
    });
    expect(st.rules.find((r) => r.rule === 'LOCATION_GAP')).toMatchObject({ raised: 2, closed: 2, dispositions: { 'false-alarm': 1, undisposed: 1 }, precision: 0 });
    expect(st.series.filter((p) => p.rule === 'DOOR_OPEN_IN_TRANSIT')).toEqual([
      { start: '2026-01-12T00:00:00.000Z', rule: 'DOOR_OPEN_IN_TRANSIT', raised: 4, confirmed: 1, falseAlarms: 2, precision: 0.3333 },
      { start: '2026-01-13T00:00:00.000Z', rule: 'DOOR_OPEN_IN_TRANSIT', raised: 2, confirmed: 1, falseAlarms: 0, precision: 1 },
    ]);
    expect(st.byVersion.filter((v) => v.rule === 'DOOR_OPEN_IN_TRANSIT').map((v) => [v.ruleVersion, v.precision])).toEqual([
      [0, 0.3333],
      [1, 1],
    ]);
    expect(st.totals).toEqual({ raised: 8, closed: 7, confirmed: 2, falseAlarms: 3, precision: 0.4 });
    // a week holds both days
    expect((await stats('?bucket=week&rule=DOOR_OPEN_IN_TRANSIT')).series).toEqual([{ start: '2026-01-12T00:00:00.000Z', rule: 'DOOR_OPEN_IN_TRANSIT', raised: 6, confirmed: 2, falseAlarms: 2, precision: 0.5 }]);
    expect((await stats(`?from=${day(1, 0)}`)).totals.raised).toBe(2);
    // each centre its own: the CN centre sees its one false alarm
    expect((await stats('', CN)).totals).toEqual({ raised: 1, closed: 1, confirmed: 0, falseAlarms: 1, precision: 0 });
    expect((await stats('?centre=centre-nl')).totals).toMatchObject({ raised: 7, confirmed: 2, falseAlarms: 2, precision: 0.5 });
    expect((await getJson<ErrorBody>(`${s.api.url}/api/stats?rule=NOPE`, { headers: bearer(ADMIN) })).body.field).toBe('rule');
  });

  it('buckets by UTC day, ISO week (Monday) and month', () => {
    const t = Date.parse('2026-01-15T17:00:00Z'); // a Thursday
    expect(new Date(bucketStart(t, 'day')).toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(new Date(bucketStart(t, 'week')).toISOString()).toBe('2026-01-12T00:00:00.000Z');
    expect(new Date(bucketStart(Date.parse('2026-01-18T23:59:59Z'), 'week')).toISOString()).toBe('2026-01-12T00:00:00.000Z');
    expect(new Date(bucketStart(t, 'month')).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});
