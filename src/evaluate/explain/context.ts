import { median } from 'simple-statistics';
import type { Config } from '../../config/schema.js';
import type { PortTable } from '../../geo/ports.js';
import type { Reading } from '../../model/reading.js';
import type { TripDirectory } from '../../trips/directory.js';
import { kmBetween, knots } from '../../geo/distance.js';
import { compilePlan, locateInZones, type CompiledPlan } from '../../trips/compile.js';
import { seaLaneRouter } from '../../geo/sea-router.js';
import type { Trace } from './trace.js';

/** Light below this is a closed box's dark or a vent's leak at most; shown only from here up. */
export const SHOWN_LUX = 3;
/** A reading that arrived this much after it was measured came by store-and-forward. */
const DELAYED_MS = 10 * 60_000;
/** Gaps shown: at least this long, and several times the usual interval. */
const MIN_GAP_MS = 30 * 60_000;
const GAP_FACTOR = 3;

export interface FixRow {
  t: string;
  eventId: string;
  lat: number;
  lon: number;
  /** As the device reported it. */
  speedKn: number | null;
  /** From the previous fix (any distance, any interval). */
  derivedKn: number | null;
  hdop: number | null;
  /** Nearest authorised zone of the plan; km 0 inside. */
  zone: { name: string; km: number; inside: boolean } | null;
  port: { name: string; km: number } | null;
  /** Minutes between measurement and arrival. */
  delayMin: number;
  /** 'late': refused by the engine as late; 'inactive': no trip under way (the rules did not see it). */
  seen: 'evaluated' | 'learnt' | 'late' | 'inactive';
}

export interface ReadingsContext {
  from: string;
  to: string;
  counts: Record<Reading['kind'], number>;
  fixes: FixRow[];
  /** Changes of the door (the first door reading in view too). */
  doors: Array<{ t: string; eventId: string; open: boolean; seen: FixRow['seen'] }>;
  light: Array<{ t: string; eventId: string; lux: number; seen: FixRow['seen'] }>;
  /** Per bucket (an hour, or longer for long windows). */
  temperature: Array<{ from: string; readings: number; min: number; median: number; max: number; setpointC: number | null }>;
  gaps: Array<{ kind: 'silence' | 'position'; from: string; to: string; minutes: number; otherReadings: number }>;
  delayed: { readings: number; maxMin: number };
  late: number;
}

export interface ContextEnv {
  config: Pick<Config, 'trips' | 'rules'>;
  trips: TripDirectory;
  ports: PortTable;
}

/** The container's readings in [from, to], each fix placed against its plan's zones and the port table. */
export function readingsContext(trace: Trace, from: number, to: number, env: ContextEnv): ReadingsContext {
  const plans = planCache(env);
  const seen = seenBy(trace);
  const all = trace.readings;
  const inView = all.filter((r) => r.ts >= from && r.ts <= to);
  const counts = { door: 0, location: 0, light: 0, temperature: 0 };
  for (const r of inView) counts[r.kind]++;
  const fixes: FixRow[] = [];
  let prev: Extract<Reading, { kind: 'location' }> | null = null;
  for (const r of all) {
    if (r.kind !== 'location') continue;
    if (r.ts >= from && r.ts <= to) {
      const plan = plans(r.tripId);
      const z = plan ? locateInZones(plan.zones, r.lat, r.lon) : null;
      const p = env.ports.nearest(r.lat, r.lon);
      fixes.push({
        t: iso(r.ts),
        eventId: r.eventId,
        lat: r.lat,
        lon: r.lon,
        speedKn: r.speedKn ?? null,
        derivedKn: prev && r.ts > prev.ts ? round1(knots(kmBetween(prev, r), r.ts - prev.ts)) : null,
        hdop: r.hdop ?? null,
        zone: z?.nearest ? { name: z.nearest.name, km: round1(z.nearestKm), inside: z.inside !== null } : null,
        port: p ? { name: `${p.port.name} (${p.port.locode})`, km: round1(p.distanceKm) } : null,
        delayMin: Math.round((r.receivedAt - r.ts) / 60000),
        seen: seen(r),
      });
    }
    prev = r;
  }
  const doors: ReadingsContext['doors'] = [];
  let door: boolean | null = null;
  for (const r of all) {
    if (r.kind !== 'door' || r.ts > to) continue;
    if (r.ts >= from && r.open !== door) doors.push({ t: iso(r.ts), eventId: r.eventId, open: r.open, seen: seen(r) });
    door = r.open;
  }
  const light = inView.flatMap((r) => (r.kind === 'light' && r.lux >= SHOWN_LUX ? [{ t: iso(r.ts), eventId: r.eventId, lux: r.lux, seen: seen(r) }] : []));
  const delays = inView.map((r) => r.receivedAt - r.ts).filter((d) => d > DELAYED_MS);
  return {
    from: iso(from),
    to: iso(to),
    counts,
    fixes,
    doors,
    light,
    temperature: temperatureBuckets(inView, from, to, plans),
    gaps: gaps(inView),
    delayed: { readings: delays.length, maxMin: delays.length ? Math.round(Math.max(...delays) / 60000) : 0 },
    late: inView.filter((r) => seen(r) === 'late').length,
  };
}

