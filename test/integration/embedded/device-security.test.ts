import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { MemoryBus } from '../../../src/bus/memory.js';
import { TOPICS } from '../../../src/bus/topics.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/ingest/embedded-broker.js';
import { createLogger } from '../../../src/log.js';
import { alertId, type Alert } from '../../../src/model/alert.js';
import { defaultPorts } from '../../../src/geo/ports.js';
import { newTripDirectory, startPipeline, type Pipeline } from '../../../src/pipeline/app.js';
import type { TripDirectory } from '../../../src/trips/directory.js';
import { captureLine } from '../../../src/replay/capture.js';
import { replayCapture } from '../../../src/replay/replay.js';
import { asServiceAccount, login, testBrokerAuth, testPassword } from '../../helpers/broker-auth.js';
import { plan, testConfig } from '../../helpers/fixtures.js';
import { makeTestCa, type TestCa } from '../../helpers/tls.js';
import { connectPublisher } from '../../../simulators/publish.js';

/**
 * The embedded aedes broker on 127.0.0.1 with accounts, the built-in ACL and a
 * TLS listener (certificates made at test time); the pipeline's listener
 * connects over TLS with mqtt.caFile; devices connect with mqtt.js.
 */
describe('device security on the embedded broker (aedes)', () => {
  let tls: TestCa;
  let broker: EmbeddedBroker;
  let pipeline: Pipeline;
  const bus = new MemoryBus();
  const alerts: Alert[] = [];
  const clients: MqttClient[] = [];
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  let alertsFile: string;
  let trips: TripDirectory;
  let config: ReturnType<typeof testConfig>;

  const connect = async (url: string, o: IClientOptions) => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...o });
    clients.push(c);
    return c;
  };
  /** Connects once, no retries: 'connected', or how it failed ('closed' when the socket just closed). */
  const attempt = (url: string, o: IClientOptions) =>
    new Promise<string>((resolve) => {
      const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 3000, ...o });
      const done = (how: string) => {
        c.end(true);
        resolve(how);
      };
      c.once('connect', () => done('connected'));
      c.once('error', (err) => done(`error: ${err.message}`));
      c.once('close', () => done('closed'));
    });
  const rawTopics = () => bus.read(TOPICS.raw).map((m) => m.headers['mqtt-topic']);
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
    if (!ok()) throw new Error(`gave up waiting for ${what}`);
  };

  beforeAll(async () => {
    tls = makeTestCa();
    alertsFile = join(tls.dir, 'alerts.ndjson');
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, auth: testBrokerAuth(), tls: { port: 0, cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } });
    config = asServiceAccount(testConfig(['engine.reorderWindowMs=200', 'engine.idleFlushMs=50', 'mqtt.clientId=sw-security-ingest', `mqtt.caFile=${tls.caFile}`, `sinks.alertsFile=${alertsFile}`]));
    trips = newTripDirectory(config);
    const window = { departure: iso(48 * 3_600_000), eta: new Date(now + 10 * 86_400_000).toISOString() };
    trips.upsert(plan({ tripId: 'T-A', deviceId: 'acme-00042', containerId: 'MSCU1234566', ...window }));
    trips.upsert(plan({ tripId: 'T-B', deviceId: 'acme-00077', containerId: 'TGHU7654320', ...window }));
    pipeline = await startPipeline({ config, ports: defaultPorts(), trips, log: createLogger('silent'), mqttUrl: broker.tlsUrl!, bus, extraSinks: [{ name: 'test', write: async (a) => void alerts.push(...a), close: async () => {} }] });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await pipeline?.stop();
    await broker?.close();
    if (tls) rmSync(tls.dir, { recursive: true, force: true });
  });

  it('refuses a wrong password, an unknown user and an anonymous client with a CONNACK error', async () => {
    await expect(connect(broker.url!, { clientId: 'acme-00042', username: 'acme-00042', password: 'not-the-password' })).rejects.toMatchObject({ code: 4 }); // bad username or password
    await expect(connect(broker.url!, { clientId: 'x', username: 'acme-00042', password: testPassword('acme-00077') })).rejects.toMatchObject({ code: 4 });
    await expect(connect(broker.url!, { clientId: 'x', username: 'nobody', password: 'pw' })).rejects.toMatchObject({ code: 4 });
    await expect(connect(broker.url!, { clientId: 'anon' })).rejects.toMatchObject({ code: 5 }); // not authorised
    expect(broker.denied.connect).toBe(4);
    const ok = await connect(broker.url!, login('acme-00042'));
    expect(ok.connected).toBe(true);
  });

  it("a publish outside the device's ACL closes its connection (MQTT 3.1.1 has no negative PUBACK) and never reaches the pipeline", async () => {
    const before = pipeline.ingest.counts.messages;
    const dev = await connect(broker.url!, login('acme-00042'));
    const closed = new Promise<void>((r) => dev.once('close', () => r()));
    const denied = dev.publishAsync('ssd/json/acme-00077/door', JSON.stringify({ msgId: 'spoof-1', containerId: 'TGHU7654320', ts: iso(60_000), state: 'open' }), { qos: 1 });
    denied.catch(() => {}); // never acknowledged: the broker closes the connection instead
    await closed;
    expect(broker.denied.publish).toBe(1);
    // A permitted message afterwards, as a fence: once it is on the bus, a delivered denied one would be too.
    const again = await connect(broker.url!, login('acme-00042'));
    await again.publishAsync('ssd/json/acme-00042/gps', JSON.stringify({ msgId: 'fence-1', containerId: 'MSCU1234566', ts: iso(50_000), lat: 45.5, lon: -8, speedKn: 14 }), { qos: 1 });
    await until('the fence on the raw topic', () => rawTopics().includes('ssd/json/acme-00042/gps'));
    expect(rawTopics()).not.toContain('ssd/json/acme-00077/door');
    expect(pipeline.ingest.counts.messages).toBe(before + 1);
  });

  it("a device's will on another device's topic is checked like a publish and never delivered", async () => {
    const deniedBefore = broker.denied.publish;
    const dev = await connect(broker.url!, { ...login('acme-00042'), clientId: 'acme-00042-will', will: { topic: 'ssd/json/acme-00077/door', payload: Buffer.from('forged will'), qos: 1, retain: false } });
    dev.stream.destroy(); // an ungraceful end: the broker publishes the will
    await until('the will refused', () => broker.denied.publish > deniedBefore);
    const fence = await connect(broker.url!, { ...login('acme-00042'), clientId: 'acme-00042-fence' });
    await fence.publishAsync('ssd/csv/acme-00042', '2;D;1767780030;0', { qos: 1 });
    await until('the fence on the raw topic', () => rawTopics().includes('ssd/csv/acme-00042'));
    expect(bus.read(TOPICS.raw).some((m) => m.value.toString() === 'forged will')).toBe(false);
  });

  it('a device may not subscribe (SUBACK 0x80), the service account may read the whole root', async () => {
    const dev = await connect(broker.url!, login('acme-00077'));
    const refused = await dev.subscribeAsync('ssd/#', { qos: 1 }).then(
      () => null,
      (err: { message: string; packet?: { granted?: number[] } }) => err,
    );
    expect(refused?.message).toMatch(/Subscribe error/);
    expect(refused?.packet?.granted).toEqual([128]);
    expect(dev.connected).toBe(true);
    const svc = await connect(broker.url!, { ...login('sealwatch'), clientId: 'sw-security-reader' });
    expect(await svc.subscribeAsync('ssd/#', { qos: 1 })).toEqual([{ topic: 'ssd/#', qos: 1 }]);
    await expect(svc.subscribeAsync('#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(broker.denied.subscribe).toBe(2);
  });

  it('a spoofed container is dead-lettered as device-container-mismatch and raises one high alert on every sink', async () => {
    const dev = await connect(broker.url!, login('acme-00042'));
    // acme-00042 is bound to MSCU1234566 (T-A); three readings claim TGHU7654320 (acme-00077's on T-B)
    for (const [i, ago] of [40, 30, 20].entries()) {
      await dev.publishAsync('ssd/json/acme-00042/door', JSON.stringify({ msgId: `swap-${i}`, containerId: 'TGHU7654320', ts: iso(ago * 60_000), state: i % 2 ? 'closed' : 'open' }), { qos: 1 });
    }
    // the broker acknowledges the device at once; the pipeline acknowledges the broker after the sinks wrote
    const deadOf = () =>
      bus
        .read(TOPICS.deadletter)
        .map((m) => JSON.parse(m.value.toString()))
        .filter((d) => d.reason === 'device-container-mismatch');
    // the sinks write concurrently and the dead letters may be out before them: wait for every sink's copy
    // (whole lines only: a line being appended is not read half-written)
    const inFileOf = () => {
      const text = existsSync(alertsFile) ? readFileSync(alertsFile, 'utf8') : '';
      return text
        .slice(0, text.lastIndexOf('\n') + 1)
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Alert)
        .filter((a) => a.rule === 'DEVICE_CONTAINER_MISMATCH');
    };
    await until('three mismatch dead letters and the alert in every sink', () => deadOf().length >= 3 && alerts.some((a) => a.rule === 'DEVICE_CONTAINER_MISMATCH') && inFileOf().length >= 1);
    const mismatch = alerts.filter((a) => a.rule === 'DEVICE_CONTAINER_MISMATCH');
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatchObject({
      alertId: alertId('DEVICE_CONTAINER_MISMATCH', 'TGHU7654320', 'T-A', 'acme-00042'),
      severity: 'high',
      containerId: 'TGHU7654320',
      tripId: 'T-A',
      deviceId: 'acme-00042',
      evidence: ['json-v1:acme-00042:swap-0'],
      summary: 'Possible spoofed or swapped device: device acme-00042 reports for container TGHU7654320, but trip T-A binds it to container MSCU1234566, and trip T-B binds TGHU7654320 to device acme-00077',
    });
    expect(deadOf().map((d) => JSON.parse(d.payload).msgId)).toEqual(['swap-0', 'swap-1', 'swap-2']);
    const onBus = bus
      .read(TOPICS.alerts)
      .map((m) => JSON.parse(m.value.toString()) as Alert)
      .filter((a) => a.rule === 'DEVICE_CONTAINER_MISMATCH');
    expect(onBus.map((a) => a.alertId)).toEqual([mismatch[0]!.alertId]);
    expect(inFileOf()).toEqual([mismatch[0]]);
    expect(
      bus
        .read(TOPICS.telemetry)
        .map((m) => m.value.toString())
        .some((v) => v.includes('swap-')),
    ).toBe(false);
  });

  it('TLS works with the CA; a plain MQTT client cannot talk to the TLS port, nor a TLS client that does not trust the CA', async () => {
    const secure = await connect(broker.tlsUrl!, { ...login('acme-00077'), ca: tls.ca });
    await secure.publishAsync('ssd/json/acme-00077/door', JSON.stringify({ msgId: 'tls-1', containerId: 'TGHU7654320', ts: iso(10_000), state: 'closed' }), { qos: 1 });
    await until('the TLS message on the raw topic', () => rawTopics().includes('ssd/json/acme-00077/door'));
    // the simulators' publisher, with --ca-file
    const fleet = await connectPublisher(broker.tlsUrl!, { clientId: 'sw-security-fleet', username: 'simulator', password: testPassword('simulator'), caFile: tls.caFile });
    clients.push(fleet);
    await fleet.publishAsync('ssd/csv/sat-0091', '1;D;1767780030;1', { qos: 1 });
    await until('the fleet message on the raw topic', () => rawTopics().includes('ssd/csv/sat-0091'));
    expect(await attempt(broker.tlsUrl!, { ...login('acme-00077'), ca: tls.ca })).toBe('connected');
    expect(await attempt(`mqtt://127.0.0.1:${broker.tlsPort}`, login('acme-00077'))).not.toBe('connected');
    expect(await attempt(broker.tlsUrl!, login('acme-00077'))).toMatch(/^error: .*(self[- ]signed|unable to (verify|get local issuer)|certificate)/i);
  });

  it('a capture of the live run replayed with `sealwatch replay` raises the same DEVICE_CONTAINER_MISMATCH alert', async () => {
    // the raw topic holds every MQTT message with its arrival time: a capture (WIRE section 4)
    const capture = join(tls.dir, 'live.ndjson');
    writeFileSync(
      capture,
      bus
        .read(TOPICS.raw)
        .map((m) => captureLine({ t: Date.parse(m.headers['received-at']!), topic: m.headers['mqtt-topic']!, payload: m.value }) + '\n')
        .join(''),
    );
    const replayed: Alert[] = [];
    const summary = await replayCapture(capture, { ...config, sinks: { alertsFile: null, console: false } }, trips, defaultPorts(), { name: 'test', write: async (a) => void replayed.push(...a), close: async () => {} }, { speed: 'max' });
    expect(summary.deadLetters['device-container-mismatch']).toBe(3);
    const live = alerts.filter((a) => a.rule === 'DEVICE_CONTAINER_MISMATCH');
    expect(replayed.filter((a) => a.rule === 'DEVICE_CONTAINER_MISMATCH')).toEqual(live);
  });
});
