import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/**
 * The local stack (scripts/stack.sh, started by global-setup.ts) through real sockets, with the
 * npm clients sealwatch itself uses and the settings `stack.sh up` wrote to .stack/env.
 */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const stackDir = process.env.SEALWATCH_STACK_DIR ?? join(repoRoot, '.stack');

function readStackEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(stackDir, 'env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

const env = readStackEnv();
const run = `${process.pid}-${Date.now()}`;

async function waitFor<T>(what: string, timeoutMs: number, poll: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Kafka (kafkajs against the stack broker)', () => {
  const kafka = new Kafka({ clientId: `stack-test-${run}`, brokers: env.SEALWATCH_KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const keyed = `stack-test.keyed.${run}`;
  const compacted = `stack-test.compacted.${run}`;
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [keyed, compacted] }).catch(() => {});
    await admin?.disconnect();
  });

  it('admin creates a 3-partition topic and a compacted topic', async () => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: keyed, numPartitions: 3, replicationFactor: 1 },
        { topic: compacted, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
    });
    expect(created).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [keyed, compacted] });
    expect(meta.topics.find((t) => t.name === keyed)?.partitions).toHaveLength(3);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2 /* TOPIC */, name: compacted, configNames: ['cleanup.policy'] }],
    });
    expect(configs.resources[0]!.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue).toBe('compact');
  });

  it('an idempotent producer (acks=-1) writes a keyed message that a consumer group reads and commits', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const consumer = kafka.consumer({ groupId: `stack-test-group-${run}` });
    try {
      await producer.connect();
      const [sent] = await producer.send({
        topic: keyed,
        acks: -1,
        messages: [{ key: 'CSQU3054383', value: '{"door":"open"}', headers: { 'mqtt-topic': 'ssd/json/dev-1/door' } }],
      });
      expect(sent!.errorCode).toBe(0);
      await producer.send({ topic: compacted, acks: -1, messages: [{ key: 'trip-1', value: '{"tripId":"trip-1"}' }] });

      const received: { partition: number; offset: string; key: string; value: string; header: string }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: keyed, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          received.push({
            partition,
            offset: message.offset,
            key: message.key!.toString(),
            value: message.value!.toString(),
            header: message.headers!['mqtt-topic']!.toString(),
          });
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        },
      });
      const got = await waitFor('the consumer group to receive the message', 30_000, () => received[0]);
      expect(got).toEqual({
        partition: sent!.partition,
        offset: sent!.baseOffset,
        key: 'CSQU3054383',
        value: '{"door":"open"}',
        header: 'ssd/json/dev-1/door',
      });
      await consumer.stop();
      const [committed] = await admin.fetchOffsets({ groupId: `stack-test-group-${run}`, topics: [keyed] });
      const partition = committed!.partitions.find((p) => p.partition === sent!.partition);
      expect(partition?.offset).toBe((BigInt(sent!.baseOffset!) + 1n).toString());
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });
});

describe('InfluxDB (influxdb-client against the stack server)', () => {
  it('writes a point with writeApi and reads it back with Flux from the configured bucket', async () => {
    const influx = new InfluxDB({ url: env.SEALWATCH_INFLUX_URL!, token: env.SEALWATCH_INFLUX_TOKEN! });
    const writeApi = influx.getWriteApi(env.SEALWATCH_INFLUX_ORG!, env.SEALWATCH_INFLUX_BUCKET!, 'ms');
    const containerId = `TEST${run}`;
    const at = new Date(Date.now() - 60_000);
    writeApi.writePoint(new Point('door').tag('container_id', containerId).tag('device_id', 'dev-1').booleanField('open', true).timestamp(at));
    await writeApi.close();

    const rows = await influx.getQueryApi(env.SEALWATCH_INFLUX_ORG!).collectRows<Record<string, unknown>>(
      `from(bucket: "${env.SEALWATCH_INFLUX_BUCKET}") |> range(start: -100y)
         |> filter(fn: (r) => r._measurement == "door" and r.container_id == "${containerId}")`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ _field: 'open', _value: true, device_id: 'dev-1' });
    // RFC 3339 with trailing zeros of the fraction trimmed (.120Z comes back as .12Z): compare instants.
    expect(new Date(rows[0]!._time as string).getTime()).toBe(at.getTime());
  });
});

describe('Mosquitto (mqtt.js against the stack broker)', () => {
  const url = env.SEALWATCH_MQTT_URL!;
  const device = `stack-test-dev-${run}`;
  const devicePassword = `pw-${run}`;
  const clients: MqttClient[] = [];
  let pipeline: MqttClient;
  const received: string[] = [];

  const connect = async (options: IClientOptions) => {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    execFileSync('bash', [join(repoRoot, 'scripts/stack/mosquitto-add-device.sh'), device, devicePassword], { stdio: 'pipe' });
    pipeline = await connect({ username: env.SEALWATCH_MQTT_USERNAME, password: env.SEALWATCH_MQTT_PASSWORD, clientId: `stack-test-pipeline-${run}` });
    pipeline.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    await pipeline.subscribeAsync('ssd/#', { qos: 1 });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
  });

  it('a device publishes under its own id and the sealwatch account receives it', async () => {
    const dev = await connect({ username: device, password: devicePassword, clientId: device });
    await dev.publishAsync(`ssd/json/${device}/door`, 'own-json', { qos: 1 });
    await dev.publishAsync(`ssd/csv/${device}`, 'own-csv', { qos: 1 });
    await waitFor('both messages at the sealwatch subscriber', 10_000, () => (received.length >= 2 ? true : undefined));
    expect(received).toEqual([`ssd/json/${device}/door own-json`, `ssd/csv/${device} own-csv`]);
  });

  it('a wrong password is refused with a CONNACK error', async () => {
    await expect(connect({ username: env.SEALWATCH_MQTT_USERNAME, password: 'not-the-password' })).rejects.toMatchObject({
      code: 5, // MQTT 3.1.1 CONNACK "not authorised": Mosquitto 2.0 answers 5 for a bad password
    });
    await expect(connect({ username: env.SEALWATCH_MQTT_USERNAME, password: 'not-the-password', protocolVersion: 5 })).rejects.toMatchObject({
      code: 0x87, // MQTT 5 CONNACK reason "Not authorized"
    });
  });

  it('a publish outside the device ACL is refused (MQTT 5: PUBACK 0x87) and never delivered', async () => {
    received.length = 0;
    const other = `ssd/json/someone-else-${run}/door`;
    const v311 = await connect({ username: device, password: devicePassword, clientId: `${device}-v311` });
    // MQTT 3.1.1 has no way to say no: Mosquitto acknowledges and drops.
    await v311.publishAsync(other, 'denied-v311-qos1', { qos: 1 });
    await v311.publishAsync(other, 'denied-v311-qos0', { qos: 0 });
    // A permitted message after the denied ones on the same connection: the broker handles a
    // connection's packets in order, so once it has arrived, a delivered denied one would have too.
    await v311.publishAsync(`ssd/batch/${device}`, 'fence-v311', { qos: 1 });
    const v5 = await connect({ username: device, password: devicePassword, clientId: `${device}-v5`, protocolVersion: 5 });
    await expect(v5.publishAsync(other, 'denied-v5-qos1', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await v5.publishAsync(`ssd/batch/${device}`, 'fence-v5', { qos: 1 });
    await waitFor('the permitted messages after the denied ones', 10_000, () => (received.length >= 2 ? true : undefined));
    expect(received).toEqual([`ssd/batch/${device} fence-v311`, `ssd/batch/${device} fence-v5`]);
  });
});
