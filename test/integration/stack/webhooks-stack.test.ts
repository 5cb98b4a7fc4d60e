import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS } from '../../../src/bus/topics.js';
import { defaultPorts } from '../../../src/geo/ports.js';
import { createLogger } from '../../../src/log.js';
import { AlertSchema, type Alert } from '../../../src/model/alert.js';
import { makeContainerNumber } from '../../../src/model/iso6346.js';
import { newTripDirectory, startPipeline, type Pipeline } from '../../../src/pipeline/app.js';
import { verifyStandardWebhook, webhookId } from '../../../src/sinks/standard-webhooks.js';
import { plan } from '../../helpers/fixtures.js';
import { addDevice, stackConfig, waitFor } from '../../helpers/stack.js';
import { type Receiver, startReceiver } from '../../helpers/webhook-receiver.js';

/**
 * Durable webhooks on the real Kafka and Mosquitto: a centre's receiver on
 * 127.0.0.1 answers 503 while the pipeline raises alerts and keeps retrying
 * the first; the pipeline is stopped in the middle of that; the receiver
 * comes back and a new pipeline (same configuration, so the same consumer
 * group) delivers every alert, under the webhook ids tried before, each
 * accepted once.
 */
describe('webhooks on the stack: a restart mid-delivery loses nothing', () => {
  const run = randomUUID().slice(0, 8);
  // an owner code of this run's own, so the target's containerPrefixes filter takes only this run's alerts
  const owner = `${[...run.slice(0, 3)].map((c) => String.fromCharCode(65 + Number.parseInt(c, 16))).join('')}U`;
  const boxes = [1, 2, 3].map((i) => ({ device: `whdev-${run}-${i}`, containerId: makeContainerNumber(owner, i), tripId: `T-WH-${run}-${i}` }));
  const target = `desk-${run}`;
  const secretEnv = 'SEALWATCH_TEST_STACK_HOOK_SECRET';
  const secret = 'whsec_c3RhY2stdGVzdC13ZWJob29rLWtleS0wMTIzNDU2Nzg5';
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  const log = createLogger('warn');
  let up = false;
  let receiver: Receiver;
  const pipelines: Pipeline[] = [];
  const clients: MqttClient[] = [];
  const bus = () => new KafkaBus(stackConfig().kafka);
  const readers: KafkaBus[] = [];

  const config = (url: string) =>
    stackConfig([
      `kafka.groupId=sw-test-wh-${run}`,
      `mqtt.clientId=sw-test-wh-ingest-${run}`,
      'mqtt.cleanSession=true',
      'engine.reorderWindowMs=500',
      'engine.idleFlushMs=100',
      'influx.enabled=false',
      `webhooks.targets=${JSON.stringify([{ name: target, url, secretEnv, containerPrefixes: [owner] }])}`,
      'webhooks.maxAttempts=50',
      'webhooks.initialBackoffMs=100',
      'webhooks.maxBackoffMs=400',
      'webhooks.timeoutMs=2000',
    ]);

  const start = async (url: string) => {
    const cfg = config(url);
    const trips = newTripDirectory(cfg);
    for (const b of boxes) trips.upsert(plan({ tripId: b.tripId, containerId: b.containerId, deviceId: b.device, departure: iso(48 * 3_600_000), eta: new Date(now + 10 * 86_400_000).toISOString() }));
    process.env[secretEnv] = secret;
    try {
      const p = await startPipeline({ config: cfg, ports: defaultPorts(), trips, log, rulesFromNow: true });
      pipelines.push(p);
      return p;
    } finally {
      delete process.env[secretEnv];
    }
  };

  afterAll(async () => {
    for (const c of clients) await c.endAsync().catch(() => {});
    for (const p of pipelines) await p.stop().catch(() => {});
    for (const r of readers) await r.close().catch(() => {});
    await receiver?.close();
  });

  it('delivers every alert after the restart, with the same webhook-id, each accepted once', async () => {
    receiver = await startReceiver(secret, () => (up ? 204 : 503));
    const reader = bus();
    readers.push(reader);
    await reader.ensureTopics([{ topic: TOPICS.alerts, partitions: 3 }]);
    const alertsFrom = await reader.endOffsets(TOPICS.alerts);

    // 1. the pipeline raises three alerts (a door opened at sea on each box) while the receiver answers 503
    const first = await start(receiver.url);
    expect(first.webhooks?.targets.map((t) => t.name)).toEqual([target]);
    for (const b of boxes) {
      addDevice(b.device, `pw-${run}`);
      const c = await mqtt.connectAsync(stackConfig().mqtt.url, { clientId: b.device, username: b.device, password: `pw-${run}` });
      clients.push(c);
      for (const [i, ago] of [30, 20, 10].entries()) {
        await c.publishAsync(`ssd/json/${b.device}/gps`, JSON.stringify({ msgId: `g${i}`, containerId: b.containerId, ts: iso(ago * 60_000), lat: 36.0 - i * 0.05, lon: -12 - i * 0.05, speedKn: 17 }), { qos: 1 });
      }
      await c.publishAsync(`ssd/json/${b.device}/door`, JSON.stringify({ msgId: 'd1', containerId: b.containerId, ts: iso(15 * 60_000), state: 'open' }), { qos: 1 });
    }
    const mine = new Set(boxes.map((b) => b.containerId));
    const raised = await waitFor(
      'three alerts on the alerts topic',
      90_000,
      async () => {
        const got = (await reader.readAll(TOPICS.alerts, alertsFrom)).map((m) => AlertSchema.parse(JSON.parse(m.value.toString('utf8')))).filter((a) => mine.has(a.containerId));
        const byId = new Map(got.map((a) => [a.alertId, a]));
        return byId.size >= 3 ? [...byId.values()] : undefined;
      },
      500,
    );
    expect(raised.map((a) => a.rule)).toEqual(['DOOR_OPEN_IN_TRANSIT', 'DOOR_OPEN_IN_TRANSIT', 'DOOR_OPEN_IN_TRANSIT']);
    // mid-delivery: the target has been tried (and answered 503) more than once
    await waitFor('attempts answered 503', 60_000, () => (receiver.got.length >= 3 ? true : undefined), 100);
    expect(receiver.accepted()).toEqual([]);
    const pending = first.webhooks!.deliveries({ status: 'pending' });
    expect(pending.length).toBeGreaterThanOrEqual(1);

    // 2. stopped in the middle of the retries
    await first.stop();
    const triedBefore = new Map(receiver.got.map((g) => [g.alertId, g.webhookId]));
    const attemptsBefore = receiver.got.length;
    expect(triedBefore.size).toBeGreaterThanOrEqual(1);
    for (const [alertId, id] of triedBefore) expect(id).toBe(webhookId(target, alertId));

    // 3. the target comes back, a new pipeline starts in the same group: everything delivered once, same ids
    up = true;
    const second = await start(receiver.url);
    const byAlert = (a: Alert) => receiver.accepted().filter((g) => g.alertId === a.alertId);
    await waitFor('every alert accepted', 90_000, () => (raised.every((a) => byAlert(a).length >= 1) ? true : undefined), 200);
    // nothing more comes (bounded wait: the group has committed them all)
    await waitFor('the group committed', 30_000, async () => ((await reader.lag(`sw-test-wh-${run}-webhook-${target}`, TOPICS.alerts)) === 0 ? true : undefined), 500);
    for (const a of raised) {
      const got = byAlert(a);
      expect(got, a.alertId).toHaveLength(1);
      expect(got[0]!.ok).toBe(true);
      expect(got[0]!.webhookId).toBe(webhookId(target, a.alertId));
      expect(JSON.parse(got[0]!.body)).toEqual(a);
      expect(verifyStandardWebhook(secret, { 'webhook-id': got[0]!.webhookId, 'webhook-timestamp': String(got[0]!.timestamp), 'webhook-signature': got[0]!.signature }, got[0]!.body).ok).toBe(true);
      // the alert tried before the restart came again under the id it had then
      if (triedBefore.has(a.alertId)) expect(got[0]!.webhookId).toBe(triedBefore.get(a.alertId));
    }
    // after the restart only this run's three alerts were sent, and each once
    expect(receiver.got.slice(attemptsBefore).every((g) => g.status === 204)).toBe(true);
    expect(
      receiver.got
        .slice(attemptsBefore)
        .map((g) => g.alertId)
        .sort(),
    ).toEqual(raised.map((a) => a.alertId).sort());
    expect(second.webhooks!.counts()).toEqual({ pending: 0, delivered: 3, failed: 0 });
  });
});
