import { z } from 'zod';
import type { Reading } from '../model/reading.js';
import { describeZodError } from '../trips/schema.js';
import { checkSkew, parseJsonPayload, type DecodeContext, type Rejection, type WireFormatDecoder } from './context.js';
import { planForContainer } from './device-binding.js';
import { containerProblem, isoTimeMs } from './fields.js';
import { inRange } from './json-v1.js';

/** `batch-v1`: gateway batches of many containers' readings (WIRE 1.3). */
export const BATCH_EVENT_TYPES = ['DOOR_OPENED', 'DOOR_CLOSED', 'LOCATION', 'LIGHT', 'TEMPERATURE'] as const;

/** The source of truth for a batch and its events; `isValidBatchEnvelope` and `isValidBatchEvent` are their hot-path twins. */
export const BATCH_ENVELOPE_SCHEMA = z.object({ gatewayId: z.string().min(1), sentAt: z.string(), events: z.array(z.unknown()) });
const eventCommon = { eventId: z.string().min(1).max(200), equipmentReference: z.string(), deviceId: z.string().min(1).max(200), eventDateTime: z.string() };
export const BATCH_EVENT_SCHEMA = z.discriminatedUnion('eventType', [
  z.object({ ...eventCommon, eventType: z.literal('DOOR_OPENED') }),
  z.object({ ...eventCommon, eventType: z.literal('DOOR_CLOSED') }),
  z.object({
    ...eventCommon,
    eventType: z.literal('LOCATION'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    speedKnots: z.number().min(0).max(1000).optional(),
    headingDegrees: z.number().min(0).max(360).optional(),
  }),
  z.object({ ...eventCommon, eventType: z.literal('LIGHT'), lux: z.number().min(0).max(1e6) }),
  z.object({ ...eventCommon, eventType: z.literal('TEMPERATURE'), temperatureCelsius: z.number().min(-60).max(80), setpointCelsius: z.number().min(-60).max(80).optional() }),
]);

interface Event {
  eventId: string;
  equipmentReference: string;
  deviceId: string;
  eventDateTime: string;
  eventType: (typeof BATCH_EVENT_TYPES)[number];
  latitude?: number;
  longitude?: number;
  speedKnots?: number;
  headingDegrees?: number;
  lux?: number;
  temperatureCelsius?: number;
  setpointCelsius?: number;
}

export type EnvelopeResult = { gatewayId: string; events: unknown[] } | Rejection;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optRange = (v: unknown, min: number, max: number): boolean => v === undefined || inRange(v, min, max);
const idString = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= 200;

/** True exactly when `BATCH_ENVELOPE_SCHEMA` accepts `doc` (property-tested). */
export function isValidBatchEnvelope(doc: unknown): boolean {
  return isRecord(doc) && typeof doc.gatewayId === 'string' && doc.gatewayId.length >= 1 && typeof doc.sentAt === 'string' && Array.isArray(doc.events);
}

/** True exactly when `BATCH_EVENT_SCHEMA` accepts `doc` (property-tested). */
export function isValidBatchEvent(doc: unknown): boolean {
  if (!isRecord(doc)) return false;
  if (!idString(doc.eventId) || typeof doc.equipmentReference !== 'string' || !idString(doc.deviceId) || typeof doc.eventDateTime !== 'string') return false;
  switch (doc.eventType) {
    case 'DOOR_OPENED':
    case 'DOOR_CLOSED':
      return true;
    case 'LOCATION':
      return inRange(doc.latitude, -90, 90) && inRange(doc.longitude, -180, 180) && optRange(doc.speedKnots, 0, 1000) && optRange(doc.headingDegrees, 0, 360);
    case 'LIGHT':
      return inRange(doc.lux, 0, 1e6);
    case 'TEMPERATURE':
      return inRange(doc.temperatureCelsius, -60, 80) && optRange(doc.setpointCelsius, -60, 80);
    default:
      return false;
  }
}

export function decodeBatchEnvelope(gatewayId: string, doc: unknown, ctx: DecodeContext): EnvelopeResult {
  let env: { gatewayId: string; sentAt: string; events: unknown[] };
  if (isValidBatchEnvelope(doc)) env = doc as typeof env;
  else {
    const parsed = BATCH_ENVELOPE_SCHEMA.safeParse(doc);
    if (!parsed.success) return { reason: 'schema-violation', detail: describeZodError(parsed.error) };
    env = parsed.data;
  }
  if (env.gatewayId !== gatewayId) return { reason: 'schema-violation', detail: `gatewayId ${JSON.stringify(env.gatewayId).slice(0, 60)} does not match the topic's ${gatewayId}` };
  if (Number.isNaN(isoTimeMs(env.sentAt))) return { reason: 'schema-violation', detail: 'sentAt: expected an ISO time ending in Z' };
  if (env.events.length > ctx.limits.maxBatchEvents) return { reason: 'batch-too-large', detail: `${env.events.length} events, limit ${ctx.limits.maxBatchEvents}` };
  return { gatewayId, events: env.events };
}

const isBatchEventType = (t: unknown): boolean => t === 'DOOR_OPENED' || t === 'DOOR_CLOSED' || t === 'LOCATION' || t === 'LIGHT' || t === 'TEMPERATURE';

export function decodeBatchEvent(doc: unknown, receivedAt: number, ctx: DecodeContext): Reading | Rejection {
  let e: Event;
  if (isValidBatchEvent(doc)) e = doc as Event;
  else {
    if (doc && typeof doc === 'object' && 'eventType' in doc && !isBatchEventType((doc as { eventType: unknown }).eventType)) {
      return { reason: 'unknown-reading-type', detail: `eventType ${JSON.stringify((doc as { eventType: unknown }).eventType).slice(0, 40)}: expected one of ${BATCH_EVENT_TYPES.join(', ')}` };
    }
    const parsed = BATCH_EVENT_SCHEMA.safeParse(doc);
    if (!parsed.success) return { reason: 'schema-violation', detail: describeZodError(parsed.error) };
    e = parsed.data;
  }
  const ts = isoTimeMs(e.eventDateTime);
  if (Number.isNaN(ts)) return { reason: 'schema-violation', detail: 'eventDateTime: expected an ISO time ending in Z' };
  const containerId = e.equipmentReference;
  const problem = containerProblem(containerId);
  if (problem) return { reason: 'bad-container-number', detail: `equipmentReference ${JSON.stringify(containerId).slice(0, 40)}: ${problem === 'shape' ? 'not an ISO 6346 number' : 'check digit is wrong'}` };
  const skew = checkSkew(ts, receivedAt, ctx.limits);
  if (skew) return skew;
  const deviceId = e.deviceId;
  const plan = planForContainer(ctx.trips, ctx.memos, deviceId, containerId, ts);
  const eventId = `batch-v1:${deviceId}:${e.eventId}`;
  const tripId = plan ? plan.tripId : null;
  // One literal per kind (and for the usual optional values), keys in the order the telemetry topic has always had.
  switch (e.eventType) {
    case 'DOOR_OPENED':
      return { eventId, deviceId, containerId, tripId, format: 'batch-v1', ts, receivedAt, kind: 'door', open: true };
    case 'DOOR_CLOSED':
      return { eventId, deviceId, containerId, tripId, format: 'batch-v1', ts, receivedAt, kind: 'door', open: false };
    case 'LOCATION': {
      if (e.speedKnots !== undefined && e.headingDegrees !== undefined)
        return { eventId, deviceId, containerId, tripId, format: 'batch-v1', ts, receivedAt, kind: 'location', lat: e.latitude!, lon: e.longitude!, speedKn: e.speedKnots, headingDeg: e.headingDegrees };
      const r: Reading = { eventId, deviceId, containerId, tripId, format: 'batch-v1', ts, receivedAt, kind: 'location', lat: e.latitude!, lon: e.longitude! };
      if (e.speedKnots !== undefined) r.speedKn = e.speedKnots;
      if (e.headingDegrees !== undefined) r.headingDeg = e.headingDegrees;
      return r;
    }
    case 'LIGHT':
      return { eventId, deviceId, containerId, tripId, format: 'batch-v1', ts, receivedAt, kind: 'light', lux: e.lux! };
    case 'TEMPERATURE': {
      if (e.setpointCelsius !== undefined) return { eventId, deviceId, containerId, tripId, format: 'batch-v1', ts, receivedAt, kind: 'temperature', celsius: e.temperatureCelsius!, setpointC: e.setpointCelsius };
      const r: Reading = { eventId, deviceId, containerId, tripId, format: 'batch-v1', ts, receivedAt, kind: 'temperature', celsius: e.temperatureCelsius! };
      if (e.setpointCelsius !== undefined) r.setpointC = e.setpointCelsius;
      return r;
    }
  }
}

/** batch-v1 in the registry: a bad envelope rejects the message, a bad event only itself (kept as its own JSON). */
export const batchV1: WireFormatDecoder = {
  format: 'batch-v1',
  topic: { level: 'batch', id: 'gatewayId', kind: false },
  decode(route, text, receivedAt, ctx, out) {
    const parsed = parseJsonPayload(text);
    if ('reason' in parsed) return out.reject(parsed, text);
    const env = decodeBatchEnvelope(route.id, parsed.doc, ctx);
    if ('reason' in env) return out.reject(env, text);
    for (let i = 0; i < env.events.length; i++) {
      const ev = env.events[i];
      const result = decodeBatchEvent(ev, receivedAt, ctx);
      if ('reason' in result) out.reject({ reason: result.reason, detail: `events[${i}]: ${result.detail}` }, safeStringify(ev));
      else out.keep(result, () => safeStringify(ev));
    }
  },
};

/** An event's JSON for its dead letter (what JSON cannot hold, as text). */
export function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return String(v);
  }
}