function temperatureBuckets(rs: Reading[], from: number, to: number, plans: (tripId: string | null) => CompiledPlan | null): ReadingsContext['temperature'] {
  // an hour a bucket, longer when the view is long, so a day or more stays a few lines
  const size = Math.max(3_600_000, Math.ceil((to - from) / 24 / 3_600_000) * 3_600_000);
  const buckets = new Map<number, Array<Extract<Reading, { kind: 'temperature' }>>>();
  for (const r of rs) {
    if (r.kind !== 'temperature') continue;
    const k = Math.floor(r.ts / size) * size;
    (buckets.get(k) ?? buckets.set(k, []).get(k)!).push(r);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, b]) => {
      const cs = b.map((r) => r.celsius);
      const sp = b.find((r) => r.setpointC !== undefined)?.setpointC ?? plans(b[0]!.tripId)?.plan.reefer?.setpointC ?? null;
      return { from: iso(k), readings: b.length, min: Math.min(...cs), median: round1(median(cs)), max: Math.max(...cs), setpointC: sp };
    });
}

function gaps(rs: Reading[]): ReadingsContext['gaps'] {
  const out: ReadingsContext['gaps'] = [];
  // a device sends several readings at one time: the usual interval is between distinct times
  const usual = (ts: number[]) => (ts.length > 2 ? median(ts.slice(1).map((t, i) => t - ts[i]!)) : 0);
  const allTs = [...new Set(rs.map((r) => r.ts))];
  const minAll = Math.max(MIN_GAP_MS, GAP_FACTOR * usual(allTs));
  for (let i = 1; i < allTs.length; i++) if (allTs[i]! - allTs[i - 1]! >= minAll) out.push(gap('silence', allTs[i - 1]!, allTs[i]!, 0));
  const fixTs = rs.filter((r) => r.kind === 'location').map((r) => r.ts);
  const minFix = Math.max(MIN_GAP_MS, GAP_FACTOR * usual(fixTs));
  for (let i = 1; i < fixTs.length; i++) {
    const [a, b] = [fixTs[i - 1]!, fixTs[i]!];
    if (b - a < minFix) continue;
    const others = rs.filter((r) => r.kind !== 'location' && r.ts > a && r.ts < b).length;
    if (others > 0) out.push(gap('position', a, b, others));
  }
  return out.sort((x, y) => (x.from < y.from ? -1 : x.from > y.from ? 1 : 0));
}

function gap(kind: 'silence' | 'position', a: number, b: number, otherReadings: number): ReadingsContext['gaps'][number] {
  return { kind, from: iso(a), to: iso(b), minutes: Math.round((b - a) / 60000), otherReadings };
}

/** How the engine treated each reading of the trace. */
function seenBy(trace: Trace): (r: Reading) => FixRow['seen'] {
  const steps = new Map(trace.steps.map((s) => [s.reading.eventId, s.active]));
  const late = new Set(trace.late.map((r) => r.eventId));
  return (r) => {
    const active = steps.get(r.eventId);
    return active === true ? 'evaluated' : active === false ? 'learnt' : late.has(r.eventId) ? 'late' : 'inactive';
  };
}

/** Plans compiled as the engine compiles them (same port table, zones radius and sea router). */
export function planCache(env: ContextEnv): (tripId: string | null) => CompiledPlan | null {
  const cache = new Map<string, CompiledPlan | null>();
  return (tripId) => {
    if (tripId === null) return null;
    if (!cache.has(tripId)) {
      const p = env.trips.get(tripId);
      cache.set(tripId, p ? compilePlan(p, env.ports, env.config.trips, seaLaneRouter) : null);
    }
    return cache.get(tripId)!;
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function round1(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : x;
}
