import { z } from 'zod';
import { checkContainerNumber } from '../model/iso6346.js';
import type { Reading } from '../model/reading.js';
import { parseIsoTime } from '../model/time.js';
import { describeZodError } from '../model/trip-plan.js';
import { checkSkew, type DecodeContext, type Rejection } from './context.js';

/** `json-v1`: one JSON object per reading on `{root}/json/{deviceId}/{kind}` (WIRE 1.1). */
export const JSON_V1_KINDS = ['door', 'gps', 'light', 'temp'] as const;
export type JsonV1Kind = (typeof JSON_V1_KINDS)[number];

const common = { msgId: z.string().min(1).max(200), containerId: z.string(), ts: z.string() };
const SCHEMAS = {
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

export function isJsonV1Kind(kind: string): kind is JsonV1Kind {
  return (JSON_V1_KINDS as readonly string[]).includes(kind);
}

/**
 * Decodes one already-parsed json-v1 object. Pure: returns the reading or why
 * it is rejected.
 */
export function decodeJsonV1(deviceId: string, kind: JsonV1Kind, doc: unknown, receivedAt: number, ctx: DecodeContext): Reading | Rejection {
  const parsed = SCHEMAS[kind].safeParse(doc);
  if (!parsed.success) return { reason: 'schema-violation', detail: describeZodError(parsed.error) };
  const m = parsed.data;
  const ts = parseIsoTime(m.ts);
  if (Number.isNaN(ts)) return { reason: 'schema-violation', detail: `ts: expected an ISO time ending in Z, got ${JSON.stringify(m.ts).slice(0, 60)}` };
  const problem = checkContainerNumber(m.containerId);
  if (problem) return { reason: 'bad-container-number', detail: `containerId ${JSON.stringify(m.containerId).slice(0, 40)}: ${problem === 'shape' ? 'not an ISO 6346 number' : 'check digit is wrong'}` };
  const skew = checkSkew(ts, receivedAt, ctx.limits);
  if (skew) return skew;
  const plan = ctx.trips.forContainer(m.containerId, ts);
  const base = { eventId: `json-v1:${deviceId}:${m.msgId}`, deviceId, containerId: m.containerId, tripId: plan ? plan.tripId : null, format: 'json-v1' as const, ts, receivedAt };
  switch (kind) {
    case 'door':
      return { ...base, kind: 'door', open: (m as z.infer<typeof SCHEMAS.door>).state === 'open' };
    case 'gps': {
      const g = m as z.infer<typeof SCHEMAS.gps>;
      const r: Reading = { ...base, kind: 'location', lat: g.lat, lon: g.lon };
      if (g.speedKn !== undefined) r.speedKn = g.speedKn;
      if (g.headingDeg !== undefined) r.headingDeg = g.headingDeg;
      if (g.hdop !== undefined) r.hdop = g.hdop;
      return r;
    }
    case 'light':
      return { ...base, kind: 'light', lux: (m as z.infer<typeof SCHEMAS.light>).lux };
    case 'temp': {
      const t = m as z.infer<typeof SCHEMAS.temp>;
      const r: Reading = { ...base, kind: 'temperature', celsius: t.celsius };
      if (t.setpointC !== undefined) r.setpointC = t.setpointC;
      return r;
    }
  }
}
