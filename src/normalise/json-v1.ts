import { z } from 'zod';
import { doorReading, lightReading, locationReading, type Reading, temperatureReading } from '../model/reading.js';
import { describeZodError } from '../trips/schema.js';
import { checkSkew, parseJsonPayload, type DecodeContext, type Rejection, type WireFormatDecoder } from './context.js';
import { planForContainer } from './device-binding.js';
import { containerProblem, isoTimeMs, isoTimeMsBytes } from './fields.js';
import { FlatMembers, sameAt, scanFlatObject } from './flat-json.js';

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
  return fromFields(deviceId, kind, m, ts, receivedAt, ctx);
}

/** The reading of a valid document's fields (measured at `ts`), or why it is rejected. */
function fromFields(deviceId: string, kind: JsonV1Kind, m: Fields, ts: number, receivedAt: number, ctx: DecodeContext): Reading | Rejection {
  const containerId = m.containerId;
  const problem = containerProblem(containerId);
  if (problem) return { reason: 'bad-container-number', detail: `containerId ${JSON.stringify(containerId).slice(0, 40)}: ${problem === 'shape' ? 'not an ISO 6346 number' : 'check digit is wrong'}` };
  const skew = checkSkew(ts, receivedAt, ctx.limits);
  if (skew) return skew;
  const plan = planForContainer(ctx.trips, ctx.memos, deviceId, containerId, ts);
  return jsonV1Reading(`json-v1:${deviceId}:${m.msgId}`, deviceId, kind, m, ts, receivedAt, plan ? plan.tripId : null);
}

/**
 * The reading of a valid document's fields, once its checks are passed
 * (container number, clock skew, the plan giving `tripId`); `eventId` is
 * `json-v1:{deviceId}:{msgId}`. The JSON.parse path builds its readings here,
 * the scanner's path in `scannedJsonV1Reading` (the same literals).
 */
export function jsonV1Reading(eventId: string, deviceId: string, kind: JsonV1Kind, m: Fields, ts: number, receivedAt: number, tripId: string | null): Reading {
  const containerId = m.containerId;
  // every reading of one shape (model/reading.ts)
  switch (kind) {
    case 'door':
      return doorReading(eventId, deviceId, containerId, tripId, 'json-v1', ts, receivedAt, m.state === 'open');
    case 'gps':
      return locationReading(eventId, deviceId, containerId, tripId, 'json-v1', ts, receivedAt, m.lat!, m.lon!, m.speedKn, m.headingDeg, m.hdop);
    case 'light':
      return lightReading(eventId, deviceId, containerId, tripId, 'json-v1', ts, receivedAt, m.lux!);
    case 'temp':
      return temperatureReading(eventId, deviceId, containerId, tripId, 'json-v1', ts, receivedAt, m.celsius!, m.setpointC);
  }
}

/**
 * A kind as the scanner reads it (flat-json.ts): its keys, the first three
 * every kind's; the members that must be there (bits by key index); the
 * members that must be numbers (k >= 3) and may be absent.
 */
export interface JsonV1Spec {
  readonly kind: JsonV1Kind;
  readonly keys: readonly string[];
  readonly required: number;
  readonly numbers: number;
}
export const JSON_V1_SPECS: Readonly<Record<JsonV1Kind, JsonV1Spec>> = {
  door: { kind: 'door', keys: ['msgId', 'containerId', 'ts', 'state'], required: 0b1111, numbers: 0 },
  gps: { kind: 'gps', keys: ['msgId', 'containerId', 'ts', 'lat', 'lon', 'speedKn', 'headingDeg', 'hdop'], required: 0b11111, numbers: 0b11111000 },
  light: { kind: 'light', keys: ['msgId', 'containerId', 'ts', 'lux'], required: 0b1111, numbers: 0b1000 },
  temp: { kind: 'temp', keys: ['msgId', 'containerId', 'ts', 'celsius', 'setpointC'], required: 0b1111, numbers: 0b11000 },
};

