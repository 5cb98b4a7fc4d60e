import { z } from 'zod';
import { doorReading, lightReading, locationReading, type Reading, temperatureReading } from '../model/reading.js';
import { describeZodError } from '../trips/schema.js';
import { checkSkew, parseJsonPayload, type DecodeContext, type Rejection, type WireFormatDecoder } from './context.js';
import { planForContainer } from './device-binding.js';
import { containerProblem, isoTimeMs, isoTimeMsBytes } from './fields.js';
import { asciiCodes, FlatMembers, sameAt, sameCodes, scanFlatObjectAt, skipWs, stringEnd } from './flat-json.js';
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
  // every reading of one shape (model/reading.ts)
  switch (e.eventType) {
    case 'DOOR_OPENED':
      return doorReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, true);
    case 'DOOR_CLOSED':
      return doorReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, false);
    case 'LOCATION':
      return locationReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, e.latitude!, e.longitude!, e.speedKnots, e.headingDegrees, undefined);
    case 'LIGHT':
      return lightReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, e.lux!);
    case 'TEMPERATURE':
      return temperatureReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, e.temperatureCelsius!, e.setpointCelsius);
  }
}

/**
 * An event's keys as the batch scan reads them (flat-json.ts), in the order
 * writers use: the five strings every event has, then the numbers.
 */
export const BATCH_EVENT_KEYS = ['eventId', 'equipmentReference', 'deviceId', 'eventDateTime', 'eventType', 'latitude', 'longitude', 'speedKnots', 'headingDegrees', 'lux', 'temperatureCelsius', 'setpointCelsius'] as const;

/** Per event in `BatchScratch.ints`: the object's [start, end), present, strings, then [start, end) of the five strings. */
const INTS = 14;
/** Per event in `BatchScratch.nums`: the seven numbers (keys 5..11). */
const NUMS = 7;

/** s[a, a + n) into to[0, n) (a loop: no view made). */
function copyBytes(s: Uint8Array, a: number, n: number, to: Uint8Array): void {
  for (let j = 0; j < n; j++) to[j] = s[a + j]!;
}

/** What the batch-v1 scan reuses from one payload to the next (one per normaliser): every event's members, as the scan left them. */
export class BatchScratch {
  readonly members = new FlatMembers();
  ints = new Int32Array(64 * INTS);
  nums = new Float64Array(64 * NUMS);
  /** Events scanned. */
  count = 0;
  /** The eventId of the event `scannedBatchReading` read last. */
  eventId = '';
  /** The device id and container number taken last, and their bytes (a gateway's batch names few devices and containers, many times over). */
  private lastDevice = '';
  private readonly lastDeviceCodes = new Uint8Array(200);
  private lastContainer = '';
  private readonly lastContainerCodes = new Uint8Array(11);

  /** The latin1 reading of s[a, b) (ASCII: its text; at most 200 bytes), the one kept when it is the device id taken last. */
  device(s: Buffer, a: number, b: number): string {
    const n = b - a;
    if (n === this.lastDevice.length && sameCodes(s, a, this.lastDeviceCodes, n)) return this.lastDevice;
    copyBytes(s, a, n, this.lastDeviceCodes);
    return (this.lastDevice = s.toString('latin1', a, b));
  }

  /** The container number s[a, b) when it is a valid one, else null; the one kept when it is the one taken last. */
  container(s: Buffer, a: number, b: number): string | null {
    if (b - a !== 11) return null; // (an ISO 6346 number is 11 characters: containerProblem refuses any other length)
    if (this.lastContainer !== '' && sameCodes(s, a, this.lastContainerCodes, 11)) return this.lastContainer;
    const text = s.toString('latin1', a, b);
    if (containerProblem(text) !== null) return null;
    copyBytes(s, a, 11, this.lastContainerCodes);
    return (this.lastContainer = text);
  }

  private grow(): void {
    const ints = new Int32Array(this.ints.length * 2);
    ints.set(this.ints);
    this.ints = ints;
    const nums = new Float64Array(this.nums.length * 2);
    nums.set(this.nums);
    this.nums = nums;
  }

  /** Keeps what `members` holds of event `count` (the object at [start, end)). */
  push(start: number, end: number): void {
    const n = this.count;
    if ((n + 1) * INTS > this.ints.length) this.grow();
    const mm = this.members;
    const ints = this.ints;
    const o = n * INTS;
    ints[o] = start;
    ints[o + 1] = end;
    ints[o + 2] = mm.present;
    ints[o + 3] = mm.strings;
    const ms = mm.start;
    const me = mm.end;
    for (let k = 0; k < 5; k++) {
      ints[o + 4 + 2 * k] = ms[k]!;
      ints[o + 5 + 2 * k] = me[k]!;
    }
    const nums = this.nums;
    const num = mm.num;
    const p = n * NUMS;
    for (let k = 0; k < NUMS; k++) nums[p + k] = num[5 + k]!;
    this.count = n + 1;
  }

