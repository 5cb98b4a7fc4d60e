import { z } from 'zod';
import { checkContainerNumber } from '../model/iso6346.js';
import type { Reading } from '../model/reading.js';
import { parseIsoTime } from '../model/time.js';
import { describeZodError } from '../model/trip-plan.js';
import { checkSkew, type DecodeContext, type Rejection } from './context.js';

/** `batch-v1`: gateway batches of many containers' readings (WIRE 1.3). */
export const BATCH_EVENT_TYPES = ['DOOR_OPENED', 'DOOR_CLOSED', 'LOCATION', 'LIGHT', 'TEMPERATURE'] as const;

const envelope = z.object({ gatewayId: z.string().min(1), sentAt: z.string(), events: z.array(z.unknown()) });
const eventCommon = { eventId: z.string().min(1).max(200), equipmentReference: z.string(), deviceId: z.string().min(1).max(200), eventDateTime: z.string() };
const EVENT = z.discriminatedUnion('eventType', [
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

export type EnvelopeResult = { gatewayId: string; events: unknown[] } | Rejection;

export function decodeBatchEnvelope(gatewayId: string, doc: unknown, ctx: DecodeContext): EnvelopeResult {
  const env = envelope.safeParse(doc);
  if (!env.success) return { reason: 'schema-violation', detail: describeZodError(env.error) };
  if (env.data.gatewayId !== gatewayId) return { reason: 'schema-violation', detail: `gatewayId ${JSON.stringify(env.data.gatewayId).slice(0, 60)} does not match the topic's ${gatewayId}` };
  if (Number.isNaN(parseIsoTime(env.data.sentAt))) return { reason: 'schema-violation', detail: 'sentAt: expected an ISO time ending in Z' };
  if (env.data.events.length > ctx.limits.maxBatchEvents) return { reason: 'batch-too-large', detail: `${env.data.events.length} events, limit ${ctx.limits.maxBatchEvents}` };
  return { gatewayId, events: env.data.events };
}

export function decodeBatchEvent(doc: unknown, receivedAt: number, ctx: DecodeContext): Reading | Rejection {
  if (doc && typeof doc === 'object' && 'eventType' in doc && !(BATCH_EVENT_TYPES as readonly unknown[]).includes((doc as { eventType: unknown }).eventType)) {
    return { reason: 'unknown-reading-type', detail: `eventType ${JSON.stringify((doc as { eventType: unknown }).eventType).slice(0, 40)}: expected one of ${BATCH_EVENT_TYPES.join(', ')}` };
  }
  const parsed = EVENT.safeParse(doc);
  if (!parsed.success) return { reason: 'schema-violation', detail: describeZodError(parsed.error) };
  const e = parsed.data;
  const ts = parseIsoTime(e.eventDateTime);
  if (Number.isNaN(ts)) return { reason: 'schema-violation', detail: 'eventDateTime: expected an ISO time ending in Z' };
  const problem = checkContainerNumber(e.equipmentReference);
  if (problem) return { reason: 'bad-container-number', detail: `equipmentReference ${JSON.stringify(e.equipmentReference).slice(0, 40)}: ${problem === 'shape' ? 'not an ISO 6346 number' : 'check digit is wrong'}` };
  const skew = checkSkew(ts, receivedAt, ctx.limits);
  if (skew) return skew;
  const plan = ctx.trips.forContainer(e.equipmentReference, ts);
  const base = { eventId: `batch-v1:${e.deviceId}:${e.eventId}`, deviceId: e.deviceId, containerId: e.equipmentReference, tripId: plan ? plan.tripId : null, format: 'batch-v1' as const, ts, receivedAt };
  switch (e.eventType) {
    case 'DOOR_OPENED':
      return { ...base, kind: 'door', open: true };
    case 'DOOR_CLOSED':
      return { ...base, kind: 'door', open: false };
    case 'LOCATION': {
      const r: Reading = { ...base, kind: 'location', lat: e.latitude, lon: e.longitude };
      if (e.speedKnots !== undefined) r.speedKn = e.speedKnots;
      if (e.headingDegrees !== undefined) r.headingDeg = e.headingDegrees;
      return r;
    }
    case 'LIGHT':
      return { ...base, kind: 'light', lux: e.lux };
    case 'TEMPERATURE': {
      const r: Reading = { ...base, kind: 'temperature', celsius: e.temperatureCelsius };
      if (e.setpointCelsius !== undefined) r.setpointC = e.setpointCelsius;
      return r;
    }
  }
}
