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

/*
 * Readings are made by these four functions only: every reading has every
 * kind's fields, in one order, those of other kinds and optional ones not
 * given undefined. All readings then share one hidden class, and the
 * engine's and the rules' reads of `r.ts`, `r.eventId` or `r.kind` stay
 * monomorphic; readings of five shapes (a kind's fields, optional ones
 * present or not) made them megamorphic, which cost the engine more than
 * half its time per event without rules (docs/performance.md, "Readings of
 * one shape"). JSON drops the undefined fields: the wire forms are unchanged
 * but for their keys' order.
 */

/** The one literal every reading is made by (one allocation site, one hidden class). */
function made(
  kind: ReadingKind,
  eventId: string,
  deviceId: string,
  containerId: string,
  tripId: string | null,
  format: WireFormat,
  ts: number,
  receivedAt: number,
  open: boolean | undefined,
  lat: number | undefined,
  lon: number | undefined,
  speedKn: number | undefined,
  headingDeg: number | undefined,
  hdop: number | undefined,
  lux: number | undefined,
  celsius: number | undefined,
  setpointC: number | undefined,
): Reading {
  const r = { eventId, deviceId, containerId, tripId, format, kind, ts, receivedAt, open, lat, lon, speedKn, headingDeg, hdop, lux, celsius, setpointC };
  return r as unknown as Reading;
}

export function doorReading(eventId: string, deviceId: string, containerId: string, tripId: string | null, format: WireFormat, ts: number, receivedAt: number, open: boolean): DoorReading {
  return made('door', eventId, deviceId, containerId, tripId, format, ts, receivedAt, open, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined) as DoorReading;
}

// biome-ignore format: one line per builder, like its three siblings
export function locationReading(eventId: string, deviceId: string, containerId: string, tripId: string | null, format: WireFormat, ts: number, receivedAt: number, lat: number, lon: number, speedKn: number | undefined, headingDeg: number | undefined, hdop: number | undefined): LocationReading {
  return made('location', eventId, deviceId, containerId, tripId, format, ts, receivedAt, undefined, lat, lon, speedKn, headingDeg, hdop, undefined, undefined, undefined) as LocationReading;
}

export function lightReading(eventId: string, deviceId: string, containerId: string, tripId: string | null, format: WireFormat, ts: number, receivedAt: number, lux: number): LightReading {
  return made('light', eventId, deviceId, containerId, tripId, format, ts, receivedAt, undefined, undefined, undefined, undefined, undefined, undefined, lux, undefined, undefined) as LightReading;
}

// biome-ignore format: one line per builder, like its three siblings
export function temperatureReading(eventId: string, deviceId: string, containerId: string, tripId: string | null, format: WireFormat, ts: number, receivedAt: number, celsius: number, setpointC: number | undefined): TemperatureReading {
  return made('temperature', eventId, deviceId, containerId, tripId, format, ts, receivedAt, undefined, undefined, undefined, undefined, undefined, undefined, undefined, celsius, setpointC) as TemperatureReading;
}

/** A reading of any make as one of the four functions above makes it (for paths where speed does not matter: schemas, tests, simulators). */
export function oneShape(r: Reading): Reading {
  switch (r.kind) {
    case 'door':
      return doorReading(r.eventId, r.deviceId, r.containerId, r.tripId, r.format, r.ts, r.receivedAt, r.open);
    case 'location':
      return locationReading(r.eventId, r.deviceId, r.containerId, r.tripId, r.format, r.ts, r.receivedAt, r.lat, r.lon, r.speedKn, r.headingDeg, r.hdop);
    case 'light':
      return lightReading(r.eventId, r.deviceId, r.containerId, r.tripId, r.format, r.ts, r.receivedAt, r.lux);
    case 'temperature':
      return temperatureReading(r.eventId, r.deviceId, r.containerId, r.tripId, r.format, r.ts, r.receivedAt, r.celsius, r.setpointC);
  }
}

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
 * The wire form of a reading: its fields that have a value, in their order, then
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
  for (const k in src) {
    // (the fields of other kinds, and optional ones not given, are undefined: not written)
    if (k === 'ts' || k === 'receivedAt') continue;
    const v = src[k];
    if (v !== undefined) out[k] = v;
  }
  out.measuredAt = new Date(r.ts).toISOString();
  out.receivedAt = receivedIso ?? new Date(r.receivedAt).toISOString();
  return out as WireReading;
}

export function readingFromWire(w: WireReading): Reading {
  const { measuredAt, receivedAt, ...rest } = w;
  return oneShape({ ...rest, ts: Date.parse(measuredAt), receivedAt: Date.parse(receivedAt) } as Reading);
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
 * path's, of the same shape (the property test in
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
      return typeof w.open === 'boolean' ? doorReading(eventId, deviceId, containerId, tripId, f, ts, receivedAt, w.open) : null;
    case 'light':
      return isNum(w.lux) && w.lux >= 0 ? lightReading(eventId, deviceId, containerId, tripId, f, ts, receivedAt, w.lux) : null;
    case 'temperature': {
      const { celsius, setpointC } = w;
      if (!isNum(celsius) || (setpointC !== undefined && !isNum(setpointC))) return null;
      return temperatureReading(eventId, deviceId, containerId, tripId, f, ts, receivedAt, celsius, setpointC as number | undefined);
    }
    case 'location': {
      const { lat, lon, speedKn, headingDeg, hdop } = w;
      if (!isNum(lat) || lat < -90 || lat > 90 || !isNum(lon) || lon < -180 || lon > 180) return null;
      if (speedKn !== undefined && !(isNum(speedKn) && speedKn >= 0)) return null;
      if (headingDeg !== undefined && !(isNum(headingDeg) && headingDeg >= 0 && headingDeg <= 360)) return null;
      if (hdop !== undefined && !(isNum(hdop) && hdop > 0)) return null;
      return locationReading(eventId, deviceId, containerId, tripId, f, ts, receivedAt, lat, lon, speedKn as number | undefined, headingDeg as number | undefined, hdop as number | undefined);
    }
    default:
      return null;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** The kind and values of a reading without its identity and times. */
export type ReadingValues = DistributiveOmit<Reading, keyof ReadingBase>;
