import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/bus/memory.js';
import { TOPICS } from '../../src/bus/topics.js';
import { loadConfig } from '../../src/config/load.js';
import { alertId, type Alert } from '../../src/model/alert.js';
import { newTripDirectory } from '../../src/pipeline/app.js';
import { BusAlertSink } from '../../src/sinks/bus-alerts.js';
import { signStandardWebhook, standardWebhookHeaders, verifyStandardWebhook, webhookId, webhookKey } from '../../src/sinks/standard-webhooks.js';
import { type DeadDelivery, REPLAY_HEADER, WebhookDispatcher, type WebhookOptions, type WebhookTarget, webhookTargets } from '../../src/sinks/webhook.js';
import { Jurisdictions } from '../../src/trips/jurisdiction.js';
import { plan, testConfig } from '../helpers/fixtures.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

let k = 0;
function alert(over: Partial<Alert> = {}): Alert {
  const n = ++k;
  const containerId = over.containerId ?? 'MSCU1234566';
  const tripId = over.tripId === undefined ? 'T-2026-000123' : over.tripId;
  return {
    alertId: alertId(over.rule ?? 'DOOR_OPEN_IN_TRANSIT', containerId, tripId, `wh-${n}-${Math.random()}`),
    rule: 'DOOR_OPEN_IN_TRANSIT',
    severity: 'critical',
    containerId,
    tripId,
    deviceId: 'acme-00042',
    startedAt: new Date(Date.parse('2026-01-12T03:00:00Z') + n * 60_000).toISOString(),
    detectedAt: new Date(Date.parse('2026-01-12T03:00:30Z') + n * 60_000).toISOString(),
    location: { lat: 36.01, lon: -9.87 },
    summary: `webhook test alert ${n}`,
    evidence: [`json-v1:acme-00042:e${n}`],
    ...over,
  };
}

async function until<T>(check: () => T | Promise<T>, what: string, ms = 10_000): Promise<Exclude<T, undefined | false | null>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v as Exclude<T, undefined | false | null>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fast: WebhookOptions = { maxAttempts: 4, initialBackoffMs: 20, maxBackoffMs: 100, timeoutMs: 2000, groupPrefix: 'sw-unit' };

const produce = (bus: MemoryBus, alerts: Alert[], headers?: Record<string, string>) => new BusAlertSink(bus, headers).write(alerts);
const deadOnTopic = (bus: MemoryBus) => bus.read(TOPICS.webhookDead).map((m) => ({ key: m.key, value: JSON.parse(m.value.toString('utf8')) as DeadDelivery }));

