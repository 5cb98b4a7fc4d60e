import { doorReading, lightReading, locationReading, oneShape, type Reading, type ReadingValues, temperatureReading } from '../model/reading.js';
import { checkSkew, type DecodeContext, type Rejection, type WireFormatDecoder } from './context.js';
import { planForDevice } from './device-binding.js';

/**
 * `csv-v1`: `{seq};{type};{epochSeconds};{values...}` on `{root}/csv/{deviceId}`
 * (WIRE 1.2). The container comes from the trip plan that binds the device.
 * The event id joins seq and measurement time: seq wraps at 65536, so seq
 * alone would make a later reading look like a duplicate of an old one.
 */
const UINT = /^\d+$/;
const INT = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** The reference decoder: the fast path below answers only the lines it is sure of and hands the rest here. */
export function decodeCsvV1Reference(deviceId: string, line: string, receivedAt: number, ctx: DecodeContext): Reading | Rejection {
  const text = line.endsWith('\r\n') ? line.slice(0, -2) : line.endsWith('\n') ? line.slice(0, -1) : line;
  const f = text.split(';');
  if (f.length < 4) return { reason: 'invalid-csv', detail: `expected seq;type;epochSeconds;values, got ${f.length} field(s)` };
  const [seqS, type, epochS] = f as [string, string, string];
  if (!UINT.test(seqS) || Number(seqS) > 65535) return { reason: 'invalid-csv', detail: `seq ${JSON.stringify(seqS.slice(0, 20))}: expected an integer 0..65535` };
  if (!UINT.test(epochS) || epochS.length > 12) return { reason: 'invalid-csv', detail: `epochSeconds ${JSON.stringify(epochS.slice(0, 20))}: expected a non-negative integer` };
  const ts = Number(epochS) * 1000;
  const values = f.slice(3);
  let partial: ReadingValues | Rejection;
  switch (type) {
    case 'D':
      partial = values.length === 1 && (values[0] === '0' || values[0] === '1') ? { kind: 'door', open: values[0] === '1' } : reject('door value must be 1 (open) or 0 (closed)');
      break;
    case 'G':
      partial = position(values);
      break;
    case 'L':
      partial = values.length === 1 && UINT.test(values[0]!) && values[0]!.length <= 7 ? { kind: 'light', lux: Number(values[0]) } : reject('lux must be a non-negative integer');
      break;
    case 'T':
      partial = temperature(values);
      break;
    default:
      return { reason: 'unknown-reading-type', detail: `type ${JSON.stringify(type.slice(0, 10))}: expected D, G, L or T` };
  }
  if ('reason' in partial) return partial;
  const skew = checkSkew(ts, receivedAt, ctx.limits);
  if (skew) return skew;
  const plan = planForDevice(ctx.trips, ctx.memos, deviceId, ts);
  if (!plan) return { reason: 'unbound-device', detail: `no trip plan binds device ${deviceId} at ${new Date(ts).toISOString()}` };
  return oneShape({ ...partial, eventId: `csv-v1:${deviceId}:${seqS}@${epochS}`, deviceId, containerId: plan.containerId, tripId: plan.tripId, format: 'csv-v1', ts, receivedAt } as Reading);
}

const SEMI = 59;
const D0 = 48;

/** End of an unsigned digit run starting at i (i itself when there is none). */
function digitsEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i) - D0;
    if (c < 0 || c > 9) break;
    i++;
  }
  return i;
}

/** The number s[a, b) writes when it is 1..15 digits and nothing else (exact: below 2^53), else -1. */
function digitsValue(s: string, a: number, b: number): number {
  if (b <= a || b - a > 15) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i) - D0;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** 10^k for k = 0..15, each exact. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * `Number(s.slice(a, b))` when s[a, b) matches `-?\d+(\.\d+)?` (DECIMAL), NaN
 * when it does not, without the slice: up to 15 digits the digits make an
 * integer m below 2^53 and the value is m / 10^k (k the digits after the
 * point), one correctly rounded division of two exact numbers, which is the
 * correctly rounded value `Number` gives; more digits go through `Number`.
 */
function decimalAt(s: string, a: number, b: number): number {
  const from = a;
  const neg = a < b && s.charCodeAt(a) === 45;
  if (neg) a++;
  const intEnd = digitsEnd(s, a, b);
  if (intEnd === a) return Number.NaN;
  let fracEnd = intEnd;
  if (intEnd !== b) {
    if (s.charCodeAt(intEnd) !== 46) return Number.NaN;
    fracEnd = digitsEnd(s, intEnd + 1, b);
    if (fracEnd === intEnd + 1 || fracEnd !== b) return Number.NaN;
  }
  const digits = intEnd === b ? b - a : b - a - 1;
  if (digits > 15) return Number(s.slice(from, b));
  let m = 0;
  for (let i = a; i < intEnd; i++) m = m * 10 + (s.charCodeAt(i) - D0);
  for (let i = intEnd + 1; i < fracEnd; i++) m = m * 10 + (s.charCodeAt(i) - D0);
  const v = intEnd === b ? m : m / POW10[fracEnd - intEnd - 1]!;
  return neg ? -v : v;
}

