import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { InfluxDB } from '@influxdata/influxdb-client';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS } from '../../../src/bus/topics.js';
import { stackEnv } from '../../../src/cli/common.js';
import { brokerAuthFromConfig, startEmbeddedBroker } from '../../../src/ingest/embedded-broker.js';
import { createLogger } from '../../../src/log.js';
import { AlertSchema, alertId, type Alert } from '../../../src/model/alert.js';
import { defaultPorts } from '../../../src/geo/ports.js';
import { newTripDirectory, startPipeline, type Pipeline } from '../../../src/pipeline/app.js';
import { plan, testConfig } from '../../helpers/fixtures.js';
import { addDevice, stackConfig, waitFor } from '../../helpers/stack.js';

/**
 * Device security on the stack's Mosquitto (MQTT 5; TLS listener on 8884 with
 * the certificates stack.sh made): the pipeline ingests over TLS into Kafka
 * and InfluxDB; a wrong password, a publish outside the ACL and a spoofed
 * container are refused or dead-lettered. The same password and ACL files
 * then drive the embedded aedes broker.
 */
describe('device security on Mosquitto (stack)', () => {
  const run = randomUUID().slice(0, 8);
  const env = stackEnv();
  const tlsUrl = env.SEALWATCH_MQTT_TLS_URL!;
  const ca = readFileSync(env.SEALWATCH_MQTT_CA_FILE!);
  const devA = `acme-a-${run}`;
  const devB = `acme-b-${run}`;
  const pw = (d: string) => `pw-${d}`;
  const boxA = 'MSCU1234566';
  const boxB = 'TGHU7654320';
  const tripA = `T-SEC-A-${run}`;
  const tripB = `T-SEC-B-${run}`;
  const config = stackConfig([`kafka.groupId=sw-sec-${run}`, `mqtt.clientId=sw-sec-ingest-${run}`, 'mqtt.cleanSession=true', `mqtt.url=${tlsUrl}`, 'engine.reorderWindowMs=500', 'engine.idleFlushMs=100', 'influx.flushIntervalMs=200']);
  const bus = new KafkaBus(config.kafka);
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  const clients: MqttClient[] = [];
  const raised: Alert[] = [];
  let pipeline: Pipeline;
  let from: Record<'raw' | 'deadletter' | 'alerts', Map<number, string>>;

  const connect = async (url: string, o: IClientOptions) => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 5, ...o });
    clients.push(c);
    return c;
  };
  const device = (d: string, o: IClientOptions = {}) => connect(config.mqtt.url, { clientId: d, username: d, password: pw(d), ca, ...o });

  beforeAll(async () => {
    const trips = newTripDirectory(config);
    const window = { departure: iso(48 * 3_600_000), eta: new Date(now + 10 * 86_400_000).toISOString() };
    trips.upsert(plan({ tripId: tripA, deviceId: devA, containerId: boxA, ...window }));
    trips.upsert(plan({ tripId: tripB, deviceId: devB, containerId: boxB, ...window }));
    await bus.ensureTopics([
      { topic: TOPICS.raw, partitions: 6 },
      { topic: TOPICS.deadletter, partitions: 1 },
      { topic: TOPICS.alerts, partitions: 3 },
    ]);
    from = { raw: await bus.endOffsets(TOPICS.raw), deadletter: await bus.endOffsets(TOPICS.deadletter), alerts: await bus.endOffsets(TOPICS.alerts) };
    addDevice(devA, pw(devA));
    addDevice(devB, pw(devB));
    // the pipeline's listener connects to Mosquitto's TLS listener, trusting the stack's CA (mqtt.caFile from .stack/env)
    pipeline = await startPipeline({ config, ports: defaultPorts(), trips, log: createLogger('warn'), rulesFromNow: true, extraSinks: [{ name: 'test', write: async (a) => void raised.push(...a), close: async () => {} }] });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await pipeline?.stop();
    await bus.close();
  });

  it('refuses a wrong password with a CONNACK error, on the plain and the TLS listener', async () => {
    await expect(connect(env.SEALWATCH_MQTT_URL!, { clientId: devA, username: devA, password: 'wrong' })).rejects.toMatchObject({ code: 0x87 });
    await expect(connect(tlsUrl, { clientId: devA, username: devA, password: pw(devB), ca })).rejects.toMatchObject({ code: 0x87 });
    await expect(connect(tlsUrl, { clientId: devA, username: devA, password: 'wrong', ca, protocolVersion: 4 })).rejects.toMatchObject({ code: 5 });
  });

  it('refuses a publish outside the ACL with PUBACK 0x87; it never reaches the pipeline', async () => {
    const a = await device(devA);
    await expect(a.publishAsync(`ssd/json/${devB}/door`, JSON.stringify({ msgId: `deny-${run}`, containerId: boxB, ts: iso(60_000), state: 'open' }), { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await expect(a.publishAsync(`ssd/batch/VSL-${run}`, '{}', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    // a permitted message afterwards: once the pipeline has it, a delivered denied one would be there too (one connection, in order)
    await a.publishAsync(`ssd/json/${devA}/gps`, JSON.stringify({ msgId: `fence-${run}`, containerId: boxA, ts: iso(50_000), lat: 45.5, lon: -8, speedKn: 14 }), { qos: 1 });
    const raw = await waitFor(
      'the fence on sealwatch.raw.v1',
      60_000,
      async () => {
        const got = (await bus.readAll(TOPICS.raw, from.raw)).map((m) => `${m.key} ${m.value.toString()}`).filter((s) => s.includes(run));
        return got.some((s) => s.includes(`fence-${run}`)) ? got : undefined;
      },
      500,
    );
    expect(raw.filter((s) => s.includes(`deny-${run}`) || s.includes(`VSL-${run}`))).toEqual([]);
  });

  it('a spoofed container is dead-lettered as device-container-mismatch and raises one high alert, on Kafka and in InfluxDB', async () => {
    const b = await device(devB);
    for (const i of [0, 1, 2]) await b.publishAsync(`ssd/json/${devB}/door`, JSON.stringify({ msgId: `spoof-${i}-${run}`, containerId: boxA, ts: iso((30 - i) * 60_000), state: 'open' }), { qos: 1 });
    const dead = await waitFor(
      '3 mismatch dead letters',
      60_000,
      async () => {
        const got = (await bus.readAll(TOPICS.deadletter, from.deadletter)).map((m) => JSON.parse(m.value.toString())).filter((d) => String(d.payload).includes(`-${run}`));
        return got.length >= 3 ? got : undefined;
      },
      500,
    );
    expect(dead.map((d) => d.reason)).toEqual(['device-container-mismatch', 'device-container-mismatch', 'device-container-mismatch']);
    const id = alertId('DEVICE_CONTAINER_MISMATCH', boxA, tripB, devB);
    const onKafka = await waitFor(
      'the alert on sealwatch.alerts.v1',
      60_000,
      async () => {
        const got = (await bus.readAll(TOPICS.alerts, from.alerts))
          .map((m) => ({ key: m.key, alert: AlertSchema.parse(JSON.parse(m.value.toString())) }))
          .filter((x) => x.alert.rule === 'DEVICE_CONTAINER_MISMATCH' && x.alert.deviceId === devB);
        return got.length ? got : undefined;
      },
      500,
    );
    expect(onKafka.map((x) => [x.key, x.alert.alertId, x.alert.severity, x.alert.tripId])).toEqual([[boxA, id, 'high', tripB]]);
    expect(onKafka[0]!.alert.summary).toBe(`Possible spoofed or swapped device: device ${devB} reports for container ${boxA}, but trip ${tripB} binds it to container ${boxB}, and trip ${tripA} binds ${boxA} to device ${devA}`);
    expect(raised.filter((a) => a.rule === 'DEVICE_CONTAINER_MISMATCH').map((a) => a.alertId)).toEqual([id]);
    const query = new InfluxDB({ url: config.influx.url, token: config.influx.token ?? '' }).getQueryApi(config.influx.org);
    const rows = await waitFor(
      'the alert point in InfluxDB',
      60_000,
      async () => {
        const r = await query.collectRows<Record<string, unknown>>(`from(bucket: "${config.influx.bucket}") |> range(start: -30d) |> filter(fn: (r) => r._measurement == "alert" and r.trip_id == "${tripB}" and r._field == "alert_id")`);
        return r.length ? r : undefined;
      },
      500,
    );
    expect(rows.map((r) => [r.rule, r.severity, r.container_id, r._value])).toEqual([['DEVICE_CONTAINER_MISMATCH', 'high', boxA, id]]);
  });

  it('TLS works with the stack CA; a plain client cannot talk to the TLS port', async () => {
    const secure = await device(devA, { protocolVersion: 4 });
    expect(secure.connected).toBe(true);
    const plainOnTls = await new Promise<string>((resolve) => {
      const c = mqtt.connect(tlsUrl.replace(/^mqtts:/, 'mqtt:'), { clientId: `plain-${run}`, username: devA, password: pw(devA), reconnectPeriod: 0, connectTimeout: 5000 });
      const done = (how: string) => {
        c.end(true);
        resolve(how);
      };
      c.once('connect', () => done('connected'));
      c.once('error', (e) => done(`error: ${e.message}`));
      c.once('close', () => done('closed'));
    });
    expect(plainOnTls).not.toBe('connected');
  });

  it("aedes reads Mosquitto's own password and ACL files: one set of files for both brokers", async () => {
    const conf = `${env.SEALWATCH_MQTT_CA_FILE!.replace(/\/tls\/ca\.crt$/, '')}`;
    const eb = testConfig([`embeddedBroker.passwordFile=${conf}/passwd`, `embeddedBroker.aclFile=${conf}/acl`]).embeddedBroker;
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, auth: brokerAuthFromConfig(eb, 'ssd') });
    try {
      // the hash mosquitto_passwd wrote for devA verifies in aedes
      const a = await connect(broker.url!, { clientId: devA, username: devA, password: pw(devA), protocolVersion: 4 });
      await a.publishAsync(`ssd/json/${devA}/door`, 'own topic', { qos: 1 });
      await expect(connect(broker.url!, { clientId: devA, username: devA, password: 'wrong', protocolVersion: 4 })).rejects.toMatchObject({ code: 4 });
      const closed = new Promise<void>((r) => a.once('close', () => r()));
      a.publishAsync(`ssd/json/${devB}/door`, 'not mine', { qos: 1 }).catch(() => {});
      await closed;
      expect(broker.denied).toEqual({ connect: 1, publish: 1, subscribe: 0 });
    } finally {
      await broker.close();
    }
  });
});
