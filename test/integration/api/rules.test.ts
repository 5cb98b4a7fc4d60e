import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/api/auth.js';
import { TOPICS } from '../../../src/bus/topics.js';
import type { RuleChange, RuleHistory } from '../../../src/config/rule-history.js';
import { plan } from '../../helpers/fixtures.js';
import type { AlertView, ErrorBody } from './bodies.js';
import { bearer, device, getJson, startApiOnly, startStack, waitFor, type Stack } from './harness.js';

interface RulesBody {
  version: number;
  effectiveFrom: string | null;
  rules: Record<string, Record<string, unknown>>;
  changeable: string[];
}

const ADMIN = 'admin-token-0123456789abc';
const NL_RW = 'nl-writer-token-0123456789';
const sets = [
  `centres=${JSON.stringify([{ name: 'centre-nl', scope: ['NL'] }])}`,
  `api.tokens=${JSON.stringify([
    { name: 'rules-admin', sha256: hashToken(ADMIN), scopes: ['admin'] },
    { name: 'nl-rw', sha256: hashToken(NL_RW), scopes: ['read', 'write'], centre: 'centre-nl' },
  ])}`,
];

describe('rule thresholds changed without a restart: PUT /api/rules/{id}', () => {
  let s: Awaited<ReturnType<typeof startApiOnly>>;
  beforeAll(async () => {
    s = await startApiOnly({ sets });
  });
  afterAll(() => s?.stop());
  const put = (token: string | null, id: string, body: unknown) =>
    getJson<RuleChange & ErrorBody>(`${s.api.url}/api/rules/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) }, body: JSON.stringify(body) });

  it('needs the admin scope', async () => {
    expect((await put(null, 'doorOpen', { values: { movingSpeedKn: 4 } })).status).toBe(401);
    const centre = await put(NL_RW, 'doorOpen', { values: { movingSpeedKn: 4 } });
    expect(centre.status).toBe(403);
    expect(centre.body.message).toContain('admin');
    expect((await getJson<RulesBody>(`${s.api.url}/api/rules`, { headers: bearer(NL_RW) })).body.version).toBe(0);
  });

  it('versions and audits each change (who, when, from which event time, old -> new), kept on the rule-history topic', async () => {
    const before = (await getJson<RulesBody>(`${s.api.url}/api/rules`, { headers: bearer(ADMIN) })).body;
    expect(before).toMatchObject({ version: 0, effectiveFrom: null });
    expect(before.changeable).toContain('doorOpen');
    expect(before.changeable).not.toContain('stationary');
    const t0 = Date.now();
    const res = await put(ADMIN, 'doorOpen', { values: { movingSpeedKn: 4.5 }, effectiveFrom: '2026-01-12T00:00:00Z', note: 'fewer false alarms in the Scheldt', expectedVersion: 0 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 1, section: 'doorOpen', by: 'rules-admin', effectiveFrom: '2026-01-12T00:00:00.000Z', note: 'fewer false alarms in the Scheldt' });
    expect(res.body.from).toEqual(before.rules.doorOpen);
    expect(res.body.to).toEqual({ ...before.rules.doorOpen, movingSpeedKn: 4.5 });
    expect(Date.parse(res.body.changedAt)).toBeGreaterThanOrEqual(t0 - 1000);
    // in force from its event time on, not before
    const now = (await getJson<RulesBody>(`${s.api.url}/api/rules`, { headers: bearer(ADMIN) })).body;
    expect(now).toMatchObject({ version: 1, effectiveFrom: '2026-01-12T00:00:00.000Z' });
    expect(now.rules.doorOpen!.movingSpeedKn).toBe(4.5);
    const earlier = (await getJson<RulesBody>(`${s.api.url}/api/rules?at=2026-01-11T23:59:59Z`, { headers: bearer(ADMIN) })).body;
    expect(earlier.version).toBe(0);
    expect(earlier.rules.doorOpen!.movingSpeedKn).toBe(before.rules.doorOpen!.movingSpeedKn);
    expect((await getJson<{ values: Record<string, unknown> }>(`${s.api.url}/api/rules/doorOpen`, { headers: bearer(NL_RW) })).body.values.movingSpeedKn).toBe(4.5);
    const history = (await getJson<RuleHistory>(`${s.api.url}/api/rules/history`, { headers: bearer(ADMIN) })).body;
    expect(history.changes).toEqual([res.body]);
    // durably on the compacted topic, keyed by version
    const onTopic = await s.bus.readAll(TOPICS.ruleHistory);
    expect(onTopic.map((m) => [m.key, JSON.parse(m.value.toString('utf8'))])).toEqual([['v0000000001', res.body]]);
    // a later API on the same bus (a restart) has the same history
    const again = await startApiOnly({ sets, bus: s.bus });
    try {
      expect((await getJson<RuleHistory>(`${again.api.url}/api/rules/history`, { headers: bearer(ADMIN) })).body.changes).toEqual([res.body]);
    } finally {
      await again.stop();
    }
  });

  it('refuses, naming the field: a bad value, an unknown key, an unknown section, a section that needs a restart, an effective time before the last change, a stale version', async () => {
    const bad = await put(ADMIN, 'doorOpen', { values: { movingSpeedKn: 300 } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'SW_ERR_CONFIG_INVALID', field: 'values.movingSpeedKn' });
    expect(bad.body.message).toMatch(/^rules\.doorOpen\.movingSpeedKn: /);
    expect((await put(ADMIN, 'doorOpen', { values: { speed: 4 } })).body).toMatchObject({ field: 'values', message: expect.stringContaining('"speed"') });
    expect((await put(ADMIN, 'teleport', { values: {} })).status).toBe(404);
    const restart = await put(ADMIN, 'stationary', { values: { radiusKm: 3 } });
    expect(restart.status).toBe(400);
    expect(restart.body.message).toContain('restart');
    const backwards = await put(ADMIN, 'locationGap', { values: { maxPositionGapMs: 4 * 3_600_000 }, effectiveFrom: '2026-01-01T00:00:00Z' });
    expect(backwards.status).toBe(409);
    expect(backwards.body.field).toBe('effectiveFrom');
    const stale = await put(ADMIN, 'locationGap', { values: { maxPositionGapMs: 4 * 3_600_000 }, effectiveFrom: '2026-02-01T00:00:00Z', expectedVersion: 0 });
    expect(stale.status).toBe(409);
    expect(stale.body.field).toBe('expectedVersion');
    // none of these made a version
    expect((await getJson<RulesBody>(`${s.api.url}/api/rules`, { headers: bearer(ADMIN) })).body.version).toBe(1);
  });
});

describe('a rule change reaches the running engine at once, and each alert records its version', () => {
  let s: Stack;
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  beforeAll(async () => {
    s = await startStack({
      demoWriteToken: true,
      plans: [
        plan({
          tripId: 'T-RULES-1',
          departure: iso(48 * 3_600_000),
          eta: new Date(now + 10 * 86_400_000).toISOString(),
          route: [
            [4.05, 51.95],
            [-5.0, 48.5],
            [-9.5, 43.0],
            [-5.45, 36.14],
            [-46.3, -23.98],
          ],
        }),
      ],
    });
  });
  afterAll(() => s?.stop());

  it('an alert raised after the change carries its version', async () => {
    const token = s.api.demoWriteToken!;
    const change = await getJson<RuleChange>(`${s.api.url}/api/rules/routeDeviation`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify({ values: { maxDistanceKm: 120 }, effectiveFrom: iso(60 * 60_000) }),
    });
    expect(change.status).toBe(200);
    // the engine in this process reads the same timeline
    expect(s.pipeline.ruleTimeline.version).toBe(1);
    const dev = await device(s.broker.url, 'acme-00042');
    try {
      const gps = (id: string, msAgo: number, lat: number, lon: number) => dev.publishAsync('ssd/json/acme-00042/gps', JSON.stringify({ msgId: id, containerId: 'MSCU1234566', ts: iso(msAgo), lat, lon, speedKn: 15.5 }), { qos: 1 });
      await gps('g1', 30 * 60_000, 45.6, -7.9);
      await gps('g2', 20 * 60_000, 45.5, -8.0);
      await dev.publishAsync('ssd/json/acme-00042/door', JSON.stringify({ msgId: 'd1', containerId: 'MSCU1234566', ts: iso(15 * 60_000), state: 'open' }), { qos: 1 });
      await gps('g3', 10 * 60_000, 45.45, -8.05);
      const alert = await waitFor(async () => (await getJson<{ items: AlertView[] }>(`${s.api.url}/api/alerts?rule=DOOR_OPEN_IN_TRANSIT`)).body.items[0], 20_000, 'the door alert');
      expect(alert.ruleVersion).toBe(1);
    } finally {
      await dev.endAsync();
    }
  });
});
