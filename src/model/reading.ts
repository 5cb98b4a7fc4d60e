import { z } from 'zod';

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
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

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

export function readingToWire(r: Reading): WireReading {
  const { ts, receivedAt, ...rest } = r;
  return { ...rest, measuredAt: new Date(ts).toISOString(), receivedAt: new Date(receivedAt).toISOString() } as WireReading;
}

export function readingFromWire(w: WireReading): Reading {
  const { measuredAt, receivedAt, ...rest } = w;
  return { ...rest, ts: Date.parse(measuredAt), receivedAt: Date.parse(receivedAt) } as Reading;
}

/** Parses and validates a telemetry message value; throws a zod error when it is not a reading. */
export function parseWireReading(json: string): Reading {
  return readingFromWire(WireReadingSchema.parse(JSON.parse(json)));
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** The kind and values of a reading without its identity and times. */
export type ReadingValues = DistributiveOmit<Reading, keyof ReadingBase>;