/** What the json-v1 scan reuses from one payload to the next (one per normaliser): the members scanned, the fields read from them and the time. */
export class JsonV1Scratch {
  readonly members = new FlatMembers();
  /** The strings read (msgId, containerId, a door's state); the numbers stay in `members` (`scannedJsonV1Reading`). */
  readonly fields: Fields = { msgId: '', containerId: '', ts: '', state: undefined };
  /** The measurement time of the last payload read (ms). */
  ts = 0;
  /** The container number `scanJsonV1` took last (its `known`). */
  readonly known: KnownContainer = { container: '', k0: 0, k1: 0, k2: 0 };
}

/**
 * `decodeJsonV1(deviceId, kind, JSON.parse(text), ...)` without the document,
 * for the payloads the flat scanner is sure of and `isValidJsonV1` would
 * accept; null for any other payload (parse it and decode the usual way).
 * Accepted text is all ASCII, so valid UTF-8. `scratch.fields.msgId` is the
 * msgId afterwards. The normaliser runs its two steps itself
 * (`scanJsonV1Fields`, then the checks and `scannedJsonV1Reading`).
 */
export function scanJsonV1(deviceId: string, kind: JsonV1Kind, text: string, receivedAt: number, ctx: DecodeContext, scratch: JsonV1Scratch): Reading | Rejection | null {
  // the payload's bytes, as the normaliser scans them; the container number of the payload before, as the normaliser gives a topic's last one
  if (!scanJsonV1Fields(JSON_V1_SPECS[kind], Buffer.from(text), scratch, scratch.known)) return null;
  // fromFields' checks, in its order (the container number was checked by the scan)
  const f = scratch.fields;
  const ts = scratch.ts;
  const skew = checkSkew(ts, receivedAt, ctx.limits);
  if (skew) return skew;
  const plan = planForContainer(ctx.trips, ctx.memos, deviceId, f.containerId, ts);
  return scannedJsonV1Reading(`json-v1:${deviceId}:${f.msgId}`, deviceId, kind, scratch, receivedAt, plan ? plan.tripId : null);
}

/**
 * `jsonV1Reading` of the payload `scanJsonV1Fields` last read into `scratch`,
 * its numbers taken from the scan's members (no copy into `scratch.fields`,
 * each stored double a box made and dropped): the same literals, keys in the
 * same order.
 */
export function scannedJsonV1Reading(eventId: string, deviceId: string, kind: JsonV1Kind, scratch: JsonV1Scratch, receivedAt: number, tripId: string | null): Reading {
  const f = scratch.fields;
  const containerId = f.containerId;
  const ts = scratch.ts;
  const mm = scratch.members;
  const num = mm.num;
  const present = mm.present;
  switch (kind) {
    case 'door':
      return doorReading(eventId, deviceId, containerId, tripId, 'json-v1', ts, receivedAt, f.state === 'open');
    case 'gps':
      // members 5, 6, 7: speedKn, headingDeg, hdop
      return locationReading(
        eventId,
        deviceId,
        containerId,
        tripId,
        'json-v1',
        ts,
        receivedAt,
        num[3]!,
        num[4]!,
        present & 0b100000 ? num[5]! : undefined,
        present & 0b1000000 ? num[6]! : undefined,
        present & 0b10000000 ? num[7]! : undefined,
      );
    case 'light':
      return lightReading(eventId, deviceId, containerId, tripId, 'json-v1', ts, receivedAt, num[3]!);
    case 'temp':
      // member 4: setpointC
      return temperatureReading(eventId, deviceId, containerId, tripId, 'json-v1', ts, receivedAt, num[3]!, present & 0b10000 ? num[4]! : undefined);
  }
}

/**
 * Step one of `scanJsonV1`: reads a payload of `spec`'s kind into
 * `scratch` (its strings into `fields`, its numbers left in `members`, its
 * measurement time into `ts`) when the flat
 * scanner is sure of it, `isValidJsonV1` would accept it, and its time and
 * container number are valid; false for any other payload. `known`: the
 * container number taken last (by a topic, say): a payload naming it again
 * takes that string, unchecked and unsliced, compared by its character codes
 * kept beside it (no read of the string itself); a payload taken updates it.
 */
