import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/bus/memory.js';
import { TOPICS } from '../../../src/bus/topics.js';
import { newTripDirectory } from '../../../src/pipeline/app.js';
import { verifyStandardWebhook, webhookId } from '../../../src/sinks/standard-webhooks.js';
import { REPLAY_HEADER, WebhookDispatcher, type WebhookOptions, webhookTargets } from '../../../src/sinks/webhook.js';
import { Jurisdictions } from '../../../src/trips/jurisdiction.js';
import { plan, reading, testConfig } from '../../helpers/fixtures.js';
import { type Receiver, startReceiver } from '../../helpers/webhook-receiver.js';
import type { DeadBody, DeliveriesBody } from './bodies.js';
import { getJson, makeAlert, publishAlerts, publishReadings, startApiOnly, startStack, waitFor } from './harness.js';

const SECRET = 'whsec_YXBpLXRlc3Qtd2ViaG9vay1rZXktMDEyMzQ1Njc4OWFi';
const fast: WebhookOptions = { maxAttempts: 5, initialBackoffMs: 20, maxBackoffMs: 200, timeoutMs: 2000, groupPrefix: 'sw-api-test' };

describe('webhooks: Standard Webhooks signatures, retries, dead deliveries, the API', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function receiver(answer: (n: number) => number, secret = SECRET): Promise<Receiver> {
    const r = await startReceiver(secret, answer);
    cleanup.push(r.close);
    return r;
  }

  /** An API over a memory bus with a dispatcher of these targets started on the same bus. */
  async function apiWith(targets: ConstructorParameters<typeof WebhookDispatcher>[1], opts: Partial<WebhookOptions> = {}, sets: string[] = []) {
    const bus = new MemoryBus(3);
    const d = new WebhookDispatcher(bus, targets, { ...fast, ...opts });
    const s = await startApiOnly({ bus, webhooks: d, sets });
    cleanup.push(s.stop);
    await d.start();
    cleanup.push(() => d.stop());
    return { ...s, d };
  }

  it('POSTs each alert from the alerts topic with webhook-id, webhook-timestamp and webhook-signature the receiver verifies', async () => {
    const r = await receiver(() => 204);
    const { bus, d } = await apiWith([{ name: 'centre-a', url: r.url, secret: SECRET }]);
    const a = makeAlert();
    await publishAlerts(bus, [a]);
    await waitFor(() => d.deliveries()[0]?.status === 'delivered');
    expect(r.got).toHaveLength(1);
    const g = r.got[0]!;
    expect(g.ok).toBe(true);
    expect(JSON.parse(g.body)).toEqual(a);
    expect(g.webhookId).toBe(webhookId('centre-a', a.alertId));
    const headers = { 'webhook-id': g.webhookId, 'webhook-timestamp': String(g.timestamp), 'webhook-signature': g.signature };
    expect(verifyStandardWebhook(SECRET, headers, g.body)).toMatchObject({ ok: true, id: g.webhookId });
    expect(verifyStandardWebhook('whsec_d3Jvbmc=', headers, g.body).ok).toBe(false);
    expect(verifyStandardWebhook(SECRET, headers, `${g.body} `).ok).toBe(false);
    expect(d.deliveries()[0]).toMatchObject({ target: 'centre-a', alertId: a.alertId, webhookId: g.webhookId, deliveryId: g.webhookId, status: 'delivered', attempts: 1, lastStatusCode: 204, lastError: null });
  });

  it('retries a receiver that fails first, then succeeds, under one webhook-id; the same alert again is not sent twice', async () => {
    const r = await receiver((n) => (n <= 2 ? 503 : 200));
    const { bus, d } = await apiWith([{ name: 'flaky', url: r.url, secret: SECRET }]);
    const a = makeAlert();
    await publishAlerts(bus, [a]);
    await waitFor(() => d.deliveries()[0]?.status === 'delivered');
    expect(r.got.map((g) => g.attempt)).toEqual([1, 2, 3]);
    expect(r.got.every((g) => g.ok && g.body === r.got[0]!.body && g.webhookId === r.got[0]!.webhookId)).toBe(true);
    expect(d.deliveries()[0]).toMatchObject({ status: 'delivered', attempts: 3 });
    await publishAlerts(bus, [a]);
    await waitFor(async () => (await bus.lag(d.groupId('flaky'), TOPICS.alerts)) === 0, 5000, 'the copy committed');
    expect(r.got).toHaveLength(3);
  });

  it('dead deliveries (attempts spent, refused, nobody listening) are on the dead topic and in GET /api/webhooks/dead', async () => {
    const down = await receiver(() => 500);
    const refuses = await receiver(() => 422);
    const gone = await startReceiver(SECRET, () => 200);
    await gone.close();
    const { api, bus, d } = await apiWith(
      [
        { name: 'down', url: down.url, secret: SECRET },
        { name: 'refuses', url: refuses.url, secret: SECRET },
        { name: 'nobody', url: gone.url, secret: SECRET },
      ],
      { maxAttempts: 3 },
    );
    const a = makeAlert();
    await publishAlerts(bus, [a]);
    await waitFor(() => d.deliveries().length === 3 && d.deliveries().every((x) => x.status === 'failed'), 10_000, 'all failed');
    const dead = await waitFor(async () => {
      const res = await getJson<DeadBody>(`${api.url}/api/webhooks/dead`);
      return res.body.items.length === 3 && res.body.items;
    });
    const by = Object.fromEntries(dead.map((x) => [x.target, x]));
    expect(by.down).toMatchObject({ alertId: a.alertId, webhookId: webhookId('down', a.alertId), reason: 'attempts-exhausted', attempts: 3, lastStatusCode: 500, lastError: 'HTTP 500', alert: a });
    expect(by.refuses).toMatchObject({ reason: 'refused', attempts: 1, lastStatusCode: 422 });
    expect(by.nobody).toMatchObject({ reason: 'attempts-exhausted', attempts: 3, lastStatusCode: null });
    expect(by.nobody!.lastError).toMatch(/ECONNREFUSED/);
    expect(down.got).toHaveLength(3);
    expect(bus.read(TOPICS.webhookDead).map((m) => m.key)).toEqual([a.alertId, a.alertId, a.alertId]);
    const one = await getJson<DeadBody>(`${api.url}/api/webhooks/dead?target=refuses&limit=5`);
    expect(one.body.items.map((x) => x.target)).toEqual(['refuses']);
    expect((await getJson<DeadBody>(`${api.url}/api/webhooks/dead?alertId=nope`)).body.items).toEqual([]);
    expect((await getJson(`${api.url}/api/webhooks/dead?limit=0`)).status).toBe(400);
    // every target's alert is committed: nothing is sent again
    for (const t of ['down', 'refuses', 'nobody']) expect(await bus.lag(d.groupId(t), TOPICS.alerts)).toBe(0);
  });

  it('reads secrets from the environment variables the configuration names', () => {
    const cfg = testConfig(['webhooks.targets=[{"name":"c","url":"http://127.0.0.1:1/x","secretEnv":"SW_TEST_HOOK_SECRET"}]']).webhooks;
    expect(webhookTargets(cfg, { SW_TEST_HOOK_SECRET: SECRET })).toEqual([{ name: 'c', url: 'http://127.0.0.1:1/x', secret: SECRET, centre: null }]);
    expect(() => webhookTargets(cfg, {})).toThrow(/SW_TEST_HOOK_SECRET/);
  });

  it('delivery status is visible in GET /api/webhooks/deliveries', async () => {
    const r = await receiver((n) => (n === 1 ? 500 : 200));
    const { api, bus } = await apiWith([{ name: 'centre', url: r.url, secret: SECRET }]);
    const bare = await startApiOnly();
    cleanup.push(bare.stop);
    expect((await getJson(`${bare.api.url}/api/webhooks/deliveries`)).body).toEqual({ targets: [], items: [] });
    expect((await getJson(`${bare.api.url}/api/webhooks/dead`)).body).toEqual({ items: [] });
    const a = makeAlert();
    await publishAlerts(bus, [a]);
    const d = await waitFor(async () => (await getJson<DeliveriesBody>(`${api.url}/api/webhooks/deliveries?status=delivered`)).body.items[0]);
    expect(d).toMatchObject({ target: 'centre', alertId: a.alertId, rule: a.rule, status: 'delivered', attempts: 2, lastStatusCode: 200, webhookId: webhookId('centre', a.alertId) });
    expect((await getJson<DeliveriesBody>(`${api.url}/api/webhooks/deliveries`)).body.targets).toEqual(['centre']);
  });

  it("a centre's target gets only its jurisdiction's alerts, other filters narrow further; a centre's token sees its own targets' deliveries and dead ones", async () => {
    const nl = await receiver(() => 204);
    const cn = await receiver(() => 503);
    const door = await receiver(() => 204);
    const NL_TOKEN = 'nl-token-0123456789abcdef';
    const { hashToken } = await import('../../../src/api/auth.js');
    const centres = [
      { name: 'centre-nl', scope: ['NL'] },
      { name: 'centre-cn', scope: ['CNSHA'] },
    ];
    const sets = [
      `centres=${JSON.stringify(centres)}`,
      `webhooks.targets=${JSON.stringify([
        { name: 'nl', url: nl.url, secretEnv: 'SW_HOOK', centre: 'centre-nl' },
        { name: 'cn', url: cn.url, secretEnv: 'SW_HOOK', centre: 'centre-cn' },
        { name: 'doors', url: door.url, secretEnv: 'SW_HOOK', rules: ['DOOR_OPEN_IN_TRANSIT', 'RIP_ON_RIP_OFF'], minSeverity: 'high', containerPrefixes: ['MSCU', 'TGHU'], ports: ['ESALG', 'USLAX'] },
      ])}`,
      `api.tokens=${JSON.stringify([
        { name: 'nl', sha256: hashToken(NL_TOKEN), scopes: ['read'], centre: 'centre-nl' },
        { name: 'root', sha256: hashToken('root-token-0123456789'), scopes: ['admin'] },
      ])}`,
    ];
    const config = testConfig(sets);
    const plans = [plan({ tripId: 'T-NL', containerId: 'MSCU1234566' }), plan({ tripId: 'T-CN', containerId: 'TGHU7654320', deviceId: 'acme-00077', origin: 'CNSHA', destination: 'USLAX', transshipments: [] })];
    const trips = newTripDirectory(config);
    for (const p of plans) trips.upsert(p);
    const bus = new MemoryBus(3);
    const d = new WebhookDispatcher(bus, webhookTargets(config.webhooks, { SW_HOOK: SECRET }, new Jurisdictions(config.centres, trips)), { ...fast, maxAttempts: 2 });
    const s = await startApiOnly({ bus, webhooks: d, sets, plans });
    cleanup.push(s.stop);
    await d.start();
    cleanup.push(() => d.stop());
    const aNl = makeAlert({ tripId: 'T-NL', containerId: 'MSCU1234566' });
    const aCn = makeAlert({ tripId: 'T-CN', containerId: 'TGHU7654320', rule: 'LOCATION_GAP', severity: 'medium' });
    const aCnDoor = makeAlert({ tripId: 'T-CN', containerId: 'TGHU7654320', rule: 'RIP_ON_RIP_OFF', severity: 'critical' });
    const aNlLow = makeAlert({ tripId: 'T-NL', containerId: 'MSCU1234566', rule: 'DOOR_OPEN_IN_TRANSIT', severity: 'medium' });
    await publishAlerts(bus, [aNl, aCn, aCnDoor, aNlLow]);
    await waitFor(() => d.deliveries().length === 6 && d.deliveries().every((x) => x.status !== 'pending'), 10_000, 'six deliveries done');
    const got = (r: Receiver) => [...new Set(r.got.map((g) => g.alertId))].sort();
    expect(got(nl)).toEqual([aNl.alertId, aNlLow.alertId].sort());
    expect(got(cn)).toEqual([aCn.alertId, aCnDoor.alertId].sort());
    expect(got(door)).toEqual([aNl.alertId, aCnDoor.alertId].sort());

    const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const mine = await getJson<DeliveriesBody>(`${s.api.url}/api/webhooks/deliveries`, as(NL_TOKEN));
    expect(mine.body.targets).toEqual(['nl']);
    expect(mine.body.items.map((x) => x.target)).toEqual(['nl', 'nl']);
    const all = await getJson<DeliveriesBody>(`${s.api.url}/api/webhooks/deliveries`, as('root-token-0123456789'));
    expect(all.body.targets).toEqual(['nl', 'cn', 'doors']);
    expect(all.body.items).toHaveLength(6);
    // cn's receiver is down: its two deliveries are dead, which the NL centre does not see
    const deadAll = await waitFor(async () => {
      const res = await getJson<DeadBody>(`${s.api.url}/api/webhooks/dead`, as('root-token-0123456789'));
      return res.body.items.length === 2 && res.body.items;
    });
    expect(deadAll.map((x) => x.target)).toEqual(['cn', 'cn']);
    expect((await getJson<DeadBody>(`${s.api.url}/api/webhooks/dead`, as(NL_TOKEN))).body.items).toEqual([]);
  });
});

