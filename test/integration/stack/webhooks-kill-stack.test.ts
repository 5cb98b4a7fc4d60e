import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS, topicSpecs } from '../../../src/bus/topics.js';
import { AlertSchema, type Alert } from '../../../src/model/alert.js';
import { makeContainerNumber } from '../../../src/model/iso6346.js';
import { verifyStandardWebhook, webhookId } from '../../../src/sinks/standard-webhooks.js';
import { fenceMessages, PipelineProcess, positionGroupsAtEnd, sleep, stackEnvSimulator } from '../../helpers/faults.js';
import { plan } from '../../helpers/fixtures.js';
import { addDevice, stackConfig, waitFor } from '../../helpers/stack.js';
import { type Receiver, startReceiver } from '../../helpers/webhook-receiver.js';

/**
 * Issue 12: durable webhooks through a crash. The pipeline is a real
 * `sealwatch run --profile stack` child process; its target's receiver on
 * 127.0.0.1 answers 503 while alerts are raised, and the process is killed
 * with SIGKILL while it retries (nothing flushed, the pending deliveries
 * uncommitted, its Kafka memberships left to expire). The receiver comes back and a new
 * `sealwatch run` with the same configuration (the same consumer groups)
 * delivers every alert raised, at least once, each under the `webhook-id` it
 * had before the kill; a second request for an alert may come, never under
 * another id.
 *
 * The alerts must come from the webhook group's uncommitted offsets, not from
 * the rules stage raising them again: a reading the killed process still held
 * in its reorder window is released again after the restart (at least once),
 * and an alert raised anew would hide a webhook consumer that committed before
 * the 2xx. So before the kill a fence of readings from unplanned containers on
 * every telemetry partition moves each lane's clock past the boxes' readings
 * (their alerts are held back by the recovery), and the test requires that the
 * restart put no alert of the boxes on the topic again.
 */
