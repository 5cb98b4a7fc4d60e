import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/ingest/embedded-broker.js';
import { packagePath } from '../../../src/paths.js';
import { login, testBrokerAuth, testPassword } from '../../helpers/broker-auth.js';

/**
 * `sealwatch run` stops gracefully on SIGTERM: it stops taking messages,
 * lets the stages finish what they hold, closes its sinks and exits 0,
 * reporting what it processed.
 */
describe('sealwatch run: graceful shutdown', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    execFileSync(process.execPath, [packagePath('scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, auth: testBrokerAuth() });
  }, 300_000);
  afterAll(async () => broker?.close());

  it('SIGTERM: drains, reports its counts and exits 0', async () => {
    const child = spawn(process.execPath, [packagePath('dist', 'src', 'cli.js'), 'run', '--set', `mqtt.url=${broker.url}`, '--set', 'api.enabled=false', '--set', 'mqtt.clientId=sw-shutdown-test'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SEALWATCH_LOG_LEVEL: 'info', SEALWATCH_MQTT_USERNAME: 'sealwatch', SEALWATCH_MQTT_PASSWORD: testPassword('sealwatch') },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 30_000;
    while (!out.includes('pipeline.running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('pipeline.running');

    const pub = await mqtt.connectAsync(broker.url, login('acme-00042'));
    const n = 40;
    for (let i = 0; i < n; i++) {
      const ts = new Date(Date.now() - 60_000 + i * 1000).toISOString();
      await pub.publishAsync('ssd/json/acme-00042/temp', JSON.stringify({ msgId: `s-${i}`, containerId: 'MSCU1234566', ts, celsius: 4.5 }), { qos: 1 });
    }
    await pub.endAsync();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 40_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code, out).toBe(0);
    const stopped = out.split('\n').filter((l) => l.includes('"pipeline.stopped"')).map((l) => JSON.parse(l));
    expect(stopped).toHaveLength(1);
    // every acknowledged publish was taken in and normalised before the exit
    expect(stopped[0].ingest.messages).toBe(n);
    expect(stopped[0].ingest.readings).toBe(n);
    expect(stopped[0].rules.readings).toBe(n);
    expect(out).toContain('"signal":"SIGTERM"');
  }, 90_000);
});
