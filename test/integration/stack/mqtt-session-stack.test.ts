import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startListener, type Listener } from '../../../src/ingest/listener.js';
import { stackEnvSimulator } from '../../helpers/faults.js';
import { stackConfig, waitFor } from '../../helpers/stack.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `mqtt.sessionExpirySeconds` on Mosquitto (MQTT 5): a listener away for
 * longer than its session expiry finds its session gone and nothing queued;
 * one away for less gets what was published meanwhile. Both listeners
 * subscribe to the whole topic root, so each sees the same message or not.
 */
describe('the ingest listener persistent session expires as configured (Mosquitto)', () => {
  it('a message published while both are away reaches the listener whose session is kept, not the one whose session expired', { timeout: 60_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `ssd/json/sw-session-${run}/temp`;
    const short = stackConfig([`mqtt.clientId=sw-session-${run}-short`, 'mqtt.sessionExpirySeconds=1']).mqtt;
    const long = stackConfig([`mqtt.clientId=sw-session-${run}-long`, 'mqtt.sessionExpirySeconds=120']).mqtt;
    expect(short.protocolVersion).toBe(5);
    expect(short.cleanSession).toBe(false);
    const got = { short: [] as string[], long: [] as string[] };
    const listen = (cfg: typeof short, into: string[]) =>
      startListener(cfg, async (t, payload) => {
        if (t === topic) into.push(payload.toString('utf8'));
      });
    let open: Listener[] = [];
    try {
      // first connection: the sessions and their subscriptions are made
      open = [await listen(short, got.short), await listen(long, got.long)];
      await Promise.all(open.map((l) => l.close()));
      open = [];
      const env = stackEnvSimulator();
      const pub = await mqtt.connectAsync(short.url, { protocolVersion: 5, username: env.user, password: env.password, reconnectPeriod: 0 });
      try {
        await pub.publishAsync(topic, JSON.stringify({ run }), { qos: 1 });
      } finally {
        await pub.endAsync();
      }
      // well past the short session's second (Mosquitto looks at expiries about once a second)
      await sleep(4000);
      open = [await listen(short, got.short), await listen(long, got.long)];
      await waitFor('the kept session to deliver the queued message', 10_000, () => (got.long.length > 0 ? true : undefined));
      await sleep(1000); // the expired one had as long as the kept one, and a second more
      expect(got.long).toEqual([JSON.stringify({ run })]);
      expect(got.short).toEqual([]);
    } finally {
      await Promise.all(open.map((l) => l.close().catch(() => {})));
      // leave no session behind on the shared broker
      for (const cfg of [short, long]) {
        const c = await mqtt
          .connectAsync(cfg.url, { clientId: cfg.clientId, clean: true, protocolVersion: 5, username: cfg.username ?? undefined, password: cfg.password ?? undefined, reconnectPeriod: 0, properties: { sessionExpiryInterval: 0 } })
          .catch(() => null);
        await c?.endAsync();
      }
    }
  });
});
