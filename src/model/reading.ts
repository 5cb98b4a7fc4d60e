import { z } from 'zod';
import { ISO_TIME, parseIsoTime } from './time.js';

export const WIRE_FORMATS = ['json-v1', 'csv-v1', 'batch-v1'] as const;
export type WireFormat = (typeof WIRE_FORMATS)[number];
export const READING_KINDS = ['door', 'location', 'light', 'temperature'] as const;
export type ReadingKind = (typeof READING_KINDS)[number];

interface ReadingBase {
  /** Deterministic: `{format}:{deviceId}:{device message id}`. */
  eventId: string;
  deviceId: string;
  containerId: string;
  tripId: string | null;
  format: WireFormat;
  /** Measurement time on the device, ms since the epoch. */
  ts: number;
  /** Arrival time at the pipeline, ms since the epoch. */
  receivedAt: number;
}

export interface DoorReading extends ReadingBase {
  kind: 'door';
  open: boolean;
}
export interface LocationReading extends ReadingBase {
  kind: 'location';
  lat: number;
  lon: number;
  speedKn?: number;
  headingDeg?: number;
  hdop?: number;
}
export interface LightReading extends ReadingBase {
  kind: 'light';
  lux: number;
}
export interface TemperatureReading extends ReadingBase {
  kind: 'temperature';
  celsius: number;
  setpointC?: number;
}

/** The canonical normalised reading every decoder produces and every rule consumes. */
export type Reading = DoorReading | LocationReading | LightReading | TemperatureReading;

const isoTime = z.string().refine((s) => ISO_TIME.test(s) && !Number.isNaN(Date.parse(s)), 'ISO time with Z');
// (defined beside parseIsoTime, in a module without zod: the capture reader's worker loads it)
export { ISO_TIME } from './time.js';

const base = {
  eventId: z.string().min(1),
  deviceId: z.string().min(1),
  containerId: z.string().min(1),
  tripId: z.string().nullable(),
  format: z.enum(WIRE_FORMATS),
  measuredAt: isoTime,
  receivedAt: isoTime,
};

/** The JSON form of a reading on `sealwatch.telemetry.v1`: times as ISO strings. */
export const WireReadingSchema = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('door'), open: z.boolean() }),
  z.object({
    ...base,
    kind: z.literal('location'),
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    speedKn: z.number().min(0).optional(),
    headingDeg: z.number().min(0).max(360).optional(),
    hdop: z.number().positive().optional(),
  }),
  z.object({ ...base, kind: z.literal('light'), lux: z.number().min(0) }),
  z.object({ ...base, kind: z.literal('temperature'), celsius: z.number(), setpointC: z.number().optional() }),
]);
export type WireReading = z.infer<typeof WireReadingSchema>;

/**
 * The wire form of a reading: its own keys in its own order, then
 * `measuredAt` and `receivedAt` as ISO strings. `receivedIso`, when the
 * caller has it, is `receivedAt` as an ISO string already (ingest makes one
 * per MQTT message for the raw copy). Copied key by key rather than by a rest
 * spread, which V8 runs through a slow generic path: a third of the time per
 * reading, ingest's largest cost of its own (the property test in
 * test/unit/wire-reading.test.ts holds it to the spread).
 */
export function readingToWire(r: Reading, receivedIso?: string): WireReading {
  const src = r as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in src) if (k !== 'ts' && k !== 'receivedAt') out[k] = src[k];
  out.measuredAt = new Date(r.ts).toISOString();
  out.receivedAt = receivedIso ?? new Date(r.receivedAt).toISOString();
  return out as WireReading;
}

export function readingFromWire(w: WireReading): Reading {
  const { measuredAt, receivedAt, ...rest } = w;
  return { ...rest, ts: Date.parse(measuredAt), receivedAt: Date.parse(receivedAt) } as Reading;
}

/** Parses and validates a telemetry message value; throws a zod error when it is not a reading. */
export function parseWireReading(json: string): Reading {
  const doc: unknown = JSON.parse(json);
  return readingFromValidWire(doc) ?? readingFromWire(WireReadingSchema.parse(doc));
}

/** The schema path alone (what parseWireReading's hot path must agree with; tests compare the two). */
export function parseWireReadingBySchema(json: string): Reading {
  return readingFromWire(WireReadingSchema.parse(JSON.parse(json)));
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const FORMAT_OK: Record<string, true | undefined> = { 'json-v1': true, 'csv-v1': true, 'batch-v1': true };

/**
 * The reading of a telemetry message the schema surely accepts, built
 * directly (no copy by zod, no two spreads); null when anything is not
 * plainly valid, and the schema then decides and names the problem. Every
 * message the pipeline writes takes this path; the result is the schema
 * path's, keys in the same order (the property test in
 * test/unit/wire-reading.test.ts compares them on valid and broken messages).
 */
function readingFromValidWire(doc: unknown): Reading | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const w = doc as Record<string, unknown>;
  const { eventId, deviceId, containerId, tripId, format, kind } = w;
  if (!isText(eventId) || !isText(deviceId) || !isText(containerId) || !(tripId === null || typeof tripId === 'string')) return null;
  if (typeof format !== 'string' || FORMAT_OK[format] !== true) return null;
  const ts = parseIsoTime(w.measuredAt);
  const receivedAt = parseIsoTime(w.receivedAt);
  if (Number.isNaN(ts) || Number.isNaN(receivedAt)) return null;
  const f = format as WireFormat;
  switch (kind) {
    case 'door':
      return typeof w.open === 'boolean' ? { eventId, deviceId, containerId, tripId, format: f, kind, open: w.open, ts, receivedAt } : null;
    case 'light':
      return isNum(w.lux) && w.lux >= 0 ? { eventId, deviceId, containerId, tripId, format: f, kind, lux: w.lux, ts, receivedAt } : null;
    case 'temperature': {
      const { celsius, setpointC } = w;
      if (!isNum(celsius)) return null;
      if (setpointC === undefined) return { eventId, deviceId, containerId, tripId, format: f, kind, celsius, ts, receivedAt };
      return isNum(setpointC) ? { eventId, deviceId, containerId, tripId, format: f, kind, celsius, setpointC, ts, receivedAt } : null;
    }
    case 'location': {
      const { lat, lon, speedKn, headingDeg, hdop } = w;
      if (!isNum(lat) || lat < -90 || lat > 90 || !isNum(lon) || lon < -180 || lon > 180) return null;
      if (speedKn !== undefined && !(isNum(speedKn) && speedKn >= 0)) return null;
      if (headingDeg !== undefined && !(isNum(headingDeg) && headingDeg >= 0 && headingDeg <= 360)) return null;
      if (hdop !== undefined && !(isNum(hdop) && hdop > 0)) return null;
      // optional values in the schema's order, present only when given (as the schema path leaves them)
      const r: Record<string, unknown> = { eventId, deviceId, containerId, tripId, format: f, kind, lat, lon };
      if (speedKn !== undefined) r.speedKn = speedKn;
      if (headingDeg !== undefined) r.headingDeg = headingDeg;
      if (hdop !== undefined) r.hdop = hdop;
      r.ts = ts;
      r.receivedAt = receivedAt;
      return r as unknown as LocationReading;
    }
    default:
      return null;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** The kind and values of a reading without its identity and times. */
export type ReadingValues = DistributiveOmit<Reading, keyof ReadingBase>;