  /** Event i's object: its [start, end) in the payload. */
  spanStart(i: number): number {
    return this.ints[i * INTS]!;
  }
  spanEnd(i: number): number {
    return this.ints[i * INTS + 1]!;
  }
}

const Q = 34;
/** Where `envelopeKey` found the key's closing quote. */
let envelopeKeyEnd = 0;

/** The key of the batch object at i (a quote): 0 gatewayId, 1 sentAt, 2 events, -1 any other (or not sure); its closing quote in `envelopeKeyEnd`. */
function envelopeKey(s: Uint8Array, i: number): number {
  const e = stringEnd(s, i + 1);
  if (e < 0) return -1;
  envelopeKeyEnd = e;
  const len = e - i - 1;
  if (len === 9 && sameAt(s, i + 1, 'gatewayId')) return 0;
  if (len === 6 && sameAt(s, i + 1, 'sentAt')) return 1;
  if (len === 6 && sameAt(s, i + 1, 'events')) return 2;
  return -1;
}

/**
 * Reads a batch-v1 payload into `sc` (its events' members, each event a flat
 * object of `BATCH_EVENT_KEYS` read by flat-json.ts) when the scanner is sure
 * of all of it and `decodeBatchEnvelope` would accept its envelope: the three
 * members once each (in any order, nothing else), `gatewayId` the topic's,
 * `sentAt` an ISO time, at most `maxEvents` events. False for anything else:
 * the caller decodes the payload with `JSON.parse` as before, and nothing of
 * it has been taken. Accepted payloads are ASCII (every byte was read as a
 * character), so valid UTF-8, and valid JSON: each event's bytes are the
 * JSON text of the event `JSON.parse` would give.
 */
export function scanBatchV1(s: Buffer, gatewayId: string, maxEvents: number, sc: BatchScratch): boolean {
  sc.count = 0;
  let i = skipWs(s, 0);
  if (s[i]! !== 123) return false;
  i = skipWs(s, i + 1);
  let seen = 0;
  for (;;) {
    if (s[i]! !== Q) return false;
    const k = envelopeKey(s, i);
    if (k < 0 || (seen & (1 << k)) !== 0) return false;
    seen |= 1 << k;
    i = skipWs(s, envelopeKeyEnd + 1);
    if (s[i]! !== 58) return false;
    i = skipWs(s, i + 1);
    if (k === 2) {
      if (s[i]! !== 91) return false;
      i = skipWs(s, i + 1);
      if (s[i]! === 93) i++;
      else
        for (;;) {
          if (sc.count === maxEvents) return false; // batch-too-large: the reference path's to say
          const end = scanFlatObjectAt(s, i, BATCH_EVENT_KEYS, 0, sc.members);
          if (end < 0) return false;
          sc.push(i, end);
          i = skipWs(s, end);
          const c = s[i]!;
          if (c === 93) {
            i++;
            break;
          }
          if (c !== 44) return false;
          i = skipWs(s, i + 1);
        }
    } else {
      if (s[i]! !== Q) return false;
      const e = stringEnd(s, i + 1);
      if (e < 0) return false;
      if (k === 0) {
        if (e - i - 1 !== gatewayId.length || gatewayId.length === 0 || !sameAt(s, i + 1, gatewayId)) return false;
      } else if (Number.isNaN(isoTimeMsBytes(s, i + 1, e))) return false;
      i = e + 1;
    }
    i = skipWs(s, i);
    const c = s[i]!;
    if (c === 125) return seen === 0b111 && skipWs(s, i + 1) === s.length;
    if (c !== 44) return false;
    i = skipWs(s, i + 1);
  }
}

const DOOR_OPENED = asciiCodes('DOOR_OPENED');
const DOOR_CLOSED = asciiCodes('DOOR_CLOSED');
const TEMPERATURE = asciiCodes('TEMPERATURE');
const LOCATION = asciiCodes('LOCATION');
const LIGHT = asciiCodes('LIGHT');