describe('webhooks on the stack: kill -9 mid-delivery loses nothing', () => {
  const run = randomUUID().slice(0, 8);
  // an owner code of this run's own (K to Z), so the target's containerPrefixes filter takes only this run's alerts
  const owner = `${[...run.slice(0, 3)].map((c) => String.fromCharCode(75 + Number.parseInt(c, 16))).join('')}U`;
  const boxes = [1, 2, 3, 4].map((i) => ({ device: `whk-${run}-${i}`, containerId: makeContainerNumber(owner, i), tripId: `T-WHK-${run}-${i}` }));
  const target = `desk-${run}`;
  const groupId = `sw-test-whkill-${run}`;
  const webhookGroup = `${groupId}-webhook-${target}`;
  const secretEnv = 'SEALWATCH_TEST_STACK_KILL_HOOK_SECRET';
  const secret = 'whsec_c3RhY2sta2lsbC10ZXN0LXdlYmhvb2sta2V5LTAxMjM0NTY=';
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  let up = false;
  let receiver: Receiver | undefined;
  let pipeline: PipelineProcess | undefined;
  const clients: MqttClient[] = [];
  const reader = new KafkaBus(stackConfig().kafka);

  afterAll(async () => {
    for (const c of clients) await c.endAsync().catch(() => {});
    await pipeline?.stop().catch(() => {});
    await reader.close().catch(() => {});
    await receiver?.close();
  });

  it('a new `sealwatch run` delivers every alert at least once, under the webhook-id tried before the kill', { timeout: 300_000 }, async () => {
    receiver = await startReceiver(secret, () => (up ? 204 : 503));
    const rcv = receiver;
    const cfg = stackConfig();
    await reader.ensureTopics(topicSpecs(cfg));
    const alertsFrom = await reader.endOffsets(TOPICS.alerts);
    const telemetryFrom = await reader.endOffsets(TOPICS.telemetry);
    // the rules stage's new group reads only what comes next (the telemetry topic holds earlier tests' data);
    // retried: on a stack formatted a moment ago the topics' leaders may not be known yet
    await waitFor(
      'the rules group positioned at the end of the telemetry topic',
      30_000,
      () =>
        positionGroupsAtEnd(cfg, [groupId]).then(
          () => true,
          () => undefined,
        ),
      500,
    );

    // the child's plans, one per box, in a trips directory
    const dir = mkdtempSync(join(tmpdir(), 'sw-webhook-kill-'));
    const tripsDir = join(dir, 'trips');
    mkdirSync(tripsDir);
    for (const b of boxes) {
      const p = plan({ tripId: b.tripId, containerId: b.containerId, deviceId: b.device, departure: iso(48 * 3_600_000), eta: new Date(now + 10 * 86_400_000).toISOString() });
      writeFileSync(join(tripsDir, `${b.tripId}.json`), JSON.stringify(p));
    }
    const sets = [
      `kafka.groupId=${groupId}`,
      `mqtt.clientId=sw-test-whkill-ingest-${run}`,
      'mqtt.cleanSession=true',
      'engine.reorderWindowMs=500',
      'engine.idleFlushMs=100',
      // recovery at the second start rebuilds from this test's telemetry only
      `engine.recoverFrom=${new Date(now - 1000).toISOString()}`,
      'influx.enabled=false',
      'api.enabled=false',
      `webhooks.targets=${JSON.stringify([{ name: target, url: rcv.url, secretEnv, containerPrefixes: [owner] }])}`,
      // 50 attempts at 0.1-1 s apart: the first process is still retrying when it is killed
      'webhooks.maxAttempts=50',
      'webhooks.initialBackoffMs=200',
      'webhooks.maxBackoffMs=1000',
      'webhooks.timeoutMs=2000',
    ];
    const logFile = join(dir, 'pipeline.log');
    // the same arguments and environment for both processes: the same consumer groups
    pipeline = new PipelineProcess(['--trips', tripsDir, ...sets.flatMap((s) => ['--set', s])], logFile, { [secretEnv]: secret });
    const proc = pipeline;

    // 1. the child raises four alerts (a door opened at sea on each box) while the receiver answers 503
    await proc.start();
    for (const b of boxes) {
      addDevice(b.device, `pw-${run}`);
      const c = await mqtt.connectAsync(cfg.mqtt.url, { clientId: b.device, username: b.device, password: `pw-${run}` });
      clients.push(c);
      for (const [i, ago] of [30, 20, 10].entries()) {
        await c.publishAsync(`ssd/json/${b.device}/gps`, JSON.stringify({ msgId: `g${i}`, containerId: b.containerId, ts: iso(ago * 60_000), lat: 36.0 - i * 0.05, lon: -12 - i * 0.05, speedKn: 17 }), { qos: 1 });
      }
      await c.publishAsync(`ssd/json/${b.device}/door`, JSON.stringify({ msgId: 'd1', containerId: b.containerId, ts: iso(15 * 60_000), state: 'open' }), { qos: 1 });
    }
    const mine = new Set(boxes.map((b) => b.containerId));
    const alertMessages = async () => (await reader.readAll(TOPICS.alerts, alertsFrom)).map((m) => AlertSchema.parse(JSON.parse(m.value.toString('utf8')))).filter((a) => mine.has(a.containerId));
    const raised = await waitFor(
      `${boxes.length} alerts on the alerts topic; log ${logFile}`,
      90_000,
      async () => {
        const byId = new Map((await alertMessages()).map((a) => [a.alertId, a]));
        return byId.size >= boxes.length ? [...byId.values()] : undefined;
      },
      500,
    );
    expect(raised.map((a) => a.rule)).toEqual(boxes.map(() => 'DOOR_OPEN_IN_TRANSIT'));
    expect(new Set(raised.map((a) => a.containerId))).toEqual(mine);

    // the fence (see above), over the simulator's account, arriving a second after the boxes' readings
    await sleep(1000);
    const sim = stackEnvSimulator();
    const fencer = await mqtt.connectAsync(cfg.mqtt.url, { clientId: `sw-test-whkill-fence-${run}`, username: sim.user, password: sim.password });
    clients.push(fencer);
    const fence = fenceMessages(Date.now(), Number.parseInt(run.slice(0, 6), 16));
    for (const m of fence) await fencer.publishAsync(m.topic, Buffer.from(m.payload), { qos: 1 });
    const readings = boxes.length * 4 + fence.length;
    const produced = async () => [...(await reader.endOffsets(TOPICS.telemetry))].reduce((n, [p, end]) => n + Number(BigInt(end) - BigInt(telemetryFrom.get(p) ?? '0')), 0);
    await waitFor(`the rules group committed the boxes' readings and the fence; log ${logFile}`, 60_000, async () => ((await produced()) >= readings && (await reader.lag(groupId, TOPICS.telemetry)) === 0 ? true : undefined), 250);

    // 2. mid-delivery (the target tried and answered 503 several times), the child is killed with SIGKILL
    await waitFor(`attempts answered 503; log ${logFile}`, 60_000, () => (rcv.got.length >= 4 ? true : undefined), 100);
    await proc.kill9();
    const alertMessagesBefore = (await alertMessages()).length;
    const attemptsBefore = rcv.got.length;
    const before = rcv.got.slice(0, attemptsBefore);
    expect(before.every((g) => g.status === 503 && g.ok)).toBe(true);
    // the target's group takes one partition's batch at a time: the alert at its head is the one retried,
    // the others wait uncommitted behind it (their id is checked against webhookId(target, alertId) below)
    const triedBefore = new Map(before.map((g) => [g.alertId, g.webhookId]));
    expect(triedBefore.size).toBeGreaterThanOrEqual(1);
    // the dead process sends nothing more
    await sleep(1500);
    expect(rcv.got.length).toBe(attemptsBefore);

    // 3. the target comes back; a new `sealwatch run` with the same configuration joins the same groups
    up = true;
    await proc.start();
    const accepted = () => rcv.accepted().filter((g) => mine.has(JSON.parse(g.body).containerId));
    // the killed member holds its partitions until its session (30 s) expires: a bounded wait longer than that
    await waitFor(`every alert accepted after the restart; log ${logFile}`, 150_000, () => (raised.every((a) => accepted().some((g) => g.alertId === a.alertId)) ? true : undefined), 250);
    await waitFor('the webhook group committed everything', 60_000, async () => ((await reader.lag(webhookGroup, TOPICS.alerts)) === 0 ? true : undefined), 500);
    // anything sent late (a second copy) would show by now
    await sleep(2000);

    const after = rcv.got.slice(attemptsBefore);
    const ok = accepted();
    const duplicates = ok.length - new Set(ok.map((g) => g.alertId)).size;
    const alertMessagesAfter = (await alertMessages()).length;
    process.stdout.write(
      `[webhook kill -9] alerts raised ${raised.length} (alert messages on the topic: ${alertMessagesBefore} before the kill, ${alertMessagesAfter} at the end); ` +
        `attempts before the kill ${attemptsBefore} (all 503, ${triedBefore.size} distinct alert${triedBefore.size === 1 ? '' : 's'}); ` +
        `after the restart ${after.length} requests, ${ok.length} accepted, delivered ${new Set(ok.map((g) => g.alertId)).size}/${raised.length}, duplicates ${duplicates} (same webhook-id), ` +
        `lost ${raised.filter((a) => !ok.some((g) => g.alertId === a.alertId)).length}\n`,
    );
    // what was delivered came from the webhook group's offsets: the restart raised no alert of the boxes again
    expect(alertMessagesAfter, 'alert messages on the topic at the end vs before the kill').toBe(alertMessagesBefore);

    // every request, before and after the kill, is about an alert raised, signed and under that alert's one id
    const raisedIds = new Set(raised.map((a) => a.alertId));
    expect(rcv.got.filter((g) => !raisedIds.has(g.alertId))).toEqual([]);
    expect(rcv.got.every((g) => g.ok)).toBe(true);
    for (const a of raised) {
      const all = rcv.got.filter((g) => g.alertId === a.alertId);
      const got = ok.filter((g) => g.alertId === a.alertId);
      // delivered at least once; a duplicate only under the same webhook-id
      expect(got.length, a.alertId).toBeGreaterThanOrEqual(1);
      expect(new Set(all.map((g) => g.webhookId)), a.alertId).toEqual(new Set([webhookId(target, a.alertId)]));
      // the alert tried before the kill came again under the id it had then
      if (triedBefore.has(a.alertId)) expect(got[0]!.webhookId).toBe(triedBefore.get(a.alertId));
      for (const g of got) {
        expect(JSON.parse(g.body) as Alert).toEqual(a);
        expect(verifyStandardWebhook(secret, { 'webhook-id': g.webhookId, 'webhook-timestamp': String(g.timestamp), 'webhook-signature': g.signature }, g.body).ok).toBe(true);
      }
    }
    // after the restart the receiver is up: every request is accepted
    expect(after.every((g) => g.status === 204)).toBe(true);

    // the second process took over the group's committed offsets (not a fresh group starting at the end)
    const started = readFileSync(logFile, 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          const j = JSON.parse(l) as { msg?: string; target?: string; fresh?: boolean };
          return j.msg === 'sinks.webhook_target_started' && j.target === target ? [j.fresh] : [];
        } catch {
          return [];
        }
      });
    expect(started).toEqual([true, false]);
  });
});
