import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Alert } from '../../src/model/alert.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { Reading } from '../../src/model/reading.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { RuleEngine } from '../../src/rules/engine.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { seaLaneRouter } from '../../src/geo/sea-router.js';

export const T0 = Date.parse('2026-01-07T10:00:00Z');
export const MIN = 60_000;
export const HOUR = 3_600_000;

export function testConfig(sets: string[] = []): Config {
  return loadConfig({ env: {}, sets });
}

/** Rotterdam -> Algeciras -> Santos, as in WIRE section 2 (dry box unless reefer given). */
export function plan(over: Partial<TripPlan> = {}): TripPlan {
  return {
    tripId: 'T-2026-000123',
    containerId: 'MSCU1234566',
    deviceId: 'acme-00042',
    origin: 'NLRTM',
    destination: 'BRSSZ',
    transshipments: ['ESALG'],
    departure: '2026-01-07T10:00:00Z',
    eta: '2026-01-24T06:00:00Z',
    ...over,
  } as TripPlan;
}

let seq = 0;
type Values = { kind: 'door'; open: boolean } | { kind: 'location'; lat: number; lon: number; speedKn?: number; hdop?: number } | { kind: 'light'; lux: number } | { kind: 'temperature'; celsius: number; setpointC?: number };

/** A reading at `ts`, arriving `delay` ms later. */
export function reading(ts: number, v: Values, o: { containerId?: string; tripId?: string | null; deviceId?: string; delay?: number; id?: string } = {}): Reading {
  const id = o.id ?? `m${++seq}`;
  return {
    eventId: `json-v1:${o.deviceId ?? 'acme-00042'}:${id}`,
    deviceId: o.deviceId ?? 'acme-00042',
    containerId: o.containerId ?? 'MSCU1234566',
    tripId: o.tripId === undefined ? 'T-2026-000123' : o.tripId,
    format: 'json-v1',
    ts,
    receivedAt: ts + (o.delay ?? 5000),
    ...v,
  } as Reading;
}

export interface Harness {
  engine: RuleEngine;
  alerts: Alert[];
  late: Reading[];
  /** Feeds readings in arrival order (receivedAt, stable) and flushes at the end. */
  feed(readings: Reading[]): Alert[];
  /** Feeds readings exactly in the order given and flushes at the end. */
  feedAsGiven(readings: Reading[]): Alert[];
}

/** A rule engine with every rule, collecting its alerts and late readings. */
export function harness(plans: TripPlan[] = [plan()], sets: string[] = []): Harness {
  const config = testConfig(sets);
  const trips = new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, plans);
  const alerts: Alert[] = [];
  const late: Reading[] = [];
  const engine = new RuleEngine({ config, trips, ports: defaultPorts(), rules: ALL_RULES, router: seaLaneRouter, output: { alert: (a) => alerts.push(a), late: (r) => late.push(r) } });
  return {
    engine,
    alerts,
    late,
    feed(readings) {
      return this.feedAsGiven([...readings].sort((a, b) => a.receivedAt - b.receivedAt));
    },
    feedAsGiven(readings) {
      for (const r of readings) engine.ingest(r);
      engine.flush();
      return alerts;
    },
  };
}

/** A straight track between two points, one fix every `stepMin` minutes. */
export function track(from: [number, number], to: [number, number], start: number, minutes: number, stepMin: number, speedKn?: number, o: Parameters<typeof reading>[2] = {}): Reading[] {
  const out: Reading[] = [];
  const n = Math.floor(minutes / stepMin);
  for (let i = 0; i <= n; i++) {
    const f = n === 0 ? 0 : i / n;
    out.push(reading(start + i * stepMin * MIN, { kind: 'location', lat: from[0] + (to[0] - from[0]) * f, lon: from[1] + (to[1] - from[1]) * f, ...(speedKn !== undefined ? { speedKn } : {}) }, o));
  }
  return out;
}

export function byTs(rs: Reading[]): Reading[] {
  return [...rs].sort((a, b) => a.ts - b.ts || (a.eventId < b.eventId ? -1 : 1));
}
