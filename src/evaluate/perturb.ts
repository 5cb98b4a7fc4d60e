/**
 * Field noise that another fleet's devices and networks could add to a
 * recorded capture, one kind at a time, to see whether the rules still hold
 * when the noise is not the one they were tuned on (scripts/robustness.mjs).
 * Each perturbation edits the readings inside the capture's messages, in
 * their own wire format (json-v1, csv-v1, batch-v1), or the messages'
 * delivery; a payload it cannot read is passed on untouched (the pipeline's
 * dead-lettering is not what is measured here). Seeded: the same capture,
 * perturbation and seed give the same output.
 */

export interface CaptureLine {
  t: string;
  topic: string;
  payload: string;
}

/** One reading of a message, as a perturbation sees and edits it (times in ms). */
export interface EditableReading {
  kind: 'location' | 'temperature' | 'light' | 'door';
  /** The device that measured (from the topic, or the batch event). */
  device: string;
  ts: number;
  lat?: number;
  lon?: number;
  speedKn?: number;
  headingDeg?: number;
  celsius?: number;
  lux?: number;
}

export type Rng = () => number;

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal deviate (Box-Muller). */
export function gaussian(rng: Rng): number {
  const u = Math.max(rng(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

const M_PER_DEG_LAT = 111_320;

/** Moves a position by `east` and `north` metres. */
export function offsetMetres(lat: number, lon: number, east: number, north: number): { lat: number; lon: number } {
  const dLat = north / M_PER_DEG_LAT;
  const dLon = east / (M_PER_DEG_LAT * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
  return { lat: Math.max(-90, Math.min(90, lat + dLat)), lon: ((((lon + dLon + 180) % 360) + 360) % 360) - 180 };
}

type Edit = (r: EditableReading, rng: Rng) => EditableReading | null;

const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const optFinite = (v: unknown): boolean => v === undefined || finite(v);

/** Whether the reading's values are plain numbers where its kind has them (a broken payload is passed on untouched). */
function readable(r: EditableReading): boolean {
  if (!Number.isFinite(r.ts)) return false;
  if (r.kind === 'location') return finite(r.lat) && finite(r.lon) && optFinite(r.speedKn) && optFinite(r.headingDeg);
  if (r.kind === 'temperature') return finite(r.celsius);
  if (r.kind === 'light') return finite(r.lux);
  return true;
}

// ---- per format: the readings of a payload, and the payload again after edits

/** Where a JSON reading keeps each value: json-v1's names, or a batch-v1 event's. */
interface JsonFields {
  ts: string;
  lat: string;
  lon: string;
  speedKn: string;
  headingDeg: string;
  celsius: string;
  lux: string;
}
const JSON_V1_FIELDS: JsonFields = { ts: 'ts', lat: 'lat', lon: 'lon', speedKn: 'speedKn', headingDeg: 'headingDeg', celsius: 'celsius', lux: 'lux' };
const BATCH_FIELDS: JsonFields = { ts: 'eventDateTime', lat: 'latitude', lon: 'longitude', speedKn: 'speedKnots', headingDeg: 'headingDegrees', celsius: 'temperatureCelsius', lux: 'lux' };

/** The reading an object holds under those names, or null when its values are not plain (left untouched). */
function readJsonReading(o: Record<string, unknown>, kind: EditableReading['kind'], device: string, f: JsonFields): EditableReading | null {
  const ts = typeof o[f.ts] === 'string' ? Date.parse(o[f.ts] as string) : Number.NaN;
  const r: EditableReading = { kind, device, ts };
  if (kind === 'location') Object.assign(r, { lat: o[f.lat], lon: o[f.lon], speedKn: o[f.speedKn], headingDeg: o[f.headingDeg] });
  if (kind === 'temperature') r.celsius = o[f.celsius] as number;
  if (kind === 'light') r.lux = o[f.lux] as number;
  return readable(r) ? r : null;
}

/** Writes an edited reading back into its object, under the same names (an absent speed or heading is removed). */
function writeJsonReading(o: Record<string, unknown>, e: EditableReading, f: JsonFields): void {
  o[f.ts] = new Date(e.ts).toISOString();
  if (e.kind === 'location') {
    o[f.lat] = round(e.lat!, 6);
    o[f.lon] = round(e.lon!, 6);
    for (const [k, v] of [
      [f.speedKn, e.speedKn],
      [f.headingDeg, e.headingDeg],
    ] as const)
      if (v === undefined) delete o[k];
      else o[k] = v;
  }
  if (e.kind === 'temperature') o[f.celsius] = round(e.celsius!, 1);
  if (e.kind === 'light') o[f.lux] = e.lux;
}

const JSON_KIND: Record<string, EditableReading['kind'] | undefined> = { gps: 'location', temp: 'temperature', light: 'light', door: 'door' };

function editJson(device: string, kindLevel: string, payload: string, edit: (r: EditableReading) => EditableReading | null): string | null | undefined {
  const kind = JSON_KIND[kindLevel];
  if (!kind) return undefined;
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return undefined;
  const r = readJsonReading(m, kind, device, JSON_V1_FIELDS);
  if (!r) return undefined;
  const e = edit(r);
  if (e === null) return null;
  writeJsonReading(m, e, JSON_V1_FIELDS);
  return JSON.stringify(m);
}

const CSV_KIND: Record<string, EditableReading['kind'] | undefined> = { G: 'location', T: 'temperature', L: 'light', D: 'door' };

function editCsv(device: string, payload: string, edit: (r: EditableReading) => EditableReading | null): string | null | undefined {
  const f = payload.split(';');
  const kind = CSV_KIND[f[1] ?? ''];
  const epoch = Number(f[2]);
  if (!kind || f.length < 4 || !Number.isInteger(epoch)) return undefined;
  const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
  const r: EditableReading = { kind, device, ts: epoch * 1000 };
  if (kind === 'location') Object.assign(r, { lat: num(f[3]), lon: num(f[4]), speedKn: num(f[5]), headingDeg: num(f[6]) });
  if (kind === 'temperature') r.celsius = Number(f[3]) / 10;
  if (kind === 'light') r.lux = Number(f[3]);
  if (!readable(r)) return undefined;
  const e = edit(r);
  if (e === null) return null;
  f[2] = String(Math.round(e.ts / 1000));
  if (kind === 'location') {
    f[3] = e.lat!.toFixed(5);
    f[4] = e.lon!.toFixed(5);
    if (f.length > 5) f[5] = e.speedKn === undefined ? '' : String(e.speedKn);
    if (f.length > 6) f[6] = e.headingDeg === undefined ? '' : String(e.headingDeg);
  }
  if (kind === 'temperature') f[3] = String(Math.round(e.celsius! * 10));
  if (kind === 'light') f[3] = String(Math.round(e.lux!));
  return f.join(';');
}

const BATCH_KIND: Record<string, EditableReading['kind'] | undefined> = { LOCATION: 'location', TEMPERATURE: 'temperature', LIGHT: 'light', DOOR_OPENED: 'door', DOOR_CLOSED: 'door' };

function editBatch(payload: string, edit: (r: EditableReading) => EditableReading | null): string | null | undefined {
  let b: { events?: unknown };
  try {
    b = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof b !== 'object' || b === null || !Array.isArray(b.events)) return undefined;
  const kept: unknown[] = [];
  for (const ev of b.events as Array<Record<string, unknown>>) {
    const kind = typeof ev === 'object' && ev !== null ? BATCH_KIND[String(ev.eventType)] : undefined;
    const r = kind ? readJsonReading(ev, kind, String(ev.deviceId), BATCH_FIELDS) : null;
    if (!r) {
      kept.push(ev);
      continue;
    }
    const e = edit(r);
    if (e === null) continue;
    writeJsonReading(ev, e, BATCH_FIELDS);
    kept.push(ev);
  }
  if (kept.length === 0) return null;
  b.events = kept;
  return JSON.stringify(b);
}

/**
 * Applies `edit` to every reading of a message: the new payload, null when
 * every reading of it was dropped, or the line untouched when its payload is
 * not one this can read.
 */
export function editReadings(line: CaptureLine, edit: (r: EditableReading) => EditableReading | null): CaptureLine | null {
  if (typeof line.payload !== 'string') return line;
  const level = line.topic.split('/');
  const format = level[1];
  const device = level[2] ?? '';
  const out = format === 'json' ? editJson(device, level[3] ?? '', line.payload, edit) : format === 'csv' ? editCsv(device, line.payload, edit) : format === 'batch' ? editBatch(line.payload, edit) : undefined;
  if (out === undefined) return line;
  if (out === null) return null;
  return { ...line, payload: out };
}

function perReading(edit: Edit): (lines: CaptureLine[], rng: Rng) => CaptureLine[] {
  return (lines, rng) => {
    const out: CaptureLine[] = [];
    for (const l of lines) {
      const e = editReadings(l, (r) => edit(r, rng));
      if (e) out.push(e);
    }
    return out;
  };
}

const byArrival = (lines: CaptureLine[]): CaptureLine[] =>
  lines
    .map((l, i) => [l, i] as const)
    .sort((a, b) => Date.parse(a[0].t) - Date.parse(b[0].t) || a[1] - b[1])
    .map(([l]) => l);
const later = (t: string, ms: number): string => new Date(Date.parse(t) + ms).toISOString();

export interface Perturbation {
  name: string;
  /** What it stands for in the field, and why that size. */
  what: string;
  apply(lines: CaptureLine[], rng: Rng): CaptureLine[];
}

/**
 * The perturbations, each a kind of noise the field has and our simulator's
 * fleets may not: sizes are those of real devices and networks, not tuned to
 * any result.
 */
export const PERTURBATIONS: readonly Perturbation[] = [
  {
    name: 'gps-noise-30m',
    what: 'every fix moved by a normal error of 30 m per axis (consumer GNSS among container stacks and cranes; open sea is nearer 5-10 m)',
    apply: perReading((r, rng) => {
      if (r.kind !== 'location' || r.lat === undefined || r.lon === undefined) return r;
      return { ...r, ...offsetMetres(r.lat, r.lon, 30 * gaussian(rng), 30 * gaussian(rng)) };
    }),
  },
  {
    name: 'gps-multipath',
    what: '2 % of fixes thrown 300-800 m in a random direction (multipath off steel walls, a fix from a poor constellation)',
    apply: perReading((r, rng) => {
      if (r.kind !== 'location' || r.lat === undefined || r.lon === undefined || rng() >= 0.02) return r;
      const d = 300 + 500 * rng();
      const a = 2 * Math.PI * rng();
      return { ...r, ...offsetMetres(r.lat, r.lon, d * Math.cos(a), d * Math.sin(a)) };
    }),
  },
  {
    name: 'half-rate-fixes',
    what: 'every second fix of each device dropped (a device on a half-rate schedule to save battery)',
    apply: (lines) => {
      const seen = new Map<string, number>();
      return perReading((r) => {
        if (r.kind !== 'location') return r;
        const n = seen.get(r.device) ?? 0;
        seen.set(r.device, n + 1);
        return n % 2 === 1 ? null : r;
      })(lines, () => 0);
    },
  },
  {
    name: 'no-speed',
    what: 'speed and heading left out of every fix (trackers that report position only)',
    apply: perReading((r) => (r.kind === 'location' ? { ...r, speedKn: undefined, headingDeg: undefined } : r)),
  },
  {
    name: 'clock-offset-90s',
    what: "each device's clock off by a constant up to 90 s either way (devices that set their clock from the network, not GNSS)",
    apply: (lines, rng) => {
      const offset = new Map<string, number>();
      return perReading((r) => {
        let o = offset.get(r.device);
        if (o === undefined) offset.set(r.device, (o = Math.round((rng() * 2 - 1) * 90_000)));
        return { ...r, ts: r.ts + o };
      })(lines, rng);
    },
  },
  {
    name: 'temp-noise-0.3',
    what: 'temperatures with a normal error of 0.3 °C (a cheaper probe than the simulator assumes)',
    apply: perReading((r, rng) => (r.kind === 'temperature' && r.celsius !== undefined ? { ...r, celsius: r.celsius + 0.3 * gaussian(rng) } : r)),
  },
  {
    name: 'temp-coarse-0.5',
    what: 'temperatures to the nearest 0.5 °C (a probe with coarse resolution)',
    apply: perReading((r) => (r.kind === 'temperature' && r.celsius !== undefined ? { ...r, celsius: Math.round(r.celsius * 2) / 2 } : r)),
  },
  {
    name: 'light-dark-current',
    what: 'dark light readings read 0-5 lux (sensor dark current, a gap at a worn door seal)',
    apply: perReading((r, rng) => (r.kind === 'light' && r.lux !== undefined && r.lux < 1 ? { ...r, lux: Math.round(5 * rng()) } : r)),
  },
  {
    name: 'store-and-forward',
    what: 'one sender in ten (device or gateway) loses its link once for 2-6 h; 1-10 min after the link is back it sends what it held, oldest first, then goes on live (a FIFO queue, as an MQTT session queues)',
    apply: (lines, rng) => {
      const span = new Map<string, [number, number]>();
      for (const l of lines) {
        const src = l.topic.split('/')[2] ?? '';
        const t = Date.parse(l.t);
        const s0 = span.get(src);
        span.set(src, s0 ? [Math.min(s0[0], t), Math.max(s0[1], t)] : [t, t]);
      }
      const outage = new Map<string, { from: number; to: number; sent: number }>();
      for (const [src, [a, b]] of [...span].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
        if (rng() >= 0.1) continue;
        const from = a + rng() * Math.max(0, b - a);
        const to = from + 7_200_000 + rng() * 14_400_000;
        outage.set(src, { from, to, sent: to + 60_000 + rng() * 540_000 });
      }
      let k = 0;
      return byArrival(
        lines.map((l) => {
          const o = outage.get(l.topic.split('/')[2] ?? '');
          const t = Date.parse(l.t);
          // everything queued from the outage until the flush goes then, oldest first, a millisecond apart
          return o && t >= o.from && t < o.sent ? { ...l, t: new Date(o.sent + k++).toISOString() } : l;
        }),
      );
    },
  },
  {
    name: 'duplicates',
    what: '5 % of messages delivered again 1-60 s later (QoS 1 redelivery, gateway retries)',
    apply: (lines, rng) => byArrival(lines.flatMap((l) => (rng() < 0.05 ? [l, { ...l, t: later(l.t, 1000 + 59_000 * rng()) }] : [l]))),
  },
];