/** A number member k (5..11) of event i: there, a number, in [min, max]. */
const numIn = (sc: BatchScratch, present: number, strings: number, i: number, k: number, min: number, max: number): boolean => {
  if ((present & (1 << k)) === 0 || (strings & (1 << k)) !== 0) return false;
  const v = sc.nums[i * NUMS + k - 5]!;
  return v >= min && v <= max;
};
/** Absent, or as `numIn`. */
const optIn = (sc: BatchScratch, present: number, strings: number, i: number, k: number, min: number, max: number): boolean => (present & (1 << k)) === 0 || numIn(sc, present, strings, i, k, min, max);

/**
 * `decodeBatchEvent` of event i of the payload `scanBatchV1` last read, when
 * it gives a reading: the same reading (the same literals, keys in the same
 * order), and the event's eventId in `sc.eventId`. Null when it would not
 * (the event is invalid, its time, container number or clock is refused):
 * then nothing was done (no plan looked up), and the caller decodes that
 * event by `decodeBatchEvent` of its JSON.
 */
export function scannedBatchReading(s: Buffer, sc: BatchScratch, i: number, receivedAt: number, ctx: DecodeContext): Reading | null {
  const ints = sc.ints;
  const o = i * INTS;
  const present = ints[o + 2]!;
  const strings = ints[o + 3]!;
  // the five strings there (isValidBatchEvent's eventId, equipmentReference, deviceId, eventDateTime, eventType)
  if ((present & 0b11111) !== 0b11111 || (strings & 0b11111) !== 0b11111) return null;
  const idA = ints[o + 4]!;
  const idB = ints[o + 5]!;
  const devA = ints[o + 8]!;
  const devB = ints[o + 9]!;
  if (idB - idA < 1 || idB - idA > 200 || devB - devA < 1 || devB - devA > 200) return null;
  const tA = ints[o + 12]!;
  const tLen = ints[o + 13]! - tA;
  // 0 DOOR_OPENED, 1 DOOR_CLOSED, 2 LOCATION, 3 LIGHT, 4 TEMPERATURE
  let type: number;
  if (tLen === 11) {
    if (sameCodes(s, tA, DOOR_OPENED, 11)) type = 0;
    else if (sameCodes(s, tA, DOOR_CLOSED, 11)) type = 1;
    else if (sameCodes(s, tA, TEMPERATURE, 11)) type = 4;
    else return null;
  } else if (tLen === 8 && sameCodes(s, tA, LOCATION, 8)) type = 2;
  else if (tLen === 5 && sameCodes(s, tA, LIGHT, 5)) type = 3;
  else return null;
  // the numbers of the type (keys 5 latitude, 6 longitude, 7 speedKnots, 8 headingDegrees, 9 lux, 10 temperatureCelsius, 11 setpointCelsius)
  if (type === 2) {
    if (!numIn(sc, present, strings, i, 5, -90, 90) || !numIn(sc, present, strings, i, 6, -180, 180) || !optIn(sc, present, strings, i, 7, 0, 1000) || !optIn(sc, present, strings, i, 8, 0, 360)) return null;
  } else if (type === 3) {
    if (!numIn(sc, present, strings, i, 9, 0, 1e6)) return null;
  } else if (type === 4) {
    if (!numIn(sc, present, strings, i, 10, -60, 80) || !optIn(sc, present, strings, i, 11, -60, 80)) return null;
  }
  // decodeBatchEvent's checks, in its order
  const ts = isoTimeMsBytes(s, ints[o + 10]!, ints[o + 11]!);
  if (Number.isNaN(ts)) return null;
  const containerId = sc.container(s, ints[o + 6]!, ints[o + 7]!);
  if (containerId === null) return null;
  if (checkSkew(ts, receivedAt, ctx.limits) !== null) return null;
  const deviceId = sc.device(s, devA, devB);
  const plan = planForContainer(ctx.trips, ctx.memos, deviceId, containerId, ts);
  const id = s.toString('latin1', idA, idB);
  sc.eventId = id;
  const eventId = `batch-v1:${deviceId}:${id}`;
  const tripId = plan ? plan.tripId : null;
  const num = sc.nums;
  const p = i * NUMS - 5;
  switch (type) {
    case 0:
      return doorReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, true);
    case 1:
      return doorReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, false);
    case 2:
      return locationReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, num[p + 5]!, num[p + 6]!, present & 0b10000000 ? num[p + 7]! : undefined, present & 0b100000000 ? num[p + 8]! : undefined, undefined);
    case 3:
      return lightReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, num[p + 9]!);
    default:
      return temperatureReading(eventId, deviceId, containerId, tripId, 'batch-v1', ts, receivedAt, num[p + 10]!, present & 0b100000000000 ? num[p + 11]! : undefined);
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
