import { z } from 'zod';
import type { Reading } from '../model/reading.js';
import { describeZodError } from '../trips/schema.js';
import { checkSkew, parseJsonPayload, type DecodeContext, type Rejection, type WireFormatDecoder } from './context.js';
import { planForContainer } from './device-binding.js';
import { containerProblem, isoTimeMs } from './fields.js';

/** `json-v1`: one JSON object per reading on `{root}/json/{deviceId}/{kind}` (WIRE 1.1). */
export const JSON_V1_KINDS = ['door', 'gps', 'light', 'temp'] as const;
export type JsonV1Kind = (typeof JSON_V1_KINDS)[number];

const common = { msgId: z.string().min(1).max(200), containerId: z.string(), ts: z.string() };
/** The source of truth for what a json-v1 payload is; `isValidJsonV1` is its hot-path twin. */
export const JSON_V1_SCHEMAS = {
  door: z.object({ ...common, state: z.enum(['open', 'closed']) }),
  gps: z.object({
    ...common,
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    speedKn: z.number().min(0).max(1000).optional(),
    headingDeg: z.number().min(0).max(360).optional(),
    hdop: z.number().positive().max(100).optional(),
  }),
  light: z.object({ ...common, lux: z.number().min(0).max(1e6) }),
  temp: z.object({ ...common, celsius: z.number().min(-60).max(80), setpointC: z.number().min(-60).max(80).optional() }),
} as const;

interface Fields {
  msgId: string;
  containerId: string;
  ts: string;
  state?: 'open' | 'closed';
  lat?: number;
  lon?: number;
  speedKn?: number;
  headingDeg?: number;
  hdop?: number;
  lux?: number;
  celsius?: number;
  setpointC?: number;
}

export function isJsonV1Kind(kind: string): kind is JsonV1Kind {
  return kind === 'door' || kind === 'gps' || kind === 'light' || kind === 'temp';
}

/** A number in [min, max] (NaN and the infinities of `1e999` fail the comparisons, as zod refuses them). */
export const inRange = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && v >= min && v <= max;
const optRange = (v: unknown, min: number, max: number): boolean => v === undefined || inRange(v, min, max);
const idString = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= 200;

/**
 * True exactly when `JSON_V1_SCHEMAS[kind]` accepts `doc` (property-tested):
 * the accepted shape checked by hand, without zod's copy of the object or its
 * issue bookkeeping. Anything it refuses goes through zod, which names the
 * problem, so dead-letter details are zod's.
 */
export function isValidJsonV1(kind: JsonV1Kind, doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const m = doc as Record<string, unknown>;
  if (!idString(m.msgId) || typeof m.containerId !== 'string' || typeof m.ts !== 'string') return false;
  switch (kind) {
    case 'door':
      return m.state === 'open' || m.state === 'closed';
    case 'gps':
      return inRange(m.lat, -90, 90) && inRange(m.lon, -180, 180) && optRange(m.speedKn, 0, 1000) && optRange(m.headingDeg, 0, 360) && (m.hdop === undefined || (typeof m.hdop === 'number' && m.hdop > 0 && m.hdop <= 100));
    case 'light':
      return inRange(m.lux, 0, 1e6);
    case 'temp':
      return inRange(m.celsius, -60, 80) && optRange(m.setpointC, -60, 80);
    default:
      return false;
  }
}

/**
 * Decodes one already-parsed json-v1 object. Pure: returns the reading or why
 * it is rejected.
 */
export function decodeJsonV1(deviceId: string, kind: JsonV1Kind, doc: unknown, receivedAt: number, ctx: DecodeContext): Reading | Rejection {
  let m: Fields;
  if (isValidJsonV1(kind, doc)) m = doc as Fields;
  else {
    const parsed = JSON_V1_SCHEMAS[kind].safeParse(doc);
    if (!parsed.success) return { reason: 'schema-violation', detail: describeZodError(parsed.error) };
    m = parsed.data as Fields;
  }
  const ts = isoTimeMs(m.ts);
  if (Number.isNaN(ts)) return { reason: 'schema-violation', detail: `ts: expected an ISO time ending in Z, got ${JSON.stringify(m.ts).slice(0, 60)}` };
  const containerId = m.containerId;
  const problem = containerProblem(containerId);
  if (problem) return { reason: 'bad-container-number', detail: `containerId ${JSON.stringify(containerId).slice(0, 40)}: ${problem === 'shape' ? 'not an ISO 6346 number' : 'check digit is wrong'}` };
  const skew = checkSkew(ts, receivedAt, ctx.limits);
  if (skew) return skew;
  const plan = planForContainer(ctx.trips, ctx.memos, deviceId, containerId, ts);
  const eventId = `json-v1:${deviceId}:${m.msgId}`;
  const tripId = plan ? plan.tripId : null;
  // Built in one literal each (same key order as ever: the telemetry topic's JSON keeps its shape).
  switch (kind) {
    case 'door':
      return { eventId, deviceId, containerId, tripId, format: 'json-v1', ts, receivedAt, kind: 'door', open: m.state === 'open' };
    case 'gps': {
      const r: Reading = { eventId, deviceId, containerId, tripId, format: 'json-v1', ts, receivedAt, kind: 'location', lat: m.lat!, lon: m.lon! };
      if (m.speedKn !== undefined) r.speedKn = m.speedKn;
      if (m.headingDeg !== undefined) r.headingDeg = m.headingDeg;
      if (m.hdop !== undefined) r.hdop = m.hdop;
      return r;
    }
    case 'light':
      return { eventId, deviceId, containerId, tripId, format: 'json-v1', ts, receivedAt, kind: 'light', lux: m.lux! };
    case 'temp': {
      const r: Reading = { eventId, deviceId, containerId, tripId, format: 'json-v1', ts, receivedAt, kind: 'temperature', celsius: m.celsius! };
      if (m.setpointC !== undefined) r.setpointC = m.setpointC;
      return r;
    }
  }
}

/** json-v1 in the registry: the kind is checked before the payload is parsed. */
export const jsonV1: WireFormatDecoder = {
  format: 'json-v1',
  topic: { level: 'json', id: 'deviceId', kind: true },
  decode(route, text, receivedAt, ctx, out) {
    const kind = route.kind!;
    if (!isJsonV1Kind(kind)) return out.reject({ reason: 'unknown-reading-type', detail: `kind ${JSON.stringify(kind)}: expected door, gps, light or temp` }, text);
    const parsed = parseJsonPayload(text);
    if ('reason' in parsed) return out.reject(parsed, text);
    const r = decodeJsonV1(route.id, kind, parsed.doc, receivedAt, ctx);
    if ('reason' in r) out.reject(r, text);
    else out.keep(r, () => text);
  },
};