describe('Standard Webhooks signing', () => {
  it('matches the published example of the Standard Webhooks libraries and a hand-computed HMAC', () => {
    // the example the reference libraries test against (secret, id, timestamp, body and signature)
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(signStandardWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    // the same by hand: the key is the base64-decoded part after whsec_, the signed text id.timestamp.body
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    const byHand = createHmac('sha256', key).update('msg_x.1700000000.{"a":1}').digest('base64');
    expect(signStandardWebhook(secret, 'msg_x', 1700000000, '{"a":1}')).toBe(`v1,${byHand}`);
    // a raw secret is its own UTF-8 bytes
    expect(signStandardWebhook('pässwörd', 'msg_x', 1700000000, 'b')).toBe(`v1,${createHmac('sha256', Buffer.from('pässwörd', 'utf8')).update('msg_x.1700000000.b').digest('base64')}`);
    expect(standardWebhookHeaders(secret, 'msg_x', 1700000000, '{"a":1}')).toEqual({ 'webhook-id': 'msg_x', 'webhook-timestamp': '1700000000', 'webhook-signature': `v1,${byHand}` });
  });

  it('verifyStandardWebhook accepts a good delivery and refuses a wrong key, a changed body or id, an old or future timestamp', () => {
    const secret = 'whsec_c2VhbHdhdGNoLXRlc3Qta2V5LTAxMjM0NTY3';
    const body = '{"alertId":"a1"}';
    const h = standardWebhookHeaders(secret, 'msg_1', 1_800_000_000, body);
    const at = { nowSeconds: 1_800_000_010 };
    expect(verifyStandardWebhook(secret, h, body, at)).toEqual({ ok: true, id: 'msg_1', timestamp: 1_800_000_000 });
    // header names in any case, values as node gives them
    expect(verifyStandardWebhook(secret, { 'Webhook-Id': h['webhook-id'], 'WEBHOOK-TIMESTAMP': [h['webhook-timestamp']!], 'webhook-signature': h['webhook-signature'] }, body, at).ok).toBe(true);
    expect(verifyStandardWebhook('whsec_b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXk=', h, body, at)).toMatchObject({ ok: false, reason: 'no v1 signature matches' });
    expect(verifyStandardWebhook(secret, h, `${body} `, at).ok).toBe(false);
    expect(verifyStandardWebhook(secret, { ...h, 'webhook-id': 'msg_2' }, body, at).ok).toBe(false);
    expect(verifyStandardWebhook(secret, h, body, { nowSeconds: 1_800_000_000 + 301 })).toMatchObject({ ok: false });
    expect(verifyStandardWebhook(secret, h, body, { nowSeconds: 1_800_000_000 - 301 })).toMatchObject({ ok: false });
    expect(verifyStandardWebhook(secret, { 'webhook-id': 'msg_1' }, body, at)).toMatchObject({ ok: false });
    // several signatures (a key being changed): one that matches is enough; other versions are passed by
    expect(verifyStandardWebhook(secret, { ...h, 'webhook-signature': `v1,AAAA v1a,xyz ${h['webhook-signature']}` }, body, at).ok).toBe(true);
  });

  it('the key: whsec_ and base64, or the raw string; a malformed whsec_ secret is refused', () => {
    expect(webhookKey('whsec_AAEC')).toEqual(Buffer.from([0, 1, 2]));
    expect(webhookKey('whsec_AAE=')).toEqual(Buffer.from([0, 1]));
    expect(webhookKey('whsec_AAE')).toEqual(Buffer.from([0, 1]));
    expect(() => webhookKey('whsec_AAECA')).toThrow(/base64/);
    expect(webhookKey('plain')).toEqual(Buffer.from('plain'));
    expect(() => webhookKey('whsec_not base64!')).toThrow(/base64/);
    expect(() => webhookKey('whsec_')).toThrow(/base64/);
    expect(() => webhookKey('')).toThrow(/empty/);
  });

  it('the webhook id is fixed by target and alert id', () => {
    expect(webhookId('centre-nl', 'abc')).toBe(webhookId('centre-nl', 'abc'));
    expect(webhookId('centre-nl', 'abc')).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(webhookId('centre-nl', 'abc')).not.toBe(webhookId('centre-cn', 'abc'));
    expect(webhookId('centre-nl', 'abc')).not.toBe(webhookId('centre-nl', 'abd'));
  });
});

describe('webhook targets: configuration and filters', () => {
  const target = (extra: Record<string, unknown>) => `webhooks.targets=${JSON.stringify([{ name: 't', url: 'http://127.0.0.1:1/x', secretEnv: 'SW_UNIT_HOOK', ...extra }])}`;

  it('a wrong containerPrefixes, ports or name value stops start-up naming key, value and what was expected', () => {
    expect(() => testConfig([target({ containerPrefixes: ['mscu'] })])).toThrow(/webhooks\.targets\.0\.containerPrefixes\.0 = "mscu".*ISO 6346/);
    expect(() => testConfig([target({ ports: ['Rotterdam'] })])).toThrow(/webhooks\.targets\.0\.ports\.0 = "Rotterdam".*UN\/LOCODE/);
    expect(() => testConfig([target({ ports: [] })])).toThrow(/webhooks\.targets\.0\.ports = \[\]/);
    expect(() => testConfig([target({ name: 'a b' })])).toThrow(/webhooks\.targets\.0\.name = "a b".*letters, digits/);
    const twice = `webhooks.targets=${JSON.stringify([
      { name: 't', url: 'http://127.0.0.1:1/x', secretEnv: 'A' },
      { name: 't', url: 'http://127.0.0.1:1/y', secretEnv: 'B' },
    ])}`;
    expect(() => testConfig([twice])).toThrow(/webhooks\.targets\.1\.name = "t".*defined twice/);
    expect(() => testConfig(['webhooks.initialBackoffMs=5000', 'webhooks.maxBackoffMs=1000'])).toThrow(/webhooks\.initialBackoffMs = 5000.*at most webhooks\.maxBackoffMs/);
    expect(testConfig([target({ containerPrefixes: ['MSCU', 'TGHU12'], ports: ['NLRTM'] })]).webhooks.targets[0]).toMatchObject({ containerPrefixes: ['MSCU', 'TGHU12'], ports: ['NLRTM'] });
  });

  it('a missing or malformed secret stops start-up naming the variable, never the secret', () => {
    const cfg = testConfig([target({})]).webhooks;
    expect(() => webhookTargets(cfg, {})).toThrow(/webhooks\.targets\[t\]\.secretEnv: environment variable SW_UNIT_HOOK is not set/);
    expect(() => webhookTargets(cfg, { SW_UNIT_HOOK: 'whsec_%%%secret%%%' })).toThrow(/SW_UNIT_HOOK.*expected whsec_ and base64/);
    expect(() => webhookTargets(cfg, { SW_UNIT_HOOK: 'whsec_%%%secret%%%' })).not.toThrow(/%%%secret%%%/);
    expect(webhookTargets(cfg, { SW_UNIT_HOOK: 'raw-secret' })).toEqual([{ name: 't', url: 'http://127.0.0.1:1/x', secret: 'raw-secret', centre: null }]);
  });

  it('rules, least severity, container prefixes and ports of the plan each narrow a target, all together', () => {
    const config = testConfig([
      `centres=${JSON.stringify([{ name: 'centre-nl', scope: ['NL'] }])}`,
      `webhooks.targets=${JSON.stringify([
        { name: 'all', url: 'http://127.0.0.1:1/a', secretEnv: 'S' },
        { name: 'doors-high', url: 'http://127.0.0.1:1/b', secretEnv: 'S', rules: ['DOOR_OPEN_IN_TRANSIT'], minSeverity: 'high' },
        { name: 'msc', url: 'http://127.0.0.1:1/c', secretEnv: 'S', containerPrefixes: ['MSCU', 'MEDU'] },
        { name: 'algeciras', url: 'http://127.0.0.1:1/d', secretEnv: 'S', ports: ['ESALG'] },
        { name: 'shanghai-or-la', url: 'http://127.0.0.1:1/e', secretEnv: 'S', ports: ['CNSHA', 'USLAX'] },
        { name: 'nl-tghu', url: 'http://127.0.0.1:1/f', secretEnv: 'S', centre: 'centre-nl', containerPrefixes: ['TGHU'] },
      ])}`,
    ]);
    const trips = newTripDirectory(config);
    // NLRTM -> BRSSZ via ESALG; CNSHA -> USLAX direct; a box with a plan but an alert without a trip
    trips.upsert(plan({ tripId: 'T-NL', containerId: 'MSCU1234566' }));
    trips.upsert(plan({ tripId: 'T-CN', containerId: 'TGHU7654320', deviceId: 'acme-00077', origin: 'CNSHA', destination: 'USLAX', transshipments: [] }));
    trips.upsert(plan({ tripId: 'T-NL2', containerId: 'TGHU1111110', deviceId: 'acme-00078', origin: 'DEHAM', destination: 'NLRTM', transshipments: [] }));
    const targets = Object.fromEntries(webhookTargets(config.webhooks, { S: 'k' }, new Jurisdictions(config.centres, trips)).map((t) => [t.name, t]));
    const takes = (name: string, a: Alert) => targets[name]!.accepts?.(a) ?? true;
    const nl = alert({ tripId: 'T-NL', containerId: 'MSCU1234566' });
    const nlLow = alert({ tripId: 'T-NL', containerId: 'MSCU1234566', severity: 'medium' });
    const cnGap = alert({ tripId: 'T-CN', containerId: 'TGHU7654320', rule: 'LOCATION_GAP', severity: 'high' });
    const tghuNoTrip = alert({ tripId: null, containerId: 'TGHU1111110' });
    const unknownTrip = alert({ tripId: 'T-NOWHERE', containerId: 'MEDU2222220' });
    const table = (a: Alert) => ['all', 'doors-high', 'msc', 'algeciras', 'shanghai-or-la', 'nl-tghu'].filter((n) => takes(n, a));
    expect(table(nl)).toEqual(['all', 'doors-high', 'msc', 'algeciras']);
    expect(table(nlLow)).toEqual(['all', 'msc', 'algeciras']);
    expect(table(cnGap)).toEqual(['all', 'shanghai-or-la']);
    // without a trip an alert goes by its container's plans (DEHAM -> NLRTM: in centre-nl's scope)
    expect(table(tghuNoTrip)).toEqual(['all', 'doors-high', 'nl-tghu']);
    // a trip nobody knows and a container without plans: no port can match
    expect(table(unknownTrip)).toEqual(['all', 'doors-high', 'msc']);
    // a plan put later counts at once
    trips.upsert(plan({ tripId: 'T-NOWHERE', containerId: 'MEDU2222220', deviceId: 'acme-00079', origin: 'USLAX', destination: 'JPTYO', transshipments: [] }));
    expect(table(unknownTrip)).toEqual(['all', 'doors-high', 'msc', 'shanghai-or-la']);
  });
});

describe('webhook delivery from the alerts topic (memory bus, a receiver on 127.0.0.1)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setUp(answer: (n: number, alertId: string) => number, opts: Partial<WebhookOptions> = {}, secret = 'whsec_dW5pdC10ZXN0LXNlY3JldC1rZXktMDEyMzQ1Njc4OQ==') {
    const r = await startReceiver(secret, (n, req) => answer(n, req.alertId));
    cleanup.push(r.close);
    const bus = new MemoryBus(3);
    await bus.ensureTopics([
      { topic: TOPICS.alerts, partitions: 3 },
      { topic: TOPICS.webhookDead, partitions: 1 },
    ]);
    cleanup.push(() => bus.close());
    const targets: WebhookTarget[] = [{ name: 'centre', url: r.url, secret }];
    const start = async (o: Partial<WebhookOptions> = {}) => {
      const d = new WebhookDispatcher(bus, targets, { ...fast, ...opts, ...o });
      await d.start();
      cleanup.push(() => d.stop());
      return d;
    };
    return { r, bus, targets, start };
  }

  it('POSTs each alert once, signed the Standard Webhooks way, with the webhook id of target and alert; commits it', async () => {
    const { r, bus, start } = await setUp(() => 204);
    const d = await start();
    const alerts = [alert(), alert({ containerId: 'TGHU7654320' }), alert({ containerId: 'MEDU2222220' })];
    await produce(bus, alerts);
    await until(() => d.counts().delivered === 3, 'three delivered');
    expect(r.got.every((g) => g.ok && g.status === 204)).toBe(true);
    expect(r.got.map((g) => g.alertId).sort()).toEqual(alerts.map((a) => a.alertId).sort());
    for (const g of r.got) {
      expect(g.webhookId).toBe(webhookId('centre', g.alertId));
      expect(Math.abs(g.timestamp - Date.now() / 1000)).toBeLessThan(10);
      expect(JSON.parse(g.body)).toEqual(alerts.find((a) => a.alertId === g.alertId));
    }
    expect(d.deliveries()[0]).toMatchObject({ target: 'centre', status: 'delivered', attempts: 1, lastStatusCode: 204, lastError: null });
    await until(async () => (await bus.lag(d.groupId('centre'), TOPICS.alerts)) === 0, 'the group committed');
    // the same alert produced again (a redelivered batch of the rules stage) is not sent twice
    await produce(bus, [alerts[0]!]);
    await until(async () => (await bus.lag(d.groupId('centre'), TOPICS.alerts)) === 0, 'the group committed the copy');
    expect(r.got).toHaveLength(3);
  });

  it('retries a failing receiver with backoff, the same webhook id and body every time, then succeeds', async () => {
    const { r, bus, start } = await setUp((n) => (n <= 2 ? 503 : 200));
    const d = await start();
    const a = alert();
    await produce(bus, [a]);
    await until(() => d.counts().delivered === 1, 'delivered');
    expect(r.got.map((g) => [g.attempt, g.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
    expect(new Set(r.got.map((g) => g.webhookId))).toEqual(new Set([webhookId('centre', a.alertId)]));
    expect(new Set(r.got.map((g) => g.body)).size).toBe(1);
    expect(deadOnTopic(bus)).toEqual([]);
  });

  it('a spent retry budget goes onto the dead topic, keyed by alert id, and the alert is committed; a refusal goes at once', async () => {
    const { r, bus, start } = await setUp((_, id) => (id === refused.alertId ? 422 : 503), { maxAttempts: 3 });
    const down = alert();
    const refused = alert({ containerId: 'TGHU7654320', rule: 'LOCATION_GAP', severity: 'medium' });
    const d = await start();
    await produce(bus, [down, refused]);
    await until(() => deadOnTopic(bus).length === 2, 'two dead deliveries');
    const dead = Object.fromEntries(deadOnTopic(bus).map((x) => [x.value.alertId, x]));
    expect(dead[down.alertId]).toMatchObject({
      key: down.alertId,
      value: { target: 'centre', alertId: down.alertId, webhookId: webhookId('centre', down.alertId), rule: 'DOOR_OPEN_IN_TRANSIT', reason: 'attempts-exhausted', attempts: 3, lastStatusCode: 503, lastError: 'HTTP 503', alert: down },
    });
    expect(dead[refused.alertId]!.value).toMatchObject({ reason: 'refused', attempts: 1, lastStatusCode: 422, alert: refused });
    for (const x of Object.values(dead)) expect(Date.parse(x.value.deadAt)).toBeGreaterThanOrEqual(Date.parse(x.value.firstAttemptAt));
    expect(r.got.filter((g) => g.alertId === down.alertId)).toHaveLength(3);
    expect(d.deliveries({ status: 'failed' })).toHaveLength(2);
    await until(async () => (await bus.lag(d.groupId('centre'), TOPICS.alerts)) === 0, 'both committed');
  });

  it('a receiver nobody listens on is retried like a 5xx, then dead with the network error', async () => {
    const { bus, targets } = await setUp(() => 200, { maxAttempts: 2 });
    const gone = await startReceiver('x', () => 200);
    await gone.close();
    const d = new WebhookDispatcher(bus, [{ ...targets[0]!, url: gone.url }], { ...fast, maxAttempts: 2 });
    await d.start();
    cleanup.push(() => d.stop());
    await produce(bus, [alert()]);
    const [dead] = await until(() => deadOnTopic(bus).length > 0 && deadOnTopic(bus), 'dead');
    expect(dead!.value).toMatchObject({ attempts: 2, lastStatusCode: null });
    expect(dead!.value.lastError).toMatch(/ECONNREFUSED/);
  });

  it('commits only after a 2xx: a restarted consumer in the same group re-sends the undelivered alerts with the same webhook ids, and not the delivered one', async () => {
    let up = false;
    const first = alert();
    const second = alert(); // the same container: the same partition, after the first, in the same batch
    const other = alert({ containerId: 'TGHU7654320' }); // another partition, after the stuck batch (one batch at a time per target)
    const { r, bus, start } = await setUp((_, id) => (up || id === first.alertId ? 204 : 503), { maxAttempts: 50, initialBackoffMs: 20, maxBackoffMs: 40 });
    const d1 = await start();
    await produce(bus, [first, second, other]);
    await until(() => r.got.filter((g) => g.alertId === second.alertId).length >= 3 && d1.counts().delivered === 1, 'the first delivered, the second retried');
    const secondBefore = r.got.find((g) => g.alertId === second.alertId)!;
    await d1.stop();
    // the group's position is just past the first: the second and the other are not committed
    expect(await bus.lag(d1.groupId('centre'), TOPICS.alerts)).toBe(2);
    expect(d1.deliveries({ status: 'pending' }).map((x) => x.alertId)).toEqual([second.alertId]);
    const seen = r.got.length;

    up = true;
    const d2 = await start();
    await until(() => d2.counts().delivered === 2, 'the second and the other delivered after the restart');
    const after = r.got.slice(seen);
    expect(after.map((g) => g.alertId).sort()).toEqual([second.alertId, other.alertId].sort());
    const secondAfter = after.find((g) => g.alertId === second.alertId)!;
    expect(secondAfter.webhookId).toBe(secondBefore.webhookId);
    expect(secondAfter.webhookId).toBe(webhookId('centre', second.alertId));
    expect(secondAfter.body).toBe(secondBefore.body);
    expect(
      r
        .accepted()
        .map((g) => g.alertId)
        .sort(),
    ).toEqual([first.alertId, second.alertId, other.alertId].sort());
    await until(async () => (await bus.lag(d2.groupId('centre'), TOPICS.alerts)) === 0, 'all committed');
  });

  it("a target met for the first time starts with the alerts raised from then on; a replay's alerts are passed by", async () => {
    const { r, bus, start } = await setUp(() => 204);
    const before = alert();
    await produce(bus, [before]);
    const d = await start();
    const replayed = alert();
    const live = alert();
    await produce(bus, [replayed], { [REPLAY_HEADER]: 'run-1' });
    await produce(bus, [live]);
    await until(() => d.counts().delivered === 1, 'the live alert delivered');
    await until(async () => (await bus.lag(d.groupId('centre'), TOPICS.alerts)) === 0, 'all committed');
    expect(r.got.map((g) => g.alertId)).toEqual([live.alertId]);
  });

  it('a target takes only what its filter accepts, and commits the others', async () => {
    const secret = 'raw-unit-secret';
    const r = await startReceiver(secret, () => 204);
    cleanup.push(r.close);
    const bus = new MemoryBus(3);
    cleanup.push(() => bus.close());
    const config = testConfig([`webhooks.targets=${JSON.stringify([{ name: 'msc-high', url: r.url, secretEnv: 'S', containerPrefixes: ['MSCU'], minSeverity: 'high' }])}`]);
    const d = new WebhookDispatcher(bus, webhookTargets(config.webhooks, { S: secret }), fast);
    await d.start();
    cleanup.push(() => d.stop());
    const take = alert({ containerId: 'MSCU7777770' });
    await produce(bus, [alert({ containerId: 'TGHU7654320' }), alert({ containerId: 'MSCU1234566', severity: 'low' }), take]);
    await until(() => d.counts().delivered === 1, 'one delivered');
    await until(async () => (await bus.lag(d.groupId('msc-high'), TOPICS.alerts)) === 0, 'all committed');
    expect(r.got.map((g) => [g.alertId, g.ok])).toEqual([[take.alertId, true]]);
  });

  it('backs off exponentially with jitter, bounded', () => {
    const bus = new MemoryBus();
    const lo = new WebhookDispatcher(bus, [], { ...fast, initialBackoffMs: 100, maxBackoffMs: 1000, random: () => 0 });
    const hi = new WebhookDispatcher(bus, [], { ...fast, initialBackoffMs: 100, maxBackoffMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 10].map((n) => lo.backoff(n))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 10].map((n) => hi.backoff(n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('webhook settings', () => {
  it('the defaults are those docs/configuration.md lists', () => {
    const c = loadConfig({ env: {} });
    expect(c.webhooks).toEqual({ targets: [], maxAttempts: 8, initialBackoffMs: 500, maxBackoffMs: 60_000, timeoutMs: 10_000 });
    expect(c.kafka.partitions.webhookDead).toBe(1);
  });
});
