import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/ingest/embedded-broker.js';
import { packagePath } from '../../../src/paths.js';
import { readCapture } from '../../../src/replay/capture.js';
import { Acl } from '../../../src/ingest/auth-acl.js';
import { CredentialStore } from '../../../src/ingest/auth-passwords.js';

/** `sealwatch record` writes what a real broker delivers as a capture file (WIRE section 4). */
describe('sealwatch record', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    execFileSync(process.execPath, [packagePath('scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
    // A recorder account that reads everything and a publisher that writes anywhere, so a topic outside the root reaches the broker.
    const credentials = new CredentialStore().add('recorder', 'rec-pw').add('pub', 'pub-pw');
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, auth: { credentials, acl: Acl.parse('user recorder\ntopic read #\nuser pub\ntopic write #\n', 'test ACL'), allowAnonymous: false } });
  }, 300_000);
  afterAll(async () => broker?.close());

  it('records text and binary payloads with their arrival times, in order', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sw-record-')), 'rec.ndjson.gz');
    const child = spawn(process.execPath, [packagePath('dist', 'src', 'cli.js'), 'record', '--broker', broker.url!, '--username', 'recorder', '--out', out, '--duration', '12'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SEALWATCH_LOG_LEVEL: 'info', SEALWATCH_RECORD_PASSWORD: 'rec-pw' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // wait until the recorder has subscribed (it logs replay.recording)
    const deadline = Date.now() + 20_000;
    while (!stderr.includes('replay.recording') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const pub = await mqtt.connectAsync(broker.url!, { username: 'pub', password: 'pub-pw' });
    const before = Date.now();
    await pub.publishAsync('ssd/csv/sat-0091', '4711;D;1767780030;1', { qos: 1 });
    await pub.publishAsync('ssd/csv/sat-0091', Buffer.from([0x34, 0xff, 0x00]), { qos: 1 });
    await pub.publishAsync('elsewhere/x', 'not under the root', { qos: 1 });
    await pub.endAsync();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout.trim())).toEqual({ recorded: 2, out });
    const got = [];
    for await (const m of readCapture(out)) got.push(m);
    expect(got.map((m) => [m.topic, m.payload.toString('hex')])).toEqual([
      ['ssd/csv/sat-0091', Buffer.from('4711;D;1767780030;1').toString('hex')],
      ['ssd/csv/sat-0091', '34ff00'],
    ]);
    expect(got[0]!.t).toBeGreaterThanOrEqual(before - 1000);
    expect(got[1]!.t).toBeGreaterThanOrEqual(got[0]!.t);
  }, 60_000);
});
