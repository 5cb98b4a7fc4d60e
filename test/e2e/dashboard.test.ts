import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';
import { plan } from '../helpers/fixtures.js';
import type { AlertView } from '../integration/api/bodies.js';
import { device, getJson, startStack, type Stack } from '../integration/api/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = packagePath('.cache', 'e2e');

/**
 * The dashboard in a real browser against an embedded demo in this process:
 * aedes on 127.0.0.1:0, the pipeline, the API on 127.0.0.1:0, and readings
 * published over MQTT that raise an alert while the page is open.
 */
describe('dashboard in Chromium', () => {
  let s: Stack;
  let dev: MqttClient;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  const outside: string[] = [];
  const pageErrors: string[] = [];
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    s = await startStack({
      demoWriteToken: true,
      plans: [
        plan({
          tripId: 'T-E2E-0001',
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
    dev = await device(s.broker.url, 'acme-00042');
    profile = mkdtempSync(join(tmpdir(), 'sw-e2e-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1400, height: 1000 },
    });
    browser.on('request', (r) => {
      if (!r.url().startsWith(s.api.url) && !r.url().startsWith('data:')) outside.push(r.url());
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await dev?.endAsync();
    await s?.stop();
  });

  it('shows an alert arriving live, its track and evidence, and acknowledges it', async () => {
    await page.goto(`${s.api.dashboardUrl}#token=${s.api.demoWriteToken}`);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    // the token left the address bar (it stays in this tab's sessionStorage only)
    expect(page.url()).not.toContain('token=');
    const land = await page.getAttribute('#layer-land path', 'd');
    expect(land!.length).toBeGreaterThan(10_000);
    expect(await page.locator('#layer-zones path.zone').count()).toBe(3);
    expect(await page.locator('#alerts li').count()).toBe(0);

    // A door opened at sea, published over MQTT while the page is open.
    const gps = (id: string, msAgo: number, lat: number, lon: number) => dev.publishAsync('ssd/json/acme-00042/gps', JSON.stringify({ msgId: id, containerId: 'MSCU1234566', ts: iso(msAgo), lat, lon, speedKn: 15.5 }), { qos: 1 });
    await gps('g1', 30 * 60_000, 45.6, -7.9);
    await gps('g2', 20 * 60_000, 45.5, -8.0);
    await gps('g3', 10 * 60_000, 45.45, -8.05);
    await dev.publishAsync('ssd/json/acme-00042/light', JSON.stringify({ msgId: 'l1', containerId: 'MSCU1234566', ts: iso(9.5 * 60_000), lux: 0 }), { qos: 1 });
    await dev.publishAsync('ssd/json/acme-00042/door', JSON.stringify({ msgId: 'd1', containerId: 'MSCU1234566', ts: iso(9 * 60_000), state: 'open' }), { qos: 1 });
    await dev.publishAsync('ssd/json/acme-00042/temp', JSON.stringify({ msgId: 't1', containerId: 'MSCU1234566', ts: iso(8 * 60_000), celsius: 14.5 }), { qos: 1 });
    await gps('g4', 5 * 60_000, 45.4, -8.1);

    const item = page.locator('#alerts li[data-alert-id]').first();
    await item.waitFor({ timeout: 20_000 });
    const alertId = (await item.getAttribute('data-alert-id'))!;
    expect(await item.textContent()).toContain('DOOR_OPEN_IN_TRANSIT');
    expect(await item.getAttribute('data-status')).toBe('open');
    await page.waitForSelector(`#layer-alerts path[data-alert-id="${alertId}"]`, { timeout: 10_000 });
    await page.waitForSelector('#layer-containers circle[data-container="MSCU1234566"].has-alerts', { timeout: 10_000 });

    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'dashboard-world.png') });
    await item.click();
    await page.waitForSelector('#selected-track', { timeout: 10_000 });
    expect(Number(await page.getAttribute('#selected-track', 'data-points'))).toBe(4);
    expect(await page.locator('#layer-selected circle.fix').count()).toBe(4);
    await page.waitForSelector('#evidence-list li.evidence[data-kind="door"]');
    const kinds = await page.locator('#evidence-list li').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(['location', 'location', 'location', 'light', 'door', 'temperature', 'location']);
    expect(await page.locator('#timeline circle.dot.evidence').count()).toBeGreaterThan(0);
    expect(await page.textContent('#detail-title')).toContain('open');

    await page.click('#ack');
    await page.waitForSelector('#detail[data-status="acknowledged"]', { timeout: 10_000 });
    await page.waitForSelector(`#alerts li[data-alert-id="${alertId}"][data-status="acknowledged"]`);
    const viaApi = await getJson<AlertView>(`${s.api.url}/api/alerts/${alertId}`);
    expect(viaApi.body.status).toBe('acknowledged');
    expect(viaApi.body.history).toEqual([expect.objectContaining({ action: 'acknowledge', by: 'demo-writer' })]);
    expect(await page.locator('#history li[data-action="acknowledge"]').count()).toBe(1);

    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
    expect(existsSync(join(SHOTS, 'dashboard.png'))).toBe(true);
    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
