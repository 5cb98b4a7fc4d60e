import type { Reading, ReadingValues } from '../model/reading.js';
import { checkSkew, type DecodeContext, type Rejection } from './context.js';

/**
 * `csv-v1`: `{seq};{type};{epochSeconds};{values...}` on `{root}/csv/{deviceId}`
 * (WIRE 1.2). The container comes from the trip plan that binds the device.
 * The event id joins seq and measurement time: seq wraps at 65536, so seq
 * alone would make a later reading look like a duplicate of an old one.
 */
const UINT = /^\d+$/;
const INT = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

export function decodeCsvV1(deviceId: string, line: string, receivedAt: number, ctx: DecodeContext): Reading | Rejection {
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
  const plan = ctx.trips.forDevice(deviceId, ts);
  if (!plan) return { reason: 'unbound-device', detail: `no trip plan binds device ${deviceId} at ${new Date(ts).toISOString()}` };
  return { ...partial, eventId: `csv-v1:${deviceId}:${seqS}@${epochS}`, deviceId, containerId: plan.containerId, tripId: plan.tripId, format: 'csv-v1', ts, receivedAt } as Reading;
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
