import mqtt, { type MqttClient } from 'mqtt';
import { mqttTlsOptions } from '../src/ingest/auth-tls.js';
import type { SimResult } from './fleet.js';

export interface PublishOptions {
  /** Simulated ms per wall-clock ms; >= 1e9 publishes as fast as the broker acknowledges. */
  speed: number;
  onProgress?(sent: number, total: number): void;
  /** Stops publishing new messages; the promise resolves once the ones in flight are acknowledged. */
  signal?: AbortSignal;
  /** Simulated time that maps to `wallStart` (default: the first message's t). */
  startAtT?: number;
  /** Wall-clock ms at which `startAtT` is published (default: now). */
  wallStart?: number;
  /** QoS 1 publishes awaiting their PUBACK at once (default 1000 as fast as possible, 200 paced). */
  maxInFlight?: number;
  /** Send each message's simulated arrival time as the MQTT 5 user property `received-at` (needs a protocol 5 client). */
  receivedAtProperty?: boolean;
}

const FAST = 1e9;

export interface PublisherOptions {
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM CA file that signs the broker's TLS certificate (mqtts:// URLs). */
  caFile?: string | null | undefined;
}

/** Connects a fleet publisher (credentials and, for mqtts://, a CA file); rejects on a refused CONNACK. */
export async function connectPublisher(url: string, o: PublisherOptions): Promise<MqttClient> {
  const client = mqtt.connect(url, { clientId: o.clientId, reconnectPeriod: 1000, ...(o.username ? { username: o.username } : {}), ...(o.password ? { password: o.password } : {}), ...mqttTlsOptions(o.caFile, '--ca-file') });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
  return client;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Publishes a simulated fleet to an already-connected mqtt.js client with
 * QoS 1, in arrival order, spaced by the messages' arrival-time deltas
 * divided by `speed`. Resolves when every message sent is acknowledged (or,
 * after an abort, when the ones in flight are).
 */
export async function publishLive(result: SimResult, client: MqttClient, opts: PublishOptions): Promise<void> {
  const messages = result.messages;
  const total = messages.length;
  if (!(opts.speed > 0)) throw new RangeError(`speed: expected > 0, got ${opts.speed}`);
  const fast = opts.speed >= FAST;
  const maxInFlight = opts.maxInFlight ?? (fast ? 1000 : 200);
  const t0 = opts.startAtT ?? messages[0]?.t ?? 0;
  const wall0 = opts.wallStart ?? Date.now();
  const inflight = new Set<Promise<unknown>>();
  let failure: unknown = null;
  let sent = 0;
  let lastReport = 0;
  const report = (force: boolean): void => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (force || now - lastReport >= 250) {
      lastReport = now;
      opts.onProgress(sent, total);
    }
  };
  for (let i = 0; i < total; i++) {
    if (opts.signal?.aborted || failure) break;
    const m = messages[i]!;
    if (!fast) {
      const due = wall0 + (m.t - t0) / opts.speed;
      const wait = due - Date.now();
      // timers are coarse: sleep only when at least a few ms ahead of schedule
      if (wait >= 4) await sleep(wait, opts.signal);
      if (opts.signal?.aborted) break;
    }
    const publishOpts = opts.receivedAtProperty ? { qos: 1 as const, properties: { userProperties: { 'received-at': new Date(m.t).toISOString() } } } : { qos: 1 as const };
    const p = client.publishAsync(m.topic, m.payload, publishOpts).then(
      () => {
        sent++;
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= maxInFlight) await Promise.race(inflight);
    report(false);
  }
  await Promise.all(inflight);
  report(true);
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
}