/**
 * The seq and epoch seconds of the last line `scanCsvV1` made a reading of
 * (seq -1 when its answer was a rejection or null), its event id and
 * measurement time, and whether seq and epoch are written without leading
 * zeros (then the two numbers give back the event id's text: the duplicate
 * window keeps the id as them).
 */
export const csvScanned = { seq: -1, epoch: 0, canonical: false, eventId: '', ts: 0 };

/**
 * `{seq};{type};{epochSeconds};{values...}` (WIRE 1.2), scanned once with
 * charCodeAt and indexOf: no split array, no regular expressions. Lines it
 * would reject (and the rare shapes it does not handle) go to the reference
 * decoder, so every dead letter keeps the reference's reason and detail; the
 * two are property-tested to agree on arbitrary lines.
 */
export function decodeCsvV1(deviceId: string, line: string, receivedAt: number, ctx: DecodeContext): Reading | Rejection {
  return scanCsvV1(deviceId, line, receivedAt, ctx) ?? decodeCsvV1Reference(deviceId, line, receivedAt, ctx);
}

/**
 * The scan of `decodeCsvV1`: null for a line it is not sure of (the
 * reference decodes it). A line it answers (reading or rejection) was checked
 * character by character, so it is all ASCII: valid UTF-8.
 */
export function scanCsvV1(deviceId: string, line: string, receivedAt: number, ctx: DecodeContext, eventPrefix?: string): Reading | Rejection | null {
  csvScanned.seq = -1;
  let end = line.length;
  if (end > 0 && line.charCodeAt(end - 1) === 10) end -= end > 1 && line.charCodeAt(end - 2) === 13 ? 2 : 1;
  const s1 = line.indexOf(';');
  if (s1 < 1 || s1 > 5 || s1 >= end) return null;
  // seq and epoch seconds read once, as numbers (at most 5 and 12 digits: exact)
  const seq = digitsValue(line, 0, s1);
  if (seq < 0 || seq > 65535 || line.charCodeAt(s1 + 2) !== SEMI) return null;
  const type = line.charCodeAt(s1 + 1);
  const e0 = s1 + 3;
  const s3 = line.indexOf(';', e0);
  if (s3 < 0 || s3 >= end || s3 - e0 > 12) return null;
  const epoch = digitsValue(line, e0, s3);
  if (epoch < 0) return null;
  const ts = epoch * 1000;
  const v0 = s3 + 1;
  // the values by shape (1 door, 2 light, 3 position, 4 temperature); NaN: an optional value absent
  let shape: number;
  let open = false;
  let x = 0;
  let y = 0;
  let opt1 = Number.NaN;
  let opt2 = Number.NaN;
  switch (type) {
    case 68: {
      // 'D'
      const c = line.charCodeAt(v0);
      if (end !== v0 + 1 || (c !== 48 && c !== 49)) return null;
      shape = 1;
      open = c === 49;
      break;
    }
    case 76: {
      // 'L'
      if (end - v0 > 7) return null;
      x = digitsValue(line, v0, end);
      if (x < 0) return null;
      shape = 2;
      break;
    }
    case 71: {
      // 'G'
      const a = line.indexOf(';', v0);
      if (a < 0 || a >= end) return null;
      const lat = decimalAt(line, v0, a);
      let b = line.indexOf(';', a + 1);
      if (b < 0 || b > end) b = end;
      const lon = decimalAt(line, a + 1, b);
      // (NaN: not a decimal)
      if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) return null;
      let speed = Number.NaN;
      let heading = Number.NaN;
      if (b < end) {
        let c = line.indexOf(';', b + 1);
        if (c < 0 || c > end) c = end;
        if (c < end && line.indexOf(';', c + 1) >= 0 && line.indexOf(';', c + 1) < end) return null;
        if (c > b + 1) {
          speed = decimalAt(line, b + 1, c);
          if (!(speed >= 0 && speed <= 1000)) return null;
        }
        if (c < end - 1) {
          heading = decimalAt(line, c + 1, end);
          if (!(heading >= 0 && heading <= 360)) return null;
        }
      }
      shape = 3;
      x = lat;
      y = lon;
      opt1 = speed;
      opt2 = heading;
      break;
    }
    case 84: {
      // 'T'
      let a = line.indexOf(';', v0);
      if (a < 0 || a > end) a = end;
      const neg0 = line.charCodeAt(v0) === 45;
      if (a - v0 > 6) return null;
      const tenths = digitsValue(line, neg0 ? v0 + 1 : v0, a);
      if (tenths < 0) return null;
      const celsius = (neg0 ? -tenths : tenths) / 10;
      if (!(celsius >= -60 && celsius <= 80)) return null;
      shape = 4;
      x = celsius;
      if (a < end - 1) {
        if (line.indexOf(';', a + 1) >= 0 && line.indexOf(';', a + 1) < end) return null;
        const neg1 = line.charCodeAt(a + 1) === 45;
        if (end - a - 1 > 6) return null;
        const spTenths = digitsValue(line, neg1 ? a + 2 : a + 1, end);
        if (spTenths < 0) return null;
        const setpoint = (neg1 ? -spTenths : spTenths) / 10;
        if (Math.abs(setpoint) > 80) return null;
        opt1 = setpoint;
      }
      break;
    }
    default:
      return null;
  }
  const skew = checkSkew(ts, receivedAt, ctx.limits);
  if (skew) return skew;
  const plan = planForDevice(ctx.trips, ctx.memos, deviceId, ts);
  if (!plan) return { reason: 'unbound-device', detail: `no trip plan binds device ${deviceId} at ${new Date(ts).toISOString()}` };
  const eventId = `${eventPrefix ?? `csv-v1:${deviceId}:`}${line.slice(0, s1)}@${line.slice(e0, s3)}`;
  csvScanned.seq = seq;
  csvScanned.epoch = epoch;
  csvScanned.canonical = (s1 === 1 || line.charCodeAt(0) !== D0) && (s3 - e0 === 1 || line.charCodeAt(e0) !== D0);
  csvScanned.eventId = eventId;
  csvScanned.ts = ts;
  const containerId = plan.containerId;
  const tripId = plan.tripId;
  // every reading of one shape (model/reading.ts); NaN: the optional value was not given
  const format = 'csv-v1';
  switch (shape) {
    case 1:
      return doorReading(eventId, deviceId, containerId, tripId, format, ts, receivedAt, open);
    case 2:
      return lightReading(eventId, deviceId, containerId, tripId, format, ts, receivedAt, x);
    case 3:
      return locationReading(eventId, deviceId, containerId, tripId, format, ts, receivedAt, x, y, Number.isNaN(opt1) ? undefined : opt1, Number.isNaN(opt2) ? undefined : opt2, undefined);
    default:
      return temperatureReading(eventId, deviceId, containerId, tripId, format, ts, receivedAt, x, Number.isNaN(opt1) ? undefined : opt1);
  }
}

