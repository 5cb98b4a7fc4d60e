import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { simulateFleet, SCENARIO_KINDS, type SimOptions, type SimResult } from '../../simulators/fleet.js';
import { writeCorpus, readCorpus } from '../../simulators/corpus.js';
import { publishLive } from '../../simulators/publish.js';
import { Rng } from '../../simulators/rng.js';
import { CsvV1Encoder, JsonV1Encoder, encodeBatch, isoTime } from '../../simulators/encoders.js';
import { isValidContainerNumber } from '../../src/model/iso6346.js';
import { TripPlanSchema } from '../../src/trips/schema.js';
import { defaultPorts } from '../../src/geo/ports.js';

const START = Date.parse('2026-01-05T00:00:00Z');
const HOUR = 3_600_000;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

const cache = new Map<string, SimResult>();
function sim(opts: Partial<SimOptions> = {}): SimResult {
  const o: SimOptions = { seed: 42, containers: 10, start: START, voyageHours: 96, ...opts };
  const key = JSON.stringify(o);
  if (!cache.has(key)) cache.set(key, simulateFleet(o));
  return cache.get(key)!;
}

function digest(r: SimResult): string {
  const h = createHash('sha256');
  for (const m of r.messages) h.update(`${m.t}|${m.topic}|`).update(m.payload).update('\n');
  h.update(JSON.stringify(r.labels)).update(JSON.stringify(r.trips));
  return h.digest('hex');
}

