import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/api/auth.js';
import type { AlertView, ErrorBody, OpenApiBody } from './bodies.js';
import { bearer, getJson, makeAlert, publishAlerts, startApiOnly, waitFor } from './harness.js';

const READ = 'reader-token-0123456789';
const WRITE = 'writer-token-9876543210';
const tokens = JSON.stringify([
  { name: 'analyst-ro', sha256: hashToken(READ), scopes: ['read'] },
  { name: 'analyst-rw', sha256: hashToken(WRITE), scopes: ['read', 'write'] },
]);

describe('bearer tokens with read and write scopes', () => {
  let s: Awaited<ReturnType<typeof startApiOnly>>;
  const alert = makeAlert();
  beforeAll(async () => {
    s = await startApiOnly({ sets: [`api.tokens=${tokens}`] });
    await publishAlerts(s.bus, [alert]);
    await waitFor(() => s.api.context.alerts.has(alert.alertId));
  });
  afterAll(() => s?.stop());

  const act = <T = AlertView>(headers: Record<string, string>) =>
    getJson<T>(`${s.api.url}/api/alerts/${alert.alertId}/actions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ action: 'acknowledge' }) });
  const putTrip = (headers: Record<string, string>) => getJson(`${s.api.url}/api/trips/T-1`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

  it('reads need a token once tokens are configured (401 without, 401 for an unknown one)', async () => {
    const none = await getJson(`${s.api.url}/api/alerts`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await getJson(`${s.api.url}/api/alerts`, { headers: bearer('not-a-token') })).status).toBe(401);
    expect((await getJson(`${s.api.url}/api/alerts`, { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await getJson(`${s.api.url}/api/alerts`, { headers: bearer(READ) })).status).toBe(200);
    expect((await getJson(`${s.api.url}/metrics`, { headers: bearer(READ) })).status).toBe(200);
    expect((await getJson(`${s.api.url}/metrics`)).status).toBe(401);
  });

  it('every write endpoint refuses no token (401) and a read token (403), accepts a write token', async () => {
    expect((await act({})).status).toBe(401);
    const ro = await act<ErrorBody>(bearer(READ));
    expect(ro.status).toBe(403);
    expect(ro.body.message).toContain('write');
    expect((await putTrip({})).status).toBe(401);
    expect((await putTrip(bearer(READ))).status).toBe(403);
    // the write token gets past auth to validation
    expect((await putTrip(bearer(WRITE))).status).toBe(400);
    const rw = await act(bearer(WRITE));
    expect(rw.status).toBe(200);
    expect(rw.body.history[0]).toMatchObject({ action: 'acknowledge', by: 'analyst-rw' });
  });

  it('health and the OpenAPI document need no token; the document declares bearer auth', async () => {
    expect((await getJson(`${s.api.url}/healthz`)).status).toBe(200);
    const doc = await getJson<OpenApiBody>(`${s.api.url}/openapi.json`);
    expect(doc.status).toBe(200);
    expect(doc.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.body.paths['/api/alerts/{alertId}/actions'].post.security).toEqual([{ bearerAuth: [] }]);
  });
});

describe('no tokens configured (the embedded default)', () => {
  let s: Awaited<ReturnType<typeof startApiOnly>>;
  const alert = makeAlert();
  beforeAll(async () => {
    s = await startApiOnly({ demoWriteToken: true });
    await publishAlerts(s.bus, [alert]);
    await waitFor(() => s.api.context.alerts.has(alert.alertId));
  });
  afterAll(() => s?.stop());

  it('reads from loopback need no token; writes need the demo write token printed at start', async () => {
    expect(s.api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await getJson(`${s.api.url}/api/alerts`)).status).toBe(200);
    const post = (headers: Record<string, string>) =>
      getJson<AlertView>(`${s.api.url}/api/alerts/${alert.alertId}/actions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ action: 'close' }) });
    expect((await post({})).status).toBe(401);
    expect(s.api.demoWriteToken).toMatch(/^swdemo_/);
    const ok = await post(bearer(s.api.demoWriteToken!));
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('closed');
  });
});

describe('rate limiting, CORS and TLS', () => {
  it('answers 429 past the configured rate', async () => {
    const s = await startApiOnly({ sets: ['api.rateLimit.max=5'] });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await getJson(`${s.api.url}/api/alerts`)).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
    } finally {
      await s.stop();
    }
  });

  it('CORS is closed by default and open only to the allow-list', async () => {
    const closed = await startApiOnly();
    try {
      const r = await fetch(`${closed.api.url}/api/alerts`, { headers: { origin: 'http://centre.example' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await closed.stop();
    }
    const open = await startApiOnly({ sets: ['api.corsOrigins=http://centre.example'] });
    try {
      const pre = await fetch(`${open.api.url}/api/alerts`, { method: 'OPTIONS', headers: { origin: 'http://centre.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
      expect(pre.headers.get('access-control-allow-origin')).toBe('http://centre.example');
      const other = await fetch(`${open.api.url}/api/alerts`, { headers: { origin: 'http://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await open.stop();
    }
  });

  it('serves HTTPS with the configured key and certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
        stdio: 'ignore',
      });
      const s = await startApiOnly({ sets: [`api.tls.keyFile=${join(dir, 'key.pem')}`, `api.tls.certFile=${join(dir, 'cert.pem')}`] });
      try {
        expect(s.api.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
        const { readFileSync } = await import('node:fs');
        const body = await new Promise<string>((resolve, reject) => {
          const req = request(`${s.api.url}/healthz`, { ca: readFileSync(join(dir, 'cert.pem')), timeout: 5000 }, (res) => {
            let b = '';
            res.on('data', (c) => (b += c));
            res.on('end', () => resolve(b));
          });
          req.on('error', reject);
          req.end();
        });
        expect(JSON.parse(body)).toEqual({ status: 'ok' });
      } finally {
        await s.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tokens stay out of logs', () => {
  it('logs nothing of a presented token, good or bad, at the most verbose level', async () => {
    const { pino } = await import('pino');
    const { Writable } = await import('node:stream');
    const { startApi } = await import('../../../src/api/server.js');
    const { defaultPorts } = await import('../../../src/geo/ports.js');
    const { newTripDirectory } = await import('../../../src/pipeline/app.js');
    const { MemoryBus } = await import('../../../src/bus/memory.js');
    const { testConfig } = await import('../../helpers/fixtures.js');
    let logged = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    });
    const config = testConfig([`api.tokens=${tokens}`]);
    const api = await startApi({ config, bus: new MemoryBus(), trips: newTripDirectory(config), ports: defaultPorts(), log: pino({ level: 'trace' }, sink), port: 0 });
    try {
      expect((await getJson(`${api.url}/api/alerts`, { headers: bearer(READ) })).status).toBe(200);
      expect((await getJson(`${api.url}/api/alerts`, { headers: bearer('wrong-secret-token-xyz') })).status).toBe(401);
      expect((await getJson(`${api.url}/api/trips/T-1`, { method: 'PUT', headers: { 'content-type': 'application/json', ...bearer(WRITE) }, body: '{"tripId":"T-1"}' })).status).toBe(400);
      expect((await getJson(`${api.url}/api/nowhere`, { headers: bearer(WRITE) })).status).toBe(404);
    } finally {
      await api.close();
    }
    expect(logged).toContain('api.listening');
    for (const secret of [READ, WRITE, 'wrong-secret-token-xyz']) expect(logged).not.toContain(secret);
  });
});
