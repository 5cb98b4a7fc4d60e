import mqtt, { type MqttClient } from 'mqtt';
import { MemoryBus } from '../../../src/bus/memory.js';
import type { Bus } from '../../../src/bus/port.js';
import { TOPICS } from '../../../src/bus/topics.js';
import type { Config } from '../../../src/config/schema.js';
import { startApi, type Api } from '../../../src/api/server.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/ingest/embedded-broker.js';
import { createLogger } from '../../../src/log.js';
import { alertId, type Alert } from '../../../src/model/alert.js';
import { readingToWire, type Reading } from '../../../src/model/reading.js';
import { defaultPorts } from '../../../src/geo/ports.js';
import type { TripPlan } from '../../../src/trips/schema.js';
import { newTripDirectory, startPipeline, type Pipeline } from '../../../src/pipeline/app.js';
import type { WebhookDispatcher } from '../../../src/sinks/webhook.js';
import { testConfig } from '../../helpers/fixtures.js';
import { asServiceAccount, login, testBrokerAuth } from '../../helpers/broker-auth.js';

/** An embedded pipeline (aedes on 127.0.0.1:0, memory bus) with the API on 127.0.0.1:0. */
export interface Stack {
  config: Config;
  bus: MemoryBus;
  broker: EmbeddedBroker;
  pipeline: Pipeline;
  api: Api;
  stop(): Promise<void>;
}

export async function startStack(o: { sets?: string[]; plans?: TripPlan[]; webhooks?: WebhookDispatcher | null; replayMark?: string; demoWriteToken?: boolean; bus?: MemoryBus } = {}): Promise<Stack> {
  const config = asServiceAccount(testConfig(['engine.reorderWindowMs=200', 'engine.idleFlushMs=50', `mqtt.clientId=sw-api-test-${process.pid}-${Math.random().toString(36).slice(2)}`, ...(o.sets ?? [])]));
  const log = createLogger('silent');
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, auth: testBrokerAuth() });
  const trips = newTripDirectory(config);
  for (const p of o.plans ?? []) trips.upsert(p);
  const bus = o.bus ?? new MemoryBus();
  const pipeline = await startPipeline({
    config,
    ports: defaultPorts(),
    trips,
    log,
    mqttUrl: broker.url!,
    bus,
    ...(o.webhooks !== undefined ? { webhooks: o.webhooks } : {}),
    ...(o.replayMark !== undefined ? { replayMark: o.replayMark } : {}),
  });
  const api = await startApi({ config, bus, trips, ports: defaultPorts(), log, pipeline, webhooks: pipeline.webhooks, demoWriteToken: o.demoWriteToken ?? false, port: 0 });
  return {
    config,
    bus,
    broker,
    pipeline,
    api,
    async stop() {
      await api.close();
      await pipeline.stop();
      await broker.close();
    },
  };
}

/** An API alone over a bus (no MQTT), for tests that put alerts on the bus themselves. */
export async function startApiOnly(o: { sets?: string[]; bus?: MemoryBus; demoWriteToken?: boolean; plans?: TripPlan[]; webhooks?: WebhookDispatcher } = {}): Promise<{ api: Api; bus: MemoryBus; stop(): Promise<void> }> {
  const config = testConfig(o.sets ?? []);
  const bus = o.bus ?? new MemoryBus();
  const trips = newTripDirectory(config);
  for (const p of o.plans ?? []) trips.upsert(p);
  const api = await startApi({ config, bus, trips, ports: defaultPorts(), log: createLogger('silent'), demoWriteToken: o.demoWriteToken ?? false, webhooks: o.webhooks ?? null, port: 0 });
  return { api, bus, stop: () => api.close() };
}

/** Readings onto the telemetry topic, as the ingest stage puts them there. */
export async function publishReadings(bus: Bus, readings: Reading[]): Promise<void> {
  await bus.produce(
    TOPICS.telemetry,
    readings.map((r) => ({ key: r.containerId, value: JSON.stringify(readingToWire(r)) })),
  );
}

let n = 0;
/** A valid alert (WIRE section 3) with a deterministic id. */
export function makeAlert(over: Partial<Alert> = {}): Alert {
  const k = ++n;
  const a: Alert = {
    alertId: alertId(over.rule ?? 'DOOR_OPEN_IN_TRANSIT', over.containerId ?? 'MSCU1234566', over.tripId === undefined ? 'T-2026-000123' : over.tripId, `k${k}`),
    rule: 'DOOR_OPEN_IN_TRANSIT',
    severity: 'critical',
    containerId: 'MSCU1234566',
    tripId: 'T-2026-000123',
    deviceId: 'acme-00042',
    startedAt: new Date(Date.parse('2026-01-12T03:00:00Z') + k * 60_000).toISOString(),
    detectedAt: new Date(Date.parse('2026-01-12T03:00:30Z') + k * 60_000).toISOString(),
    location: { lat: 36.01, lon: -9.87 },
    summary: `test alert ${k}`,
    evidence: [`json-v1:acme-00042:e${k}`],
    ...over,
  };
  return a;
}

export async function publishAlerts(bus: Bus, alerts: Alert[]): Promise<void> {
  await bus.produce(
    TOPICS.alerts,
    alerts.map((a) => ({ key: a.containerId, value: JSON.stringify(a) })),
  );
}

/** Polls until `check` returns a value other than undefined/false, at most `ms`. */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 10_000, what = 'condition'): Promise<Exclude<T, undefined | false | null>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v as Exclude<T, undefined | false | null>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What getJson answers: the status, the body (parsed when JSON, else its text) and the headers. */
export interface JsonResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A request to the API; T is the body the test expects (bodies.ts), unknown until it says. */
export async function getJson<T = unknown>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, body: (json && text ? JSON.parse(text) : text) as T, headers: res.headers };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function device(url: string | null, clientId = `dev-${Math.random().toString(36).slice(2)}`): Promise<MqttClient> {
  return mqtt.connectAsync(url!, { ...login(clientId), connectTimeout: 5000, reconnectPeriod: 0 });
}
