import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { startListener, type Listener } from '../../../src/ingest/listener.js';

// The listener against a real aedes broker: several messages on their way to
// the bus at once, yet each PUBACK only after the handler resolved (the bus
// has the message), in the order received; a failure leaves the message and
// those after it to the broker, which delivers them again.

interface Deferred {
  topic: string;
  payload: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

async function broker(): Promise<{ aedes: Aedes; url: string; acks: string[]; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const acks: string[] = [];
  // aedes reports every PUBACK it gets for a message it delivered
  aedes.on('ack', (packet, client) => {
    if (client?.id.startsWith('listener') && packet && 'payload' in packet) acks.push(String(packet.payload));
  });
  return {
    aedes,
    url: `mqtt://127.0.0.1:${port}`,
    acks,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`never happened: ${what}`);
}

describe('listener acknowledgements (aedes)', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(clientId: string) {
    const b = await broker();
    cleanup.push(() => b.close());
    const calls: Deferred[] = [];
    const cfg = { ...loadConfig({ env: {} }).mqtt, clientId, cleanSession: false, qos: 1 as const };
    const handler = (topic: string, payload: Buffer) => new Promise<void>((resolve, reject) => calls.push({ topic, payload: payload.toString(), resolve, reject }));
    const listener: Listener = await startListener(cfg, handler, { url: b.url, maxInFlight: 100 });
    cleanup.push(() => listener.close());
    const pub: MqttClient = await mqtt.connectAsync(b.url, { clientId: `pub-${clientId}` });
    cleanup.push(() => pub.endAsync());
    return { b, calls, listener, pub };
  }

  it('hands several messages to the handler at once and acknowledges each only after its handler resolved, in order', async () => {
    const { b, calls, pub } = await setup('listener-order');
    for (let i = 0; i < 20; i++) await pub.publishAsync(`ssd/json/dev-1/door`, `m${i}`, { qos: 1 });
    await until('all 20 messages in the handler', () => calls.length === 20);
    expect(calls.map((c) => c.payload)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(b.acks).toEqual([]);

    // later messages on the bus first: none acknowledged while an earlier one is not
    for (const c of calls.slice(5)) c.resolve();
    await new Promise((r) => setTimeout(r, 100));
    expect(b.acks).toEqual([]);
    for (const c of calls.slice(0, 5).reverse()) c.resolve();
    await until('all acknowledged', () => b.acks.length === 20);
    expect(b.acks).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('leaves a failed message and the ones after it unacknowledged; the broker delivers them again on the persistent session', async () => {
    const { b, calls, pub } = await setup('listener-fail');
    for (let i = 0; i < 6; i++) await pub.publishAsync(`ssd/json/dev-2/door`, `f${i}`, { qos: 1 });
    await until('6 messages in the handler', () => calls.length === 6);
    calls[0]!.resolve();
    calls[1]!.resolve();
    await until('the first two acknowledged', () => b.acks.length === 2);
    calls[3]!.resolve(); // on the bus, but after the failing one: not acknowledged
    calls[2]!.reject(new Error('bus down'));
    // the listener reconnects; the broker delivers f2..f5 again
    await until('f2..f5 redelivered', () => calls.length >= 10);
    const again = calls.slice(6).map((c) => c.payload);
    expect(again.slice(0, 4)).toEqual(['f2', 'f3', 'f4', 'f5']);
    for (const c of calls.slice(6)) c.resolve();
    await until('all acknowledged', () => new Set(b.acks).size === 6);
    expect(b.acks.slice(0, 2)).toEqual(['f0', 'f1']);
    expect(new Set(b.acks)).toEqual(new Set(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']));
  });

  it('on close, acknowledges what is on its way to the bus once it gets there', async () => {
    const { b, calls, listener, pub } = await setup('listener-close');
    for (let i = 0; i < 3; i++) await pub.publishAsync(`ssd/json/dev-3/door`, `c${i}`, { qos: 1 });
    await until('3 messages in the handler', () => calls.length === 3);
    const closed = listener.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(b.acks).toEqual([]);
    for (const c of calls) c.resolve();
    await closed;
    expect(b.acks).toEqual(['c0', 'c1', 'c2']);
  });
});