describe('webhooks of the embedded pipeline', () => {
  const T = Date.parse('2026-01-10T00:00:00Z');
  // a door opened at sea off Portugal, inside the plan's window: DOOR_OPEN_IN_TRANSIT
  const breach = (tag: string) => [
    reading(T, { kind: 'location', lat: 45.5, lon: -8.0, speedKn: 15.5 }, { id: `${tag}-g1` }),
    reading(T + 10 * 60_000, { kind: 'location', lat: 45.45, lon: -8.05, speedKn: 15.5 }, { id: `${tag}-g2` }),
    reading(T + 11 * 60_000, { kind: 'door', open: true }, { id: `${tag}-d1` }),
    reading(T + 15 * 60_000, { kind: 'location', lat: 45.4, lon: -8.1, speedKn: 15.5 }, { id: `${tag}-g3` }),
  ];

  async function run(o: { replay: boolean }) {
    const r = await startReceiver(SECRET, () => 204);
    process.env.SW_API_PIPELINE_HOOK = SECRET;
    try {
      const sets = [`webhooks.targets=${JSON.stringify([{ name: 'desk', url: r.url, secretEnv: 'SW_API_PIPELINE_HOOK' }])}`, 'webhooks.initialBackoffMs=20', 'webhooks.maxBackoffMs=100'];
      const s = await startStack({ sets, plans: [plan()], ...(o.replay ? { webhooks: null, replayMark: 'replay-test' } : {}) });
      // a live pipeline's dispatcher on the same bus, as a `run` beside a `replay --stack` would have
      const live = new WebhookDispatcher(s.bus, webhookTargets(s.config.webhooks, { SW_API_PIPELINE_HOOK: SECRET }), { ...fast, groupPrefix: 'live' });
      await live.start();
      return { r, s, live };
    } finally {
      delete process.env.SW_API_PIPELINE_HOOK;
    }
  }

  it('a pipeline with targets configured delivers the alerts its rules raise', async () => {
    const { r, s, live } = await run({ replay: false });
    try {
      expect(s.pipeline.webhooks?.targets.map((t) => t.name)).toEqual(['desk']);
      await publishReadings(s.bus, breach('live'));
      await waitFor(() => r.accepted().length === 2, 15_000, 'the alert delivered by the pipeline and by the other dispatcher');
      expect(new Set(r.got.map((g) => g.webhookId)).size).toBe(1);
      expect(JSON.parse(r.got[0]!.body)).toMatchObject({ rule: 'DOOR_OPEN_IN_TRANSIT' });
    } finally {
      await live.stop();
      await s.stop();
      await r.close();
    }
  });

  it('a replay sends nothing: its pipeline has no dispatcher, and a live one on the same bus passes its marked alerts by', async () => {
    const { r, s, live } = await run({ replay: true });
    try {
      expect(s.pipeline.webhooks).toBeNull();
      await publishReadings(s.bus, breach('replay'));
      const onTopic = await waitFor(() => s.bus.read(TOPICS.alerts).find((m) => m.value.toString().includes('DOOR_OPEN_IN_TRANSIT')), 15_000, 'the alert on the topic');
      expect(onTopic.headers[REPLAY_HEADER]).toBe('replay-test');
      await waitFor(async () => (await s.bus.lag(live.groupId('desk'), TOPICS.alerts)) === 0, 5000, 'the live dispatcher past it');
      expect(r.got).toEqual([]);
    } finally {
      await live.stop();
      await s.stop();
      await r.close();
    }
  });
});
