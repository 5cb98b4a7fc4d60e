// Shared parts of the end-to-end benchmarks: the publisher worker, a raw
// MQTT subscriber (the baseline), a sink that timestamps alerts, and the
// publish-to-alert latency of the injected breaches.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { CompressionTypes } from 'kafkajs';
import mqtt from 'mqtt';
import { message } from './load.mjs';
import { quantile } from './measure.mjs';

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Device publishers in a worker thread (see publisher-worker.mjs). */
export class Publishers {
  static async start(workerData) {
    const p = new Publishers(new Worker(new URL('./publisher-worker.mjs', import.meta.url), { workerData }));
    await p.call({ type: 'connect' }, 'connected');
    return p;
  }

  constructor(worker) {
    this.worker = worker;
    this.worker.unref();
  }

  call(cmd, expect) {
    return new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        this.worker.off('error', onError);
        this.worker.off('message', onMessage);
        if (msg.type === 'error') reject(new Error(`publishers: ${msg.message}`));
        else if (msg.type !== expect) reject(new Error(`publishers: expected ${expect}, got ${msg.type}`));
        else resolve(msg);
      };
      const onError = (err) => {
        this.worker.off('message', onMessage);
        reject(err);
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', onError);
      this.worker.postMessage(cmd);
    });
  }

  /** Publishes load messages [from, to) at `rate` messages/s (0: as fast as acknowledged); resolves when all are acknowledged. */
  run(from, to, rate = 0) {
    return this.call({ type: 'run', from, to, rate }, 'ran');
  }

  async close() {
    await this.call({ type: 'close' }, 'closed');
    await this.worker.terminate();
  }
}

/**
 * The raw baseline's subscriber: a plain mqtt.js client on `{root}/#` with the
 * listener's QoS and session kind that only counts (and timestamps the
 * breach openings, recognised by topic and payload).
 */
export async function rawSubscriber({ url, clientId, qos, protocolVersion, username, password, topicRoot = 'ssd' }) {
  const client = await mqtt.connectAsync(url, {
    clientId,
    clean: false,
    protocolVersion,
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}),
    ...(username ? { username, password } : {}),
  });
  const state = { count: 0, arrivals: new Map(), target: Infinity, reached: null };
  client.on('message', (topic, payload) => {
    state.count++;
    if (topic.endsWith('/door') && payload.includes('"open"')) {
      const device = topic.split('/')[2];
      state.arrivals.set(`json-v1:${device}:${JSON.parse(payload).msgId}`, now());
    }
    if (state.count >= state.target && state.reached) {
      const r = state.reached;
      state.reached = null;
      r();
    }
  });
  await client.subscribeAsync(`${topicRoot}/#`, { qos });
  return {
    client,
    state,
    /** Resolves once `n` more messages than now have arrived. */
    expect(n) {
      state.target = state.count + n;
      return state.count >= state.target ? Promise.resolve() : new Promise((resolve) => (state.reached = resolve));
    },
    async close() {
      await client.endAsync();
      await dropSession({ url, clientId, protocolVersion, username, password });
    },
  };
}

/** Removes a persistent session a benchmark left on a broker (connect clean, disconnect). */
export async function dropSession({ url, clientId, protocolVersion, username, password }) {
  const c = await mqtt.connectAsync(url, { clientId, clean: true, protocolVersion, reconnectPeriod: 0, ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}), ...(username ? { username, password } : {}) });
  await c.endAsync();
}

/** An alert sink that notes when each alert reached it. */
export class TimingSink {
  name = 'bench-timing';
  byEvidence = new Map();
  alertIds = new Set();
  async write(alerts) {
    const t = now();
    for (const a of alerts) {
      this.alertIds.add(a.alertId);
      for (const e of a.evidence) if (!this.byEvidence.has(e)) this.byEvidence.set(e, t);
    }
  }
  async close() {}
}

/** Polls `cond` every `everyMs` until true (or throws after `timeoutMs`). */
export async function until(what, cond, timeoutMs, everyMs = 2) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Publish-to-alert (or publish-to-subscriber) latencies, ms, of the marked
 * breach openings: each opening is the reading that completes its alert's
 * evidence, and its publish time was taken as mqtt.js was handed it.
 */
export function latencies(marks, arrivals) {
  const out = [];
  let missing = 0;
  for (const [eventId, t] of marks) {
    const a = arrivals.get(eventId);
    if (a === undefined) missing++;
    else out.push(Math.max(0, a - t));
  }
  out.sort((a, b) => a - b);
  return { n: out.length, missing, p50: quantile(out, 0.5), p99: quantile(out, 0.99), max: out.at(-1) ?? NaN };
}

/**
 * The stack suites' raw Kafka baseline: messages [from, to) of the spec, keyed
 * by container, produced with kafkajs in sends of 1,000 (acks=all, no
 * compression) as fast as acknowledged; the ms it took (building the
 * messages is not timed).
 */
export async function rawKafkaProduce(producer, topic, spec, from, to) {
  const msgs = [];
  for (let m = from; m < to; m++) {
    const x = message(spec, m);
    msgs.push({ key: JSON.parse(x.payload).containerId, value: x.payload });
  }
  const t0 = performance.now();
  for (let i = 0; i < msgs.length; i += 1000) await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: msgs.slice(i, i + 1000) });
  return performance.now() - t0;
}