export function scanJsonV1Fields(spec: JsonV1Spec, payload: Buffer, scratch: JsonV1Scratch, known: KnownContainer): boolean {
  const mm = scratch.members;
  // containerId and ts (bits 1, 2) are checked character by character below
  if (!scanFlatObject(payload, spec.keys, 0b110, mm)) return false;
  const present = mm.present;
  // the required members there, the first three strings, the rest numbers (door: its state a string)
  if ((present & spec.required) !== spec.required || (mm.strings & 0b111) !== 0b111 || (mm.strings & spec.numbers) !== 0) return false;
  const start = mm.start;
  const end = mm.end;
  const idLen = end[0]! - start[0]!;
  if (idLen < 1 || idLen > 200) return false;
  const f = scratch.fields;
  const num = mm.num;
  switch (spec.kind) {
    case 'door': {
      if ((mm.strings & 0b1000) === 0) return false;
      const a = start[3]!;
      const len = end[3]! - a;
      if (len === 4 && sameAt(payload, a, 'open')) f.state = 'open';
      else if (len === 6 && sameAt(payload, a, 'closed')) f.state = 'closed';
      else return false;
      break;
    }
    // the numbers checked where the scan left them (NaN is never a scanned number; an absent optional member passes)
    case 'gps': {
      const lat = num[3]!;
      const lon = num[4]!;
      if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) return false;
      if (present & 0b100000 && !(num[5]! >= 0 && num[5]! <= 1000)) return false;
      if (present & 0b1000000 && !(num[6]! >= 0 && num[6]! <= 360)) return false;
      if (present & 0b10000000 && !(num[7]! > 0 && num[7]! <= 100)) return false;
      break;
    }
    case 'light':
      if (!(num[3]! >= 0 && num[3]! <= 1e6)) return false;
      break;
    case 'temp':
      if (!(num[3]! >= -60 && num[3]! <= 80)) return false;
      if (present & 0b10000 && !(num[4]! >= -60 && num[4]! <= 80)) return false;
      break;
  }
  // (an ISO time is ASCII digits and separators: the scan only delimited it)
  const ts = isoTimeMsBytes(payload, start[2]!, end[2]!);
  if (Number.isNaN(ts)) return false;
  // (a container number is ASCII letters and digits: the scan only delimited it)
  const c0 = start[1]!;
  let k0 = -1;
  let k1 = -1;
  let k2 = -1;
  if (end[1]! - c0 === 11) {
    k0 = codes7(payload, c0, c0 + 4);
    k1 = codes7(payload, c0 + 4, c0 + 8);
    k2 = codes7(payload, c0 + 8, c0 + 11);
  }
  let containerId: string;
  // (known.k0 is 0 for none, and k0 is -1 or at least 1: an ASCII character is not 0 here)
  if (k0 === known.k0 && k1 === known.k1 && k2 === known.k2) containerId = known.container;
  else {
    // (latin1: a byte a character, so a byte above 127 makes a character no container number has)
    containerId = payload.toString('latin1', c0, end[1]);
    if (containerProblem(containerId) !== null) return false;
    // (a valid container number is 11 ASCII letters and digits: k0, k1 and k2 are its codes)
  }
  // (read character by character: ASCII, so its latin1 reading is its text; a string of its own, no view into a payload's)
  f.msgId = payload.toString('latin1', start[0], end[0]);
  f.containerId = containerId;
  scratch.ts = ts;
  known.container = containerId;
  known.k0 = k0;
  known.k1 = k1;
  known.k2 = k2;
  return true;
}

/**
 * A container number taken before, as a topic keeps it: its text, and its 11
 * character codes 7 bits each in three small integers (4, 4 and 3 codes;
 * `codes7`), 0 while there is none.
 */
export interface KnownContainer {
  container: string;
  k0: number;
  k1: number;
  k2: number;
}

/** The bytes s[a, b) (at most 4), 7 bits each, in one integer below 2^28; -1 when one is 0 or above 127. */
function codes7(s: Uint8Array, a: number, b: number): number {
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = s[i]!;
    if (c < 1 || c > 127) return -1;
    v = (v << 7) | c;
  }
  return v;
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
