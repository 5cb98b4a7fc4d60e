// Live load for the end-to-end benchmarks: monitored containers under way on
// the NLRTM -> BRSSZ leg, each sending four json-v1 readings (gps, temp, light,
// door) per cycle, measured `stepMs` apart in event time. Message m of the
// load is a pure function of (spec, m), so a publisher worker thread and the
// pipeline's side can both compute it without shipping payloads between them.
//
// Door openings at sea are injected as breaches: container i opens its door in
// cycle k when (i + 7919 k) % breachEvery == 0, and closes it the next cycle.
// Each such opening raises DOOR_OPEN_IN_TRANSIT on that one door reading, so
// the reading that completes the alert's evidence is known and its publish
// time can be taken.
import { makeContainerNumber } from '../../dist/src/model/iso6346.js';
import { along, DAY, ROUTE, startFraction, VOYAGE_MS } from './fleet.mjs';

const KINDS = ['gps', 'temp', 'light', 'door'];

/** A load spec: plain data, passed to the worker as is. */
export function loadSpec({ containers, t0, stepMs = 60_000, breachEvery = 0, prefix = 'BNCU', devicePrefix = 'lb', topicRoot = 'ssd' }) {
  return { containers, t0, stepMs, breachEvery, prefix, devicePrefix, topicRoot };
}

export const deviceOf = (spec, i) => `${spec.devicePrefix}-${String(i).padStart(6, '0')}`;

/** The start of event time for a load that fits `cycles` cycles before now (ts stay within the normaliser's past/future limits). */
export function liveT0(cycles, stepMs, now = Date.now()) {
  return Math.floor((now - 2 * DAY - cycles * stepMs) / 1000) * 1000;
}

export function plansFor(spec) {
  const plans = [];
  for (let i = 0; i < spec.containers; i++) {
    const departure = spec.t0 - Math.round(startFraction(i) * VOYAGE_MS);
    plans.push({
      tripId: `B-${deviceOf(spec, i)}`,
      containerId: makeContainerNumber(spec.prefix, i),
      deviceId: deviceOf(spec, i),
      origin: 'NLRTM',
      destination: 'BRSSZ',
      transshipments: [],
      departure: new Date(departure).toISOString(),
      eta: new Date(departure + VOYAGE_MS + 5 * DAY).toISOString(),
      reefer: i % 5 === 0 ? { setpointC: -18, toleranceC: 2 } : null,
      route: ROUTE,
    });
  }
  return plans;
}

export const isBreach = (spec, i, k) => spec.breachEvery > 0 && (i + 7919 * k) % spec.breachEvery === 0;

/** Containers' numbers, computed once per spec (check digits cost). */
const numbers = new Map();
function containerNumber(spec, i) {
  let list = numbers.get(spec.prefix);
  if (!list) numbers.set(spec.prefix, (list = []));
  return (list[i] ??= makeContainerNumber(spec.prefix, i));
}

/**
 * Message m: { topic, payload, breach, eventId }. Cycle k = m / (4 n); within
 * a cycle container by container, four readings each, 1 s apart.
 */
export function message(spec, m) {
  const n = spec.containers;
  const k = Math.floor(m / (4 * n));
  const r = m % (4 * n);
  const i = Math.floor(r / 4);
  const kind = KINDS[r % 4];
  const ts = spec.t0 + k * spec.stepMs + (r % 4) * 1000 + Math.floor((i * 1000) / n) * 10;
  const device = deviceOf(spec, i);
  const msgId = `${k}-${r % 4}`;
  const base = { msgId, containerId: containerNumber(spec, i), ts: new Date(ts).toISOString() };
  let body;
  let breach = false;
  if (kind === 'gps') {
    const p = along(startFraction(i) + (ts - spec.t0) / VOYAGE_MS);
    body = { ...base, lat: Math.round(p.lat * 1e5) / 1e5, lon: Math.round(p.lon * 1e5) / 1e5, speedKn: 14 + (i % 7) * 0.3, headingDeg: Math.round(p.headingDeg), hdop: 0.9 };
  } else if (kind === 'temp') {
    const reefer = i % 5 === 0;
    const diurnal = Math.sin(((ts % DAY) / DAY) * 2 * Math.PI);
    body = reefer ? { ...base, celsius: Math.round((-18 + 0.2 * diurnal) * 10) / 10, setpointC: -18 } : { ...base, celsius: Math.round((21 + 2 * diurnal) * 10) / 10 };
  } else if (kind === 'light') {
    body = { ...base, lux: 0 };
  } else {
    breach = isBreach(spec, i, k);
    body = { ...base, state: breach ? 'open' : 'closed' };
  }
  return { topic: `${spec.topicRoot}/json/${device}/${kind}`, payload: JSON.stringify(body), breach, eventId: `json-v1:${device}:${msgId}`, container: i };
}

/** Messages per cycle. */
export const perCycle = (spec) => spec.containers * 4;

/**
 * A vessel's store-and-forward upload (batch-v1): `containers` boxes, four
 * readings each every 15 minutes over `cycles` cycles, uploaded by one gateway
 * in batches of `batch` events in measurement order.
 */
export function stormSpec({ containers, cycles, t0, batch, breachEvery = 400, gatewayId = 'VSL-9300001', prefix = 'STMU', devicePrefix = 'st', topicRoot = 'ssd' }) {
  return { kind: 'storm', containers, cycles, t0, batch, breachEvery, gatewayId, prefix, devicePrefix, topicRoot, stepMs: 15 * 60_000 };
}

export const stormMessages = (spec) => Math.ceil((spec.containers * 4 * spec.cycles) / spec.batch);

const BATCH_TYPE = { gps: 'LOCATION', temp: 'TEMPERATURE', light: 'LIGHT' };

/** Batch b of the storm: { topic, payload, maxTs, readings }. */
export function stormMessage(spec, b) {
  const total = spec.containers * 4 * spec.cycles;
  const events = [];
  let maxTs = -Infinity;
  for (let r = b * spec.batch; r < Math.min(total, (b + 1) * spec.batch); r++) {
    const m = JSON.parse(message(spec, r).payload);
    const i = Math.floor((r % (4 * spec.containers)) / 4);
    const kind = KINDS[r % 4];
    const ts = Date.parse(m.ts);
    if (ts > maxTs) maxTs = ts;
    const e = { eventId: m.msgId, equipmentReference: m.containerId, deviceId: deviceOf(spec, i), eventDateTime: m.ts };
    if (kind === 'gps') Object.assign(e, { eventType: 'LOCATION', latitude: m.lat, longitude: m.lon, speedKnots: m.speedKn, headingDegrees: m.headingDeg });
    else if (kind === 'temp') Object.assign(e, { eventType: 'TEMPERATURE', temperatureCelsius: m.celsius, ...(m.setpointC === undefined ? {} : { setpointCelsius: m.setpointC }) });
    else if (kind === 'light') Object.assign(e, { eventType: BATCH_TYPE.light, lux: m.lux });
    else e.eventType = m.state === 'open' ? 'DOOR_OPENED' : 'DOOR_CLOSED';
    events.push(e);
  }
  const payload = JSON.stringify({ gatewayId: spec.gatewayId, sentAt: new Date(maxTs).toISOString(), events });
  return { topic: `${spec.topicRoot}/batch/${spec.gatewayId}`, payload, maxTs, readings: events.length, breach: false, container: 0 };
}

/** Message m of a load or a storm (the publisher worker's entry). */
export const messageOf = (spec, m) => (spec.kind === 'storm' ? stormMessage(spec, m) : message(spec, m));
