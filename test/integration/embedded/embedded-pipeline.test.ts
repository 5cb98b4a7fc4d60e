import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { MemoryBus } from '../../../src/bus/memory.js';
import { TOPICS } from '../../../src/bus/topics.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/ingest/embedded-broker.js';
import { createLogger } from '../../../src/log.js';
import type { Alert } from '../../../src/model/alert.js';
import { defaultPorts } from '../../../src/geo/ports.js';
import { newTripDirectory, startPipeline, type Pipeline } from '../../../src/pipeline/app.js';
import { plan, testConfig } from '../../helpers/fixtures.js';
import { asServiceAccount, login, testBrokerAuth } from '../../helpers/broker-auth.js';

/**
 * MQTT over a real socket: mqtt.js publishes to the embedded aedes broker on
 * 127.0.0.1, the pipeline's listener (mqtt.js) ingests, the engine raises.
 */
describe('embedded pipeline over MQTT (aedes on 127.0.0.1)', () => {
  let broker: EmbeddedBroker;
  let pipeline: Pipeline;
  let device: MqttClient;
  const bus = new MemoryBus();
  const alerts: Alert[] = [];
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();

  beforeAll(async () => {
    const config = asServiceAccount(testConfig(['engine.reorderWindowMs=200', 'engine.idleFlushMs=50', 'mqtt.clientId=sw-test-ingest']));
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, auth: testBrokerAuth() });
    const trips = newTripDirectory(config);
    trips.upsert(plan({ departure: new Date(now - 48 * 3_600_000).toISOString(), eta: new Date(now + 10 * 86_400_000).toISOString() }));
    pipeline = await startPipeline({
      config,
      ports: defaultPorts(),
      trips,
      log: createLogger('silent'),
      mqttUrl: broker.url!,
      bus,
      extraSinks: [{ name: 'test', write: async (a) => void alerts.push(...a), close: async () => {} }],
    });
    device = await mqtt.connectAsync(broker.url!, login('acme-00042'));
  });

  afterAll(async () => {
    await device?.endAsync();
    await pipeline?.stop();
    await broker?.close();
  });

  it('a door opened at sea, published over MQTT, comes out as an alert on the bus', async () => {
    const gps = (id: string, msAgo: number, lat: number, lon: number) => device.publishAsync('ssd/json/acme-00042/gps', JSON.stringify({ msgId: id, containerId: 'MSCU1234566', ts: iso(msAgo), lat, lon, speedKn: 15.5 }), { qos: 1 });
    await gps('g1', 20 * 60_000, 45.5, -8.0);
    await gps('g2', 10 * 60_000, 45.45, -8.05);
    await device.publishAsync('ssd/json/acme-00042/door', JSON.stringify({ msgId: 'd1', containerId: 'MSCU1234566', ts: iso(9 * 60_000), state: 'open' }), { qos: 1 });
    await device.publishAsync('ssd/csv/acme-00042', '1;D;1767780030;1', { qos: 1 });
    await gps('g3', 5 * 60_000, 45.4, -8.1);
    const deadline = Date.now() + 10_000;
    while (alerts.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alerts.map((a) => a.rule)).toEqual(['DOOR_OPEN_IN_TRANSIT']);
    expect(alerts[0]!.severity).toBe('critical');
    const onBus = bus.read(TOPICS.alerts).map((m) => JSON.parse(m.value.toString()) as Alert);
    expect(onBus.map((a) => a.alertId)).toEqual([alerts[0]!.alertId]);
    expect(bus.read(TOPICS.alerts)[0]!.key).toBe('MSCU1234566');
    const telemetry = bus.read(TOPICS.telemetry);
    expect(telemetry).toHaveLength(4);
    const raw = bus.read(TOPICS.raw);
    expect(raw.length).toBe(5);
    expect(raw.map((m) => m.headers['mqtt-topic']).sort()).toEqual(['ssd/csv/acme-00042', 'ssd/json/acme-00042/door', 'ssd/json/acme-00042/gps', 'ssd/json/acme-00042/gps', 'ssd/json/acme-00042/gps']);
    expect(raw.every((m) => m.key === m.headers['mqtt-topic'] && !Number.isNaN(Date.parse(m.headers['received-at']!)))).toBe(true);
  });

  it('garbage is dead-lettered with its reason and the stream goes on', async () => {
    await device.publishAsync('ssd/json/acme-00042/door', '{not json', { qos: 1 });
    await device.publishAsync('ssd/json/acme-00042/door', JSON.stringify({ msgId: 'bad', containerId: 'MSCU1234567', ts: iso(60_000), state: 'open' }), { qos: 0 });
    // a device may publish only under its own id: the fleet account sends the unknown topic
    const fleet = await mqtt.connectAsync(broker.url!, login('simulator'));
    await fleet.publishAsync('ssd/unknown/x', 'x', { qos: 1 });
    await fleet.endAsync();
    await device.publishAsync('ssd/json/acme-00042/door', JSON.stringify({ msgId: 'd2', containerId: 'MSCU1234566', ts: iso(30_000), state: 'closed' }), { qos: 1 });
    const deadline = Date.now() + 10_000;
    const reasons = () => bus.read(TOPICS.deadletter).map((m) => JSON.parse(m.value.toString()).reason as string);
    while (reasons().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // the csv line of the first test was measured in January 2026, far beyond the past-age bound
    expect(reasons().sort()).toEqual(['bad-container-number', 'clock-skew', 'invalid-json', 'unknown-topic']);
    while (bus.read(TOPICS.telemetry).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(bus.read(TOPICS.telemetry)).toHaveLength(5);
  });
});