/** What a decoder sees: the measurement times in a message, or why it does not parse (WIRE section 1 grammar). */
function parseMessage(topic: string, payload: Buffer, root = 'ssd'): { ts: number[] } | { error: string } {
  if (!isUtf8(payload)) return { error: 'not utf-8' };
  const text = payload.toString('utf8');
  const levels = topic.split('/');
  if (levels[0] !== root) return { error: 'root' };
  const fail = (e: string) => ({ error: e });
  const num = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
  if (levels[1] === 'json' && levels.length === 4) {
    let d: Record<string, unknown>;
    try {
      d = JSON.parse(text);
    } catch {
      return fail('json');
    }
    if (typeof d.msgId !== 'string' || !d.msgId) return fail('msgId');
    if (typeof d.containerId !== 'string' || !isValidContainerNumber(d.containerId)) return fail('containerId');
    if (typeof d.ts !== 'string' || !ISO.test(d.ts)) return fail('ts');
    const kind = levels[3];
    if (kind === 'door' && !(d.state === 'open' || d.state === 'closed')) return fail('state');
    if (kind === 'gps') {
      if (!num(d.lat, -90, 90) || !num(d.lon, -180, 180)) return fail('lat/lon');
      if (d.speedKn !== undefined && !num(d.speedKn, 0, 1000)) return fail('speedKn');
      if (d.headingDeg !== undefined && !num(d.headingDeg, 0, 360)) return fail('headingDeg');
      if (d.hdop !== undefined && !(num(d.hdop, 0, 100) && (d.hdop as number) > 0)) return fail('hdop');
    }
    if (kind === 'light' && !num(d.lux, 0, 1e6)) return fail('lux');
    if (kind === 'temp' && (!num(d.celsius, -60, 80) || (d.setpointC !== undefined && !num(d.setpointC, -60, 80)))) return fail('celsius');
    if (!['door', 'gps', 'light', 'temp'].includes(kind!)) return fail('kind');
    return { ts: [Date.parse(d.ts)] };
  }
  if (levels[1] === 'csv' && levels.length === 3) {
    const f = text.split(';');
    if (f.length < 4) return fail('fields');
    const [seq, type, epoch] = f as [string, string, string];
    if (!/^\d+$/.test(seq) || Number(seq) > 65535) return fail('seq');
    if (!/^\d{9,11}$/.test(epoch)) return fail('epoch');
    const v = f.slice(3);
    if (type === 'D' && !(v.length === 1 && (v[0] === '0' || v[0] === '1'))) return fail('D');
    if (type === 'G') {
      if (v.length !== 4 || !/^-?\d+\.\d{5}$/.test(v[0]!) || !/^-?\d+\.\d{5}$/.test(v[1]!)) return fail('G lat/lon');
      if (Math.abs(Number(v[0])) > 90 || Math.abs(Number(v[1])) > 180) return fail('G range');
      if (v[2] !== '' && !/^\d+(\.\d+)?$/.test(v[2]!)) return fail('G speed');
      if (v[3] !== '' && !(/^\d+$/.test(v[3]!) && Number(v[3]) <= 360)) return fail('G heading');
    }
    if (type === 'L' && !(v.length === 1 && /^\d+$/.test(v[0]!))) return fail('L');
    if (type === 'T' && !(v.length >= 1 && v.length <= 2 && v.every((x) => /^-?\d+$/.test(x)) && Math.abs(Number(v[0])) <= 800)) return fail('T');
    if (!['D', 'G', 'L', 'T'].includes(type)) return fail('type');
    return { ts: [Number(epoch) * 1000] };
  }
  if (levels[1] === 'batch' && levels.length === 3) {
    let d: { gatewayId?: unknown; sentAt?: unknown; events?: unknown };
    try {
      d = JSON.parse(text);
    } catch {
      return fail('json');
    }
    if (d.gatewayId !== levels[2] || typeof d.sentAt !== 'string' || !ISO.test(d.sentAt) || !Array.isArray(d.events)) return fail('envelope');
    const ts: number[] = [];
    for (const e of d.events as Array<Record<string, unknown>>) {
      if (typeof e.eventId !== 'string' || typeof e.deviceId !== 'string' || typeof e.eventDateTime !== 'string' || !ISO.test(e.eventDateTime)) return fail('event');
      if (typeof e.equipmentReference !== 'string' || !isValidContainerNumber(e.equipmentReference)) return fail('equipmentReference');
      switch (e.eventType) {
        case 'DOOR_OPENED':
        case 'DOOR_CLOSED':
          break;
        case 'LOCATION':
          if (!num(e.latitude, -90, 90) || !num(e.longitude, -180, 180)) return fail('LOCATION');
          if (e.speedKnots !== undefined && !num(e.speedKnots, 0, 1000)) return fail('speedKnots');
          break;
        case 'LIGHT':
          if (!num(e.lux, 0, 1e6)) return fail('LIGHT');
          break;
        case 'TEMPERATURE':
          if (!num(e.temperatureCelsius, -60, 80)) return fail('TEMPERATURE');
          break;
        default:
          return fail('eventType');
      }
      ts.push(Date.parse(e.eventDateTime));
    }
    return { ts };
  }
  return fail('topic');
}

describe('seeded PRNG', () => {
  it('is deterministic per seed and fork label, and its helpers stay in range', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
    expect(new Rng(8).next()).not.toBe(xs[0]);
    expect(new Rng(7).fork('x').next()).toBe(new Rng(7).fork('x').next());
    expect(new Rng(7).fork('x').next()).not.toBe(new Rng(7).fork('y').next());
    const r = new Rng(1);
    let sum = 0;
    let sq = 0;
    let bad = 0;
    for (let i = 0; i < 20_000; i++) {
      const u = r.next();
      if (!(u >= 0 && u < 1)) bad++;
      const k = r.int(3, 5);
      if (!(k >= 3 && k <= 5 && Number.isInteger(k))) bad++;
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(bad).toBe(0);
    expect(Math.abs(sum / 20_000)).toBeLessThan(0.05);
    expect(Math.abs(sq / 20_000 - 1)).toBeLessThan(0.05);
  });
});

