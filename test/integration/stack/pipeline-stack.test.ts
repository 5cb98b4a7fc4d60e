import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { InfluxDB } from '@influxdata/influxdb-client';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS } from '../../../src/bus/topics.js';
import { createLogger } from '../../../src/log.js';
import { AlertSchema, type Alert } from '../../../src/model/alert.js';
import { defaultPorts } from '../../../src/geo/ports.js';
import { parseWireReading } from '../../../src/model/reading.js';
import { newTripDirectory, startPipeline, type Pipeline } from '../../../src/pipeline/app.js';
import { plan } from '../../helpers/fixtures.js';
import { addDevice, stackConfig, waitFor } from '../../helpers/stack.js';

/**
 * The production shape on real services: mqtt.js -> Mosquitto -> sealwatch
 * ingest -> Kafka -> rule engine (consumer group) -> Kafka alerts + InfluxDB.
 */
describe('pipeline on the stack (Mosquitto, Kafka, InfluxDB)', () => {
  const run = randomUUID().slice(0, 8);
  const device = `acme-${run}`;
  const config = stackConfig([`kafka.groupId=sw-test-${run}`, `mqtt.clientId=sw-test-ingest-${run}`, 'mqtt.cleanSession=true', 'engine.reorderWindowMs=500', 'engine.idleFlushMs=100', 'influx.flushIntervalMs=200']);
  const bus = new KafkaBus(config.kafka);
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  const containerId = 'MSCU1234566';
  const tripId = `T-STACK-${run}`;
  let pipeline: Pipeline;
  let client: MqttClient;
  let telemetryFrom: Map<number, string>;
  let deadFrom: Map<number, string>;
  let alertsFrom: Map<number, string>;
  const raised: Alert[] = [];

  beforeAll(async () => {
    const trips = newTripDirectory(config);
    trips.upsert(plan({ tripId, deviceId: device, departure: iso(48 * 3_600_000), eta: new Date(now + 10 * 86_400_000).toISOString() }));
    await bus.ensureTopics([
      { topic: TOPICS.telemetry, partitions: 6 },
      { topic: TOPICS.deadletter, partitions: 1 },
      { topic: TOPICS.alerts, partitions: 3 },
    ]);
    telemetryFrom = await bus.endOffsets(TOPICS.telemetry);
    deadFrom = await bus.endOffsets(TOPICS.deadletter);
    alertsFrom = await bus.endOffsets(TOPICS.alerts);
    pipeline = await startPipeline({ config, ports: defaultPorts(), trips, log: createLogger('warn'), rulesFromNow: true, extraSinks: [{ name: 'test', write: async (a) => void raised.push(...a), close: async () => {} }] });
    addDevice(device, `pw-${run}`);
    client = await mqtt.connectAsync(config.mqtt.url, { clientId: device, username: device, password: `pw-${run}` });
  });

  afterAll(async () => {
    await client?.endAsync();
    await pipeline?.stop();
    await bus.close();
  });

  it('readings published by a device to Mosquitto appear on sealwatch.telemetry.v1, keyed by container', async () => {
    for (const [i, ago] of [20, 10, 5].entries()) {
      await client.publishAsync(`ssd/json/${device}/gps`, JSON.stringify({ msgId: `g${i}-${run}`, containerId, ts: iso(ago * 60_000), lat: 45.5 - i * 0.05, lon: -8 - i * 0.05, speedKn: 15.2 }), { qos: 1 });
    }
    await client.publishAsync(`ssd/json/${device}/door`, JSON.stringify({ msgId: `d0-${run}`, containerId, ts: iso(9 * 60_000), state: 'open' }), { qos: 1 });
    const mine = await waitFor(
      '4 readings on the telemetry topic',
      60_000,
      async () => {
        const got = (await bus.readAll(TOPICS.telemetry, telemetryFrom)).filter((m) => m.value.toString().includes(run));
        return got.length >= 4 ? got : undefined;
      },
      500,
    );
    expect(mine.every((m) => m.key === containerId)).toBe(true);
    expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
    const readings = mine.map((m) => parseWireReading(m.value.toString()));
    expect(readings.map((r) => r.kind).sort()).toEqual(['door', 'location', 'location', 'location']);
    expect(readings.every((r) => r.tripId === tripId && r.deviceId === device)).toBe(true);
  });

  it('garbage appears on sealwatch.deadletter.v1 with its reason', async () => {
    await client.publishAsync(`ssd/json/${device}/door`, `{"msgId": "broken-${run}"`, { qos: 1 });
    await client.publishAsync(`ssd/json/${device}/door`, JSON.stringify({ msgId: `bad-${run}`, containerId: 'MSCU1234567', ts: iso(60_000), state: 'open' }), { qos: 1 });
    const dead = await waitFor(
      '2 dead letters',
      60_000,
      async () => {
        const got = (await bus.readAll(TOPICS.deadletter, deadFrom)).map((m) => JSON.parse(m.value.toString())).filter((d) => String(d.payload).includes(run));
        return got.length >= 2 ? got : undefined;
      },
      500,
    );
    expect(dead.map((d) => d.reason).sort()).toEqual(['bad-container-number', 'invalid-json']);
    expect(dead.every((d) => d.topic === `ssd/json/${device}/door`)).toBe(true);
  });

  it('the alert appears on sealwatch.alerts.v1 and in InfluxDB with the measurements and tags of WIRE section 6', async () => {
    const alert = await waitFor('the door alert', 60_000, () => raised.find((a) => a.tripId === tripId));
    expect(alert).toMatchObject({ rule: 'DOOR_OPEN_IN_TRANSIT', severity: 'critical', containerId, tripId, deviceId: device });
    const onKafka = await waitFor(
      'the alert on Kafka',
      60_000,
      async () => {
        const got = (await bus.readAll(TOPICS.alerts, alertsFrom)).map((m) => ({ key: m.key, alert: AlertSchema.parse(JSON.parse(m.value.toString())) })).filter((x) => x.alert.alertId === alert.alertId);
        return got.length ? got : undefined;
      },
      500,
    );
    expect(onKafka[0]!.key).toBe(containerId);
    const query = new InfluxDB({ url: config.influx.url, token: config.influx.token ?? '' }).getQueryApi(config.influx.org);
    const flux = (q: string) => query.collectRows<Record<string, unknown>>(q);
    const alertRows = await waitFor(
      'the alert point in InfluxDB',
      60_000,
      async () => {
        const rows = await flux(`from(bucket: "${config.influx.bucket}") |> range(start: -30d) |> filter(fn: (r) => r._measurement == "alert" and r.trip_id == "${tripId}")`);
        return rows.length ? rows : undefined;
      },
      500,
    );
    const fields = Object.fromEntries(alertRows.map((r) => [r._field, r._value]));
    expect(fields).toMatchObject({ alert_id: alert.alertId, summary: alert.summary, detected_at: alert.detectedAt });
    expect(alertRows[0]).toMatchObject({ rule: 'DOOR_OPEN_IN_TRANSIT', severity: 'critical', container_id: containerId, trip_id: tripId, incident: alert.alertId });
    expect(new Date(String(alertRows[0]!._time)).toISOString()).toBe(alert.startedAt);
    const locRows = await waitFor(
      'location points',
      60_000,
      async () => {
        const rows = await flux(`from(bucket: "${config.influx.bucket}") |> range(start: -30d) |> filter(fn: (r) => r._measurement == "location" and r.trip_id == "${tripId}" and r._field == "speed_kn")`);
        return rows.length >= 3 ? rows : undefined;
      },
      500,
    );
    expect(locRows[0]).toMatchObject({ container_id: containerId, device_id: device, format: 'json-v1', _value: 15.2 });
    const doorRows = await flux(`from(bucket: "${config.influx.bucket}") |> range(start: -30d) |> filter(fn: (r) => r._measurement == "door" and r.trip_id == "${tripId}")`);
    expect(doorRows.map((r) => [r._field, r._value])).toEqual([['open', true]]);
  });
});
