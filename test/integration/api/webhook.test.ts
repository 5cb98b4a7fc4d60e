import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signBody, verifySignature, WebhookSink, webhookTargets } from '../../../src/sinks/webhook.js';
import { testConfig } from '../../helpers/fixtures.js';
import type { DeliveriesBody } from './bodies.js';
import { getJson, makeAlert, publishAlerts, startApiOnly, waitFor } from './harness.js';

interface Received {
  body: string;
  signature: string;
  alertId: string;
  attempt: number;
  ok: boolean;
}

/** A targeting centre's receiver on 127.0.0.1, verifying the signature as docs/api.md ("Webhooks") shows. */
async function receiver(secret: string, answer: (n: number) => number): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  let n = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = String(req.headers['x-sealwatch-signature'] ?? '');
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature);
      let ok = false;
      if (m) {
        const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
        ok = timingSafeEqual(expected, Buffer.from(m[2]!, 'hex')) && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
      }
      got.push({ body, signature, alertId: String(req.headers['x-sealwatch-alert-id']), attempt: Number(req.headers['x-sealwatch-attempt']), ok });
      res.writeHead(ok ? answer(++n) : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/sealwatch`, got, close: () => new Promise((r) => server.close(() => r())) };
}

const fast = { maxAttempts: 5, initialBackoffMs: 20, maxBackoffMs: 200, timeoutMs: 2000 };

describe('webhook sink: signed, retried, deduplicated', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('POSTs each alert with an HMAC-SHA256 signature the receiver verifies', async () => {
    const r = await receiver('s3cret', () => 204);
    cleanup.push(r.close);
    const sink = new WebhookSink([{ name: 'centre-a', url: r.url, secret: 's3cret' }], fast);
    cleanup.push(() => sink.close());
    const a = makeAlert();
    await sink.write([a]);
    await waitFor(() => sink.deliveries()[0]?.status === 'delivered');
    expect(r.got).toHaveLength(1);
    expect(r.got[0]!.ok).toBe(true);
    expect(JSON.parse(r.got[0]!.body)).toEqual(a);
    expect(r.got[0]!.alertId).toBe(a.alertId);
    expect(verifySignature('s3cret', r.got[0]!.signature, r.got[0]!.body, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifySignature('wrong', r.got[0]!.signature, r.got[0]!.body, Math.floor(Date.now() / 1000))).toBe(false);
    expect(verifySignature('s3cret', r.got[0]!.signature, r.got[0]!.body + ' ', Math.floor(Date.now() / 1000))).toBe(false);
    expect(sink.deliveries()[0]).toMatchObject({ target: 'centre-a', alertId: a.alertId, status: 'delivered', attempts: 1, lastStatusCode: 204, lastError: null });
  });

  it('retries a receiver that fails first, then succeeds; the same alert again is not sent twice', async () => {
    const r = await receiver('k', (n) => (n <= 2 ? 503 : 200));
    cleanup.push(r.close);
    const sink = new WebhookSink([{ name: 'flaky', url: r.url, secret: 'k' }], fast);
    cleanup.push(() => sink.close());
    const a = makeAlert();
    await sink.write([a]);
    await waitFor(() => sink.deliveries()[0]?.status === 'delivered');
    expect(r.got.map((g) => g.attempt)).toEqual([1, 2, 3]);
    expect(r.got.every((g) => g.ok && g.body === r.got[0]!.body)).toBe(true);
    expect(sink.deliveries()[0]).toMatchObject({ status: 'delivered', attempts: 3 });
    await sink.write([a]);
    await new Promise((res) => setTimeout(res, 100));
    expect(r.got).toHaveLength(3);
  });

  it('gives up after maxAttempts on a dead endpoint, and at once on a 4xx other than 408/429', async () => {
    const r = await receiver('k', () => 500);
    cleanup.push(r.close);
    const refuse = await receiver('k', () => 422);
    cleanup.push(refuse.close);
    // a port nobody listens on: take one, then free it
    const gone = await receiver('k', () => 200);
    await gone.close();
    const sink = new WebhookSink(
      [
        { name: 'down', url: r.url, secret: 'k' },
        { name: 'refuses', url: refuse.url, secret: 'k' },
        { name: 'nobody', url: gone.url, secret: 'k' },
      ],
      { ...fast, maxAttempts: 3 },
    );
    cleanup.push(() => sink.close());
    await sink.write([makeAlert()]);
    await waitFor(() => sink.deliveries().every((d) => d.status === 'failed'), 10_000, 'all failed');
    const by = Object.fromEntries(sink.deliveries().map((d) => [d.target, d]));
    expect(by.down).toMatchObject({ attempts: 3, lastStatusCode: 500, lastError: 'HTTP 500' });
    expect(by.refuses).toMatchObject({ attempts: 1, lastStatusCode: 422 });
    expect(by.nobody!.attempts).toBe(3);
    expect(by.nobody!.lastError).toMatch(/ECONNREFUSED/);
    expect(r.got).toHaveLength(3);
  });

  it('backs off exponentially with jitter, bounded', () => {
    const lo = new WebhookSink([], { ...fast, initialBackoffMs: 100, maxBackoffMs: 1000, random: () => 0 });
    const hi = new WebhookSink([], { ...fast, initialBackoffMs: 100, maxBackoffMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 10].map((n) => lo.backoff(n))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 10].map((n) => hi.backoff(n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the test's name quotes the signed string's format
  it('signBody is HMAC-SHA256 over "${t}.${body}"', () => {
    expect(signBody('key', 1767780000, '{"a":1}')).toBe(`t=1767780000,v1=${createHmac('sha256', 'key').update('1767780000.{"a":1}').digest('hex')}`);
    expect(verifySignature('key', signBody('key', 1000, 'x'), 'x', 1000 + 301)).toBe(false);
  });

  it('reads secrets from the environment variables the configuration names', () => {
    const cfg = testConfig(['webhooks.targets=[{"name":"c","url":"http://127.0.0.1:1/x","secretEnv":"SW_TEST_HOOK_SECRET"}]']).webhooks;
    expect(webhookTargets(cfg, { SW_TEST_HOOK_SECRET: 'abc' })).toEqual([{ name: 'c', url: 'http://127.0.0.1:1/x', secret: 'abc' }]);
    expect(() => webhookTargets(cfg, {})).toThrow(/SW_TEST_HOOK_SECRET/);
  });

  it('delivery status is visible in GET /api/webhooks/deliveries', async () => {
    const r = await receiver('k', (n) => (n === 1 ? 500 : 200));
    cleanup.push(r.close);
    const sink = new WebhookSink([{ name: 'centre', url: r.url, secret: 'k' }], fast);
    cleanup.push(() => sink.close());
    const { api, bus, stop } = await startApiOnly();
    cleanup.push(stop);
    // the API built without the sink reports none; build one that knows it
    const { startApi } = await import('../../../src/api/server.js');
    const { createLogger } = await import('../../../src/log.js');
    const { defaultPorts } = await import('../../../src/geo/ports.js');
    const { newTripDirectory } = await import('../../../src/pipeline/app.js');
    const config = testConfig();
    const withHooks = await startApi({ config, bus, trips: newTripDirectory(config), ports: defaultPorts(), log: createLogger('silent'), webhooks: sink, port: 0 });
    cleanup.push(() => withHooks.close());
    expect((await getJson(`${api.url}/api/webhooks/deliveries`)).body).toEqual({ targets: [], items: [] });
    const a = makeAlert();
    await publishAlerts(bus, [a]);
    await sink.write([a]);
    const d = await waitFor(async () => {
      const res = await getJson<DeliveriesBody>(`${withHooks.url}/api/webhooks/deliveries?status=delivered`);
      return res.body.items[0];
    });
    expect(d).toMatchObject({ target: 'centre', alertId: a.alertId, rule: a.rule, status: 'delivered', attempts: 2, lastStatusCode: 200 });
    expect((await getJson<DeliveriesBody>(`${withHooks.url}/api/webhooks/deliveries`)).body.targets).toEqual(['centre']);
  });
});
