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
  let url: string;
  beforeAll(async () => {
    execFileSync(process.execPath, [packagePath('scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, auth: testBrokerAuth() });
    if (broker.url === null) throw new Error('the test broker opened no plain MQTT listener');
    url = broker.url;
  }, 300_000);
  afterAll(async () => broker?.close());

  /** Starts `sealwatch run` on the test broker with a persistent session; stop() sends SIGTERM and returns its exit code and stop summary. */
  async function startRun() {
    const child = spawn(process.execPath, [packagePath('dist', 'src', 'cli.js'), 'run', '--set', `mqtt.url=${url}`, '--set', 'api.enabled=false', '--set', 'mqtt.clientId=sw-shutdown-test'], {
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
    return {
      async stop() {
        child.kill('SIGTERM');
        const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 40_000))]);
        if (code === 'hung') child.kill('SIGKILL');
        const stopped = out
          .split('\n')
          .filter((l) => l.includes('"pipeline.stopped"'))
          .map((l) => JSON.parse(l));
        return { code, out, stopped };
      },
    };
  }

  it('SIGTERM: drains, reports its counts and exits 0; what was in transit comes with the next start', async () => {
    const first = await startRun();
    const pub = await mqtt.connectAsync(url, login('acme-00042'));
    const n = 40;
    for (let i = 0; i < n; i++) {
      const ts = new Date(Date.now() - 60_000 + i * 1000).toISOString();
      await pub.publishAsync('ssd/json/acme-00042/temp', JSON.stringify({ msgId: `s-${i}`, containerId: 'MSCU1234566', ts, celsius: 4.5 }), { qos: 1 });
    }
    await pub.endAsync();
    const a = await first.stop(); // at once: some messages may still be on their way from the broker
    expect(a.code, a.out).toBe(0);
    expect(a.stopped).toHaveLength(1);
    expect(a.out).toContain('"signal":"SIGTERM"');
    const m1 = a.stopped[0].ingest.messages as number;
    expect(m1).toBeLessThanOrEqual(n);
    // what it took in, it normalised and the rules stage consumed before exiting
    expect(a.stopped[0].ingest.readings).toBe(m1);
    expect(a.stopped[0].rules.readings).toBe(m1);

    // the broker kept the rest for the persistent session: the next start takes it in
    const second = await startRun();
    await new Promise((r) => setTimeout(r, 3000));
    const b = await second.stop();
    expect(b.code, b.out).toBe(0);
    expect(m1 + (b.stopped[0].ingest.messages as number)).toBeGreaterThanOrEqual(n);
  }, 120_000);
});