describe('encoders (WIRE section 1)', () => {
  const ts = Date.parse('2026-01-07T10:00:30Z');
  it('json-v1: one object per reading, msgId unique per device, ts ISO with Z', () => {
    const e = new JsonV1Encoder('ssd', 'acme-00042', 'MSCU1234566', 'a1b2', 17);
    const g = e.encode({ kind: 'gps', ts, lat: 51.92130004, lon: 4.4811, speedKn: 0.23, headingDeg: 181.4, hdop: 0.94 });
    expect(g.topic).toBe('ssd/json/acme-00042/gps');
    expect(JSON.parse(g.payload.toString())).toEqual({ msgId: 'a1b2-000017', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:30.000Z', lat: 51.9213, lon: 4.4811, speedKn: 0.2, headingDeg: 181, hdop: 0.9 });
    const d = e.encode({ kind: 'door', ts, open: true });
    expect(d.topic).toBe('ssd/json/acme-00042/door');
    expect(JSON.parse(d.payload.toString())).toMatchObject({ msgId: 'a1b2-000018', state: 'open' });
    expect(JSON.parse(e.encode({ kind: 'temp', ts, celsius: -17.94, setpointC: -18 }).payload.toString())).toMatchObject({ celsius: -17.9, setpointC: -18 });
  });
  it('csv-v1: seq;type;epochSeconds;values, tenths of a degree, 5-decimal positions, seq wraps at 65536', () => {
    const e = new CsvV1Encoder('ssd', 'sat-0091', 65535);
    expect(e.encode({ kind: 'gps', ts: 1767780000_000, lat: 51.9213, lon: 4.4811, speedKn: 0.2, headingDeg: 181 }).payload.toString()).toBe('65535;G;1767780000;51.92130;4.48110;0.2;181');
    const door = e.encode({ kind: 'door', ts: 1767780030_400, open: true });
    expect(door.topic).toBe('ssd/csv/sat-0091');
    expect(door.payload.toString()).toBe('0;D;1767780030;1');
    expect(e.encode({ kind: 'temp', ts: 1767780060_000, celsius: -18.2, setpointC: -18 }).payload.toString()).toBe('1;T;1767780060;-182;-180');
    expect(e.encode({ kind: 'light', ts: 1767780060_000, lux: 3.6 }).payload.toString()).toBe('2;L;1767780060;4');
    expect(e.encode({ kind: 'gps', ts: 1767780000_000, lat: -1, lon: 2 }).payload.toString()).toBe('3;G;1767780000;-1.00000;2.00000;;');
  });
  it('batch-v1: industry event names, one envelope per gateway', () => {
    const b = encodeBatch('ssd', 'VSL-9876543', Date.parse('2026-01-07T10:05:00Z'), [
      { eventId: 'e-1', deviceId: 'acme-00042', containerId: 'MSCU1234566', reading: { kind: 'door', ts, open: true } },
      { eventId: 'e-2', deviceId: 'acme-00042', containerId: 'MSCU1234566', reading: { kind: 'gps', ts, lat: 51.9213, lon: 4.4811, speedKn: 0.2 } },
      { eventId: 'e-3', deviceId: 'acme-00077', containerId: 'TGHU7654320', reading: { kind: 'temp', ts, celsius: -17.9, setpointC: -18 } },
      { eventId: 'e-4', deviceId: 'acme-00077', containerId: 'TGHU7654320', reading: { kind: 'light', ts, lux: 0 } },
    ]);
    expect(b.topic).toBe('ssd/batch/VSL-9876543');
    const doc = JSON.parse(b.payload.toString());
    expect(doc.gatewayId).toBe('VSL-9876543');
    expect(doc.sentAt).toBe('2026-01-07T10:05:00.000Z');
    expect(doc.events.map((e: { eventType: string }) => e.eventType)).toEqual(['DOOR_OPENED', 'LOCATION', 'TEMPERATURE', 'LIGHT']);
    expect(doc.events[1]).toMatchObject({ equipmentReference: 'MSCU1234566', latitude: 51.9213, longitude: 4.4811, speedKnots: 0.2 });
    expect(doc.events[2]).toMatchObject({ temperatureCelsius: -17.9, setpointCelsius: -18 });
  });
  it('formats ISO times exactly like Date#toISOString', () => {
    const r = new Rng(3);
    for (let i = 0; i < 2000; i++) {
      const ms = Math.round(r.uniform(0, 4e12));
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

describe('simulateFleet', () => {
  it('is deterministic: the same seed gives byte-identical output, another seed a different one', () => {
    const a = simulateFleet({ seed: 99, containers: 6, start: START, voyageHours: 48 });
    const b = simulateFleet({ seed: 99, containers: 6, start: START, voyageHours: 48 });
    const c = simulateFleet({ seed: 100, containers: 6, start: START, voyageHours: 48 });
    expect(a.messages.length).toBeGreaterThan(1000);
    expect(digest(b)).toBe(digest(a));
    expect(b.labels).toEqual(a.labels);
    expect(digest(c)).not.toBe(digest(a));
  });

  it('delivers messages in arrival order, every one in its format grammar except the deliberate garbage', () => {
    const r = sim({ containers: 16 });
    let garbage = 0;
    const formats = new Set<string>();
    for (let i = 0; i < r.messages.length; i++) {
      const m = r.messages[i]!;
      if (i > 0) expect(m.t).toBeGreaterThanOrEqual(r.messages[i - 1]!.t);
      const p = parseMessage(m.topic, m.payload);
      if (m.fault === 'garbage') {
        garbage++;
        continue;
      }
      if ('error' in p) throw new Error(`${m.topic} ${m.payload.toString()}: ${p.error}`);
      formats.add(m.topic.split('/')[1]!);
    }
    expect(formats).toEqual(new Set(['json', 'csv', 'batch']));
    expect(garbage).toBeGreaterThan(0);
    expect(garbage).toBeLessThan(r.messages.length * 0.01);
  });

  it('garbage messages really are undecodable (bad JSON, bad check digit, unknown topic, truncated csv, not UTF-8)', () => {
    const r = sim({ containers: 12, seed: 5 });
    const g = r.messages.filter((m) => m.fault === 'garbage');
    expect(g.length).toBeGreaterThan(5);
    for (const m of g) {
      const p = parseMessage(m.topic, m.payload);
      if (!('error' in p)) {
        // a batch with one broken event: the rest of the batch is fine
        const doc = JSON.parse(m.payload.toString());
        expect(doc.events.some((e: { equipmentReference: string }) => !isValidContainerNumber(e.equipmentReference))).toBe(true);
      }
    }
  });

  it('produces trip plans that pass TripPlanSchema, with plausible sea routes', () => {
    const r = sim();
    const ports = defaultPorts();
    expect(r.trips).toHaveLength(10);
    for (const t of r.trips) {
      const parsed = TripPlanSchema.safeParse(t);
      if (!parsed.success) throw new Error(`${t.tripId}: ${parsed.error.message}`);
      expect(isValidContainerNumber(t.containerId)).toBe(true);
      const o = ports.get(t.origin)!;
      const d = ports.get(t.destination)!;
      expect(o && d).toBeTruthy();
      const route = t.route!;
      expect(Math.abs(route[0]![0] - o.lon) + Math.abs(route[0]![1] - o.lat)).toBeLessThan(0.01);
      expect(Math.abs(route[route.length - 1]![0] - d.lon) + Math.abs(route[route.length - 1]![1] - d.lat)).toBeLessThan(0.01);
      let km = 0;
      for (let i = 1; i < route.length; i++) {
        const step = kmBetween(route[i - 1]!, route[i]!);
        expect(step).toBeLessThan(5000);
        km += step;
      }
      expect(km).toBeLessThan(3 * kmBetween([o.lon, o.lat], [d.lon, d.lat]) + 4000);
      for (const h of t.transshipments) {
        const hub = ports.get(h)!;
        expect(route.some((p) => Math.abs(p[0] - hub.lon) < 0.01 && Math.abs(p[1] - hub.lat) < 0.01)).toBe(true);
      }
      expect(Date.parse(t.eta)).toBeGreaterThan(Date.parse(t.departure) + HOUR);
      if (t.reefer) expect([-18, 2, 5]).toContain(t.reefer.setpointC);
    }
    expect(new Set(r.trips.map((t) => t.containerId)).size).toBe(10);
    expect(new Set(r.trips.map((t) => t.deviceId)).size).toBe(10);
  });

  it('labels name existing containers and trips, lie within the trip window, and leave the rest clean', () => {
    const r = sim({ containers: 20, seed: 3, voyageHours: undefined });
    const byTrip = new Map(r.trips.map((t) => [t.tripId, t]));
    // one breach per breached container; an unplanned call is also an unscheduled stop (a second label, around the first)
    const breached = new Set(r.labels.map((l) => l.containerId));
    expect(breached.size).toBe(10);
    expect(breached.size + r.cleanContainers.length).toBe(20);
    expect(new Set(r.labels.map((l) => l.rule))).toEqual(new Set(SCENARIO_KINDS));
    for (const l of r.labels.filter((x) => x.rule === 'RIP_ON_RIP_OFF' || x.rule === 'DOOR_OPEN_UNAUTHORISED_LOCATION')) {
      const stop = r.labels.find((x) => x.containerId === l.containerId && x.rule === 'UNSCHEDULED_STOP')!;
      expect(stop, `the call of ${l.containerId}`).toBeTruthy();
      expect(Date.parse(stop.from)).toBeLessThan(Date.parse(l.from));
      expect(Date.parse(stop.to)).toBeGreaterThan(Date.parse(l.to));
    }
    expect(r.labels.length).toBe(breached.size + r.labels.filter((x) => x.rule === 'RIP_ON_RIP_OFF' || x.rule === 'DOOR_OPEN_UNAUTHORISED_LOCATION').length);
    for (const l of r.labels) {
      const t = byTrip.get(l.tripId)!;
      expect(t.containerId).toBe(l.containerId);
      expect(r.cleanContainers).not.toContain(l.containerId);
      expect(ISO.test(l.from) && ISO.test(l.to)).toBe(true);
      // a plan is judged from its departure on (WIRE section 2): no breach is labelled before it
      expect(Date.parse(l.from)).toBeGreaterThanOrEqual(Date.parse(t.departure));
      expect(Date.parse(l.to)).toBeGreaterThan(Date.parse(l.from));
      expect(Date.parse(l.to)).toBeLessThanOrEqual(Date.parse(t.eta) + 72 * HOUR);
      if (l.rule === 'TEMPERATURE_EXCURSION') expect(t.reefer).toBeTruthy();
    }
    expect(new Set(r.labels.map((l) => `${l.containerId} ${l.rule}`)).size).toBe(r.labels.length);
  });

  it('never delivers a reading before it was measured (beyond the device clock skew), nor outside the pipeline limits', () => {
    const r = sim({ containers: 12, seed: 8, voyageHours: 24 * 6 });
    let delayed = 0;
    for (const m of r.messages) {
      if (m.fault === 'garbage') continue;
      const p = parseMessage(m.topic, m.payload);
      if ('error' in p) throw new Error(p.error);
      for (const ts of p.ts) {
        const csvSlack = m.topic.includes('/csv/') ? 1000 : 0;
        expect(m.t).toBeGreaterThanOrEqual(ts - 90_000 - csvSlack);
        expect(ts - m.t).toBeLessThan(HOUR);
        expect(m.t - ts).toBeLessThan(30 * 24 * HOUR);
        if (m.fault === 'delayed') expect(m.t - ts).toBeLessThan(6 * HOUR + 10 * 60_000);
      }
      if (m.fault === 'delayed') delayed++;
    }
    expect(delayed).toBeGreaterThan(0);
  });

  it('store-and-forward backlogs arrive late and all at once, oldest first', () => {
    const r = sim({ containers: 12, seed: 8, voyageHours: 24 * 6 });
    const byTopic = new Map<string, Array<{ t: number; ts: number }>>();
    for (const m of r.messages) {
      if (m.fault !== 'delayed' || !m.topic.includes('/csv/')) continue;
      const ts = Number(m.payload.toString().split(';')[2]) * 1000;
      if (!byTopic.has(m.topic)) byTopic.set(m.topic, []);
      byTopic.get(m.topic)!.push({ t: m.t, ts });
    }
    for (const list of byTopic.values()) {
      for (let i = 1; i < list.length; i++) if (list[i]!.t - list[i - 1]!.t < 60_000) expect(list[i]!.ts).toBeGreaterThanOrEqual(list[i - 1]!.ts);
      // a communication outage is 5 min at least (store-and-forward gaps: hours)
      expect(Math.max(...list.map((x) => x.t - x.ts))).toBeGreaterThan(4 * 60_000);
    }
  });

  it('without faults: no duplicates, garbage, backlog or clock skew', () => {
    const r = sim({ faults: false, containers: 6 });
    expect(r.messages.some((m) => m.fault)).toBe(false);
    for (const m of r.messages) {
      const p = parseMessage(m.topic, m.payload);
      if ('error' in p) throw new Error(p.error);
      for (const ts of p.ts) expect(m.t).toBeGreaterThanOrEqual(ts);
    }
    expect(new Set(r.messages.map((m) => m.payload.toString())).size).toBe(r.messages.length);
  });

  it('honours scenarios, breachShare and topicRoot', () => {
    const only = sim({ containers: 8, scenarios: ['LOCATION_JUMP'], breachShare: 0.5, topicRoot: 'fleet/test' });
    expect(only.labels.length).toBe(4);
    expect(only.labels.every((l) => l.rule === 'LOCATION_JUMP')).toBe(true);
    expect(only.messages.filter((m) => m.fault !== 'garbage').every((m) => m.topic.startsWith('fleet/test/'))).toBe(true);
    const none = sim({ containers: 5, breachShare: 0 });
    expect(none.labels).toEqual([]);
    expect(none.cleanContainers).toHaveLength(5);
    expect(() => simulateFleet({ seed: 1, containers: 2, start: START, scenarios: ['NOPE' as never] })).toThrow(/unknown kind/);
  });

  it('demo: all ten kinds within the first ~12 simulated hours, nothing measured before start', () => {
    const r = sim({ demo: true, containers: 12, seed: 21, voyageHours: 48 });
    expect(new Set(r.labels.map((l) => l.rule))).toEqual(new Set(SCENARIO_KINDS));
    for (const l of r.labels) {
      expect(Date.parse(l.from)).toBeGreaterThanOrEqual(START);
      expect(Date.parse(l.from)).toBeLessThanOrEqual(START + 14 * HOUR);
    }
    for (const m of r.messages) {
      const p = parseMessage(m.topic, m.payload);
      if ('error' in p) continue;
      for (const ts of p.ts) {
        expect(ts).toBeGreaterThanOrEqual(START - 91_000);
        expect(ts).toBeLessThanOrEqual(START + 48 * HOUR + 91_000);
      }
    }
  });

  it('simulates a mid-sized fleet quickly', () => {
    const t0 = performance.now();
    const r = simulateFleet({ seed: 5, containers: 40, start: START, voyageHours: 24 * 5 });
    expect(r.messages.length).toBeGreaterThan(20_000);
    expect(performance.now() - t0).toBeLessThan(8000);
  });
});

describe('writeCorpus', () => {
  it('writes capture.ndjson.gz, trips/{tripId}.json and labels.ndjson that read back identically', async () => {
    const r = sim();
    const dir = mkdtempSync(join(tmpdir(), 'sealwatch-sim-'));
    try {
      await writeCorpus(dir, r);
      const lines = gunzipSync(readFileSync(join(dir, 'capture.ndjson.gz')))
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '');
      expect(lines).toHaveLength(r.messages.length);
      let base64 = 0;
      lines.forEach((line, i) => {
        const doc = JSON.parse(line) as { t: string; topic: string; payload?: string; payloadBase64?: string };
        const m = r.messages[i]!;
        expect(Object.keys(doc).sort()).toEqual(doc.payload !== undefined ? ['payload', 't', 'topic'] : ['payloadBase64', 't', 'topic']);
        expect(ISO.test(doc.t)).toBe(true);
        expect(Date.parse(doc.t)).toBe(m.t);
        expect(doc.topic).toBe(m.topic);
        const bytes = doc.payload !== undefined ? Buffer.from(doc.payload, 'utf8') : Buffer.from(doc.payloadBase64!, 'base64');
        if (doc.payloadBase64 !== undefined) base64++;
        expect(bytes.equals(m.payload)).toBe(true);
      });
      expect(base64).toBeGreaterThan(0);
      const tripFiles = readdirSync(join(dir, 'trips')).sort();
      expect(tripFiles).toEqual(r.trips.map((t) => `${t.tripId}.json`).sort());
      for (const t of r.trips) expect(TripPlanSchema.safeParse(JSON.parse(readFileSync(join(dir, 'trips', `${t.tripId}.json`), 'utf8'))).success).toBe(true);
      const labels = readFileSync(join(dir, 'labels.ndjson'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l));
      expect(labels).toEqual(r.labels);
      const back = await readCorpus(dir);
      expect(back.messages.length).toBe(r.messages.length);
      expect(back.labels).toEqual(r.labels);
      expect(back.trips.length).toBe(r.trips.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('publishLive', () => {
  const fakeClient = () => {
    const sent: Array<{ topic: string; qos: number; at: number }> = [];
    let inflight = 0;
    let maxInflight = 0;
    const client = {
      publishAsync(topic: string, _payload: Buffer, opts: { qos: number }) {
        inflight++;
        maxInflight = Math.max(maxInflight, inflight);
        sent.push({ topic, qos: opts.qos, at: Date.now() });
        return new Promise((resolve) =>
          setTimeout(() => {
            inflight--;
            resolve(undefined);
          }, 1),
        );
      },
    };
    return { client, sent, max: () => maxInflight };
  };

  it('publishes everything with QoS 1, in order, with bounded in-flight when as fast as possible', async () => {
    const r = sim({ containers: 3 });
    const f = fakeClient();
    const progress: number[] = [];
    await publishLive(r, f.client as never, { speed: 1e9, maxInFlight: 50, onProgress: (sent) => progress.push(sent) });
    expect(f.sent.map((s) => s.topic)).toEqual(r.messages.map((m) => m.topic));
    expect(f.sent.every((s) => s.qos === 1)).toBe(true);
    expect(f.max()).toBeLessThanOrEqual(50);
    expect(progress[progress.length - 1]).toBe(r.messages.length);
  });

  it('paces by arrival-time deltas divided by speed, and stops on abort', async () => {
    const t = START;
    const r: SimResult = {
      trips: [],
      labels: [],
      cleanContainers: [],
      messages: [0, 100, 200, 300, 400, 5000].map((s) => ({ t: t + s * 1000, topic: `ssd/csv/x${s}`, payload: Buffer.from('1;D;1;0') })),
    };
    const f = fakeClient();
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 700);
    await publishLive(r, f.client as never, { speed: 1000, signal: ac.signal });
    // 100 simulated seconds per 100 ms: the first five go out over ~400 ms, the last (5 s later) is cut by the abort
    expect(f.sent.length).toBe(5);
    expect(f.sent[4]!.at - t0).toBeGreaterThanOrEqual(350);
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});

function kmBetween(a: readonly number[], b: readonly number[]): number {
  const R = 6371.0088;
  const rad = Math.PI / 180;
  const dLat = (b[1]! - a[1]!) * rad;
  const dLon = (b[0]! - a[0]!) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[1]! * rad) * Math.cos(b[1]! * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(s)));
}