function reject(detail: string): Rejection {
  return { reason: 'schema-violation', detail };
}

function position(v: string[]): ReadingValues | Rejection {
  if (v.length < 2 || v.length > 4) return reject(`position needs lat;lon;speedKn;headingDeg, got ${v.length} value(s)`);
  const [latS, lonS, speedS = '', headingS = ''] = v as [string, string, string?, string?];
  if (!DECIMAL.test(latS) || Math.abs(Number(latS)) > 90) return reject(`lat ${JSON.stringify(latS.slice(0, 20))}: expected a decimal in -90..90`);
  if (!DECIMAL.test(lonS) || Math.abs(Number(lonS)) > 180) return reject(`lon ${JSON.stringify(lonS.slice(0, 20))}: expected a decimal in -180..180`);
  const out: { kind: 'location'; lat: number; lon: number; speedKn?: number; headingDeg?: number } = { kind: 'location', lat: Number(latS), lon: Number(lonS) };
  if (speedS !== '') {
    if (!DECIMAL.test(speedS) || Number(speedS) < 0 || Number(speedS) > 1000) return reject(`speedKn ${JSON.stringify(speedS.slice(0, 20))}: expected a decimal >= 0`);
    out.speedKn = Number(speedS);
  }
  if (headingS !== '') {
    if (!DECIMAL.test(headingS) || Number(headingS) < 0 || Number(headingS) > 360) return reject(`headingDeg ${JSON.stringify(headingS.slice(0, 20))}: expected a decimal in 0..360`);
    out.headingDeg = Number(headingS);
  }
  return out;
}

function temperature(v: string[]): ReadingValues | Rejection {
  if (v.length < 1 || v.length > 2) return reject(`temperature needs tenths[;setpointTenths], got ${v.length} value(s)`);
  if (!INT.test(v[0]!) || v[0]!.length > 6) return reject(`temperature ${JSON.stringify(v[0]!.slice(0, 20))}: expected an integer in tenths of a degree`);
  const celsius = Number(v[0]) / 10;
  if (celsius < -60 || celsius > 80) return reject(`temperature ${celsius} °C: expected -60..80`);
  const out: { kind: 'temperature'; celsius: number; setpointC?: number } = { kind: 'temperature', celsius };
  if (v.length === 2 && v[1] !== '') {
    if (!INT.test(v[1]!) || v[1]!.length > 6 || Math.abs(Number(v[1]) / 10) > 80) return reject(`setpoint ${JSON.stringify(v[1]!.slice(0, 20))}: expected an integer in tenths of a degree`);
    out.setpointC = Number(v[1]) / 10;
  }
  return out;
}

/** csv-v1 in the registry. */
export const csvV1: WireFormatDecoder = {
  format: 'csv-v1',
  topic: { level: 'csv', id: 'deviceId', kind: false },
  decode(route, text, receivedAt, ctx, out) {
    const r = decodeCsvV1(route.id, text, receivedAt, ctx);
    if ('reason' in r) out.reject(r, text);
    else out.keep(r, () => text);
  },
};
