import { join } from 'node:path';
import { makeContainerNumber } from '../../src/model/iso6346.js';
import { defaultPorts, type PortTable } from '../../src/geo/ports.js';
import type { TripPlan } from '../../src/trips/schema.js';
import { deliverBatches, type GatewayEvent, type SimMessage } from '../delivery.js';
import { CsvV1Encoder, JsonV1Encoder, type SimReading, type WireFormat } from '../encoders.js';
import type { Label, SimResult } from '../fleet.js';
import { haversineKm, KM_PER_NM } from '../../src/geo/distance.js';
import { hash32, Rng } from '../rng.js';
import { BREACH_KINDS, placeBreach, type BreachKind } from './breaches.js';
import { cleanTrack, type CleanReject } from './clean.js';
import { deviceReadings, drawProfile, wakeUps, type BoxClimate, type Breach, type DeviceProfile } from './device.js';
import { readTraj, SOURCES, type Source } from './source.js';
import { MIN_FIXES, shapeTrip, type TripReject, type TripShape } from './trip.js';

/**
 * Real tracks -> three labelled corpora (simulators/corpus.ts layout):
 * - `clean`: the voyages (tracks that leave their port's waters), each
 *   vessel carrying 2-6 monitored containers, every one its own device
 *   following the ship's recorded positions; no breach;
 * - `breaches`: the same containers, about half with one injected breach;
 * - `harbour`: the tracks that never leave their port's waters (harbour
 *   craft), one clean container each: real movement harder than any voyage.
 * Deterministic: the same data and seed give byte-identical corpora.
 */
export type TrackSet = 'voyage' | 'harbour';

/** One vessel's usable track and the set it belongs to. */
export interface RealVessel {
  source: Source;
  mmsi: string;
  shape: TripShape;
  set: TrackSet;
  /** The batch-v1 gateway on board, shared by the vessel's batch-v1 boxes. */
  gatewayId: string;
  /** The source's time shift (whole days, see alignment below). */
  shiftDays: number;
}

/** One monitored container on a vessel: its own plan, device and air. */
export interface RealTrip {
  vessel: RealVessel;
  /** Its place among the vessel's containers (0-based). */
  slot: number;
  /** Names its random streams: the same container, the same numbers, whatever else changes. */
  key: string;
  plan: TripPlan;
  profile: DeviceProfile;
  box: BoxClimate;
}

export interface SourceStats {
  tag: string;
  file: string;
  vessels: number;
  fixes: number;
  shiftDays: number;
  /** Voyage vessels, their containers and container-days. */
  trips: number;
  containers: number;
  containerDays: number;
  /** Harbour-craft tracks (one container each) and their container-days. */
  harbour: number;
  harbourDays: number;
  /** Tracks in neither set, by reason. */
  rejected: Partial<Record<CleanReject | TripReject, number>>;
}

export interface SetStats {
  vessels: number;
  containers: number;
  containerDays: number;
  reefers: number;
  formats: Record<WireFormat, number>;
}

/** The top-level numbers are the voyages' (clean and breaches); `harbour` is the harbour set's. */
export interface CorpusStats extends SetStats {
  /** Vessels whose track reaches the destination's zone. */
  arrived: number;
  /** How many vessels carry 2, 3, ... containers. */
  containersPerVessel: Record<string, number>;
  harbour: SetStats;
  messages: { clean: number; breaches: number; harbour: number };
  labels: Partial<Record<BreachKind, number>>;
  sources: SourceStats[];
}

export interface BuiltCorpora {
  trips: RealTrip[];
  harbourTrips: RealTrip[];
  clean: SimResult;
  breaches: SimResult;
  harbour: SimResult;
  stats: CorpusStats;
}

export const DEFAULT_SEED = 16;
/** Monitored containers on one vessel of the voyage set (drawn per vessel). */
export const MIN_BOXES = 2;
export const MAX_BOXES = 6;
const FORMATS: readonly WireFormat[] = ['json-v1', 'csv-v1', 'batch-v1'];
const VENDOR: Record<WireFormat, string> = { 'json-v1': 'acme', 'csv-v1': 'sat', 'batch-v1': 'seal' };
const DRY_OWNERS = ['MSCU', 'MAEU', 'CMAU', 'HLXU', 'OOLU', 'EGHU', 'ONEU', 'TGHU', 'TCNU', 'SEGU', 'CAIU', 'BEAU'];
const REEFER_OWNERS = ['MNBU', 'SZLU', 'CXRU', 'TRIU'];
const DAY = 86_400_000;
const H = 3_600_000;

export function buildRealTrackCorpora(dataDir: string, opts: { seed?: number; topicRoot?: string; ports?: PortTable } = {}): BuiltCorpora {
  const seed = opts.seed ?? DEFAULT_SEED;
  const topicRoot = opts.topicRoot ?? 'ssd';
  const ports = opts.ports ?? defaultPorts();
  const root = new Rng(seed);
  const read = SOURCES.map((s) => ({ s, vessels: readTraj(join(dataDir, s.file)) }));
  const ends = read.map((x) => {
    let end = -Infinity;
    for (const v of x.vessels.values()) for (const f of v) if (f.t > end) end = f.t;
    return end;
  });
  // The sources are days months apart; replayed as one capture, the engine's event-time clock
  // would run past the end of an earlier recording and take every open trip in it for a device
  // gone silent. So each source is moved by whole days to end on the day the latest one ends:
  // times of day, intervals and gaps stay as recorded.
  const lastDay = Math.max(...ends.map((t) => Math.floor(t / DAY)));

  const vessels: RealVessel[] = [];
  const sources: SourceStats[] = [];
  for (const [k, { s, vessels: raw }] of read.entries()) {
    const shiftDays = lastDay - Math.floor(ends[k]! / DAY);
    const shift = shiftDays * DAY;
    const st: SourceStats = { tag: s.tag, file: s.file, vessels: raw.size, fixes: 0, shiftDays, trips: 0, containers: 0, containerDays: 0, harbour: 0, harbourDays: 0, rejected: {} };
    sources.push(st);
    for (const mmsi of [...raw.keys()].sort()) {
      const fixes = raw.get(mmsi)!;
      st.fixes += fixes.length;
      const cleaned = cleanTrack(
        fixes.map((f) => ({ t: f.t + shift, lon: f.lon, lat: f.lat })),
        MIN_FIXES,
      );
      if (!cleaned.ok) {
        st.rejected[cleaned.reason] = (st.rejected[cleaned.reason] ?? 0) + 1;
        continue;
      }
      const shaped = shapeTrip(cleaned.fixes, ends[k]! + shift, ports);
      if (!shaped.ok) {
        st.rejected[shaped.reason] = (st.rejected[shaped.reason] ?? 0) + 1;
        continue;
      }
      vessels.push({ source: s, mmsi, shape: shaped.trip, set: shaped.trip.leavesPort ? 'voyage' : 'harbour', gatewayId: `VSL-${s.tag}-${mmsi}`, shiftDays });
    }
  }

  // the containers: 2-6 on each voyage vessel, one on each harbour craft; formats in rotation within each set
  const usedNumbers = new Set<string>();
  const trips: RealTrip[] = [];
  const harbourTrips: RealTrip[] = [];
  for (const v of vessels) {
    const id = `${v.source.tag}:${v.mmsi}`;
    const st = sources.find((x) => x.tag === v.source.tag)!;
    if (v.set === 'voyage') {
      const boxes = root.fork(`vessel:${id}`).int(MIN_BOXES, MAX_BOXES);
      for (let slot = 0; slot < boxes; slot++) trips.push(makeTrip(trips.length, v, slot, `voyage:${id}:${slot}`, root, usedNumbers));
      st.trips++;
      st.containers += boxes;
      st.containerDays += boxes * vesselDays(v);
    } else {
      harbourTrips.push(makeTrip(harbourTrips.length, v, 0, `harbour:${id}`, root, usedNumbers));
      st.harbour++;
      st.harbourDays += vesselDays(v);
    }
  }
  for (const st of sources) {
    st.containerDays = round1(st.containerDays);
    st.harbourDays = round1(st.harbourDays);
  }

  const clean = assemble(trips, new Map(), root, topicRoot);
  const placed = assignBreaches(trips, ports, root.fork('breaches'));
  const breaches = assemble(trips, placed, root, topicRoot);
  const harbour = assemble(harbourTrips, new Map(), root.fork('harbour'), topicRoot);
  const labels: Partial<Record<BreachKind, number>> = {};
  for (const l of breaches.labels) labels[l.rule as BreachKind] = (labels[l.rule as BreachKind] ?? 0) + 1;
  const containersPerVessel: Record<string, number> = {};
  for (const v of vessels.filter((x) => x.set === 'voyage')) {
    const n = String(trips.filter((t) => t.vessel === v).length);
    containersPerVessel[n] = (containersPerVessel[n] ?? 0) + 1;
  }
  const voyageVessels = vessels.filter((v) => v.set === 'voyage');
  const stats: CorpusStats = {
    ...setStats(trips),
    arrived: voyageVessels.filter((v) => v.shape.arrived).length,
    containersPerVessel,
    harbour: setStats(harbourTrips),
    messages: { clean: clean.messages.length, breaches: breaches.messages.length, harbour: harbour.messages.length },
    labels,
    sources,
  };
  return { trips, harbourTrips, clean, breaches, harbour, stats };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const vesselDays = (v: RealVessel): number => (v.shape.fixes[v.shape.fixes.length - 1]!.t - v.shape.fixes[0]!.t) / DAY;
const iso = (ms: number): string => new Date(ms).toISOString();

function setStats(trips: readonly RealTrip[]): SetStats {
  const formats = { 'json-v1': 0, 'csv-v1': 0, 'batch-v1': 0 } as Record<WireFormat, number>;
  for (const t of trips) formats[t.profile.format]++;
  return {
    vessels: new Set(trips.map((t) => t.vessel)).size,
    containers: trips.length,
    containerDays: round1(trips.reduce((a, t) => a + vesselDays(t.vessel), 0)),
    reefers: trips.filter((t) => t.box.reefer).length,
    formats,
  };
}

/**
 * One container on a vessel, the i-th of its set: the device and the air are
 * the box's own (its random stream named by `key`), the movement and the
 * voyage are the vessel's.
 */
function makeTrip(i: number, vessel: RealVessel, slot: number, key: string, root: Rng, used: Set<string>): RealTrip {
  const r = root.fork(`trip:${key}`);
  const { source, mmsi, shape, shiftDays, set } = vessel;
  const format = FORMATS[i % FORMATS.length]!;
  const profile = drawProfile(r.fork('device'), format);
  const c = r.fork('box');
  const reefer = c.chance(0.1) ? { setpointC: c.pick([-18, 2, 5]) } : null;
  // a dry box's air: the month it was really recorded in (the shift is only for replay)
  const month = new Date(shape.fixes[0]!.t - shiftDays * DAY).getUTCMonth();
  const summer = month >= 3 && month <= 8;
  const box: BoxClimate = { reefer, meanC: summer ? c.uniform(18, 28) : c.uniform(2, 10), swingC: c.uniform(2, 5) };
  let containerId: string;
  do containerId = makeContainerNumber(c.pick(reefer ? REEFER_OWNERS : DRY_OWNERS), c.int(100_000, 999_999));
  while (used.has(containerId));
  used.add(containerId);
  // the two sets are replayed apart, but their device ids stay apart too
  const deviceId = `${VENDOR[format]}-${String((set === 'voyage' ? 10_000 : 50_000) + i).padStart(5, '0')}`;
  const first = shape.fixes[0]!;
  const last = shape.fixes[shape.fixes.length - 1]!;
  // what a planner would expect: the rest of the way at 14 kn, plus port time
  const toGoKm = haversineKm([last.lon, last.lat], [shape.destination.lon, shape.destination.lat]);
  const eta = last.t + (toGoKm / (14 * KM_PER_NM)) * H + r.uniform(2, 6) * H;
  // as a new user writes a plan: ports and times, no route, no zones (the engine computes both)
  const plan: TripPlan = {
    tripId: set === 'voyage' ? `RT-${source.tag}-${mmsi}-${slot + 1}` : `RH-${source.tag}-${mmsi}`,
    containerId,
    deviceId,
    origin: shape.origin.locode,
    destination: shape.destination.locode,
    transshipments: [],
    departure: iso(first.t),
    eta: iso(Math.round(eta / 1000) * 1000),
    reefer: reefer ? { setpointC: reefer.setpointC, toleranceC: 2 } : null,
  };
  return { vessel, slot, key, plan, profile, box };
}

/** About half of the trips get one breach each, the kinds in rotation; a trip that can host none of them stays clean. */
function assignBreaches(trips: readonly RealTrip[], ports: PortTable, r: Rng): Map<number, { breach: Breach; forced: number[]; label: Label }> {
  const out = new Map<number, { breach: Breach; forced: number[]; label: Label }>();
  const want = Math.round(trips.length / 2);
  let cycle: BreachKind[] = [];
  for (const i of r.shuffle([...trips.keys()])) {
    if (out.size >= want) break;
    if (cycle.length === 0) cycle = r.shuffle(BREACH_KINDS);
    const t = trips[i]!;
    const shape = t.vessel.shape;
    const view = { fixes: shape.fixes, wake: wakeUps(shape.fixes, t.profile), origin: shape.origin, destination: shape.destination, ports: ports.ports };
    // the kinds still due in this round first (the scarce ones wait for a track that has room for them), then the rest
    const order = [...cycle, ...BREACH_KINDS.filter((k) => !cycle.includes(k))];
    const b = r.fork(`breach:${t.plan.tripId}`);
    for (const kind of order) {
      const p = placeBreach(kind, view, b.fork(kind));
      if (!p) continue;
      const at = cycle.indexOf(kind);
      if (at >= 0) cycle.splice(at, 1);
      out.set(i, { breach: p.breach, forced: p.forced, label: { containerId: t.plan.containerId, tripId: t.plan.tripId, rule: kind, from: iso(p.from), to: iso(p.to) } });
      break;
    }
  }
  return out;
}

function assemble(trips: readonly RealTrip[], breaches: ReadonlyMap<number, { breach: Breach; forced: number[]; label: Label }>, root: Rng, topicRoot: string): SimResult {
  const messages: SimMessage[] = [];
  const gateway: GatewayEvent[] = [];
  const labels: Label[] = [];
  const cleanContainers: string[] = [];
  for (const [i, t] of trips.entries()) {
    const r = root.fork(`trip:${t.key}`);
    const b = breaches.get(i);
    const fixes = t.vessel.shape.fixes;
    const wake = wakeUps(fixes, t.profile, new Set(b?.forced ?? []));
    const readings = deviceReadings(fixes, wake, t.profile, t.box, b?.breach ?? null, r.fork('readings'));
    deliver(t, readings, r.fork('delivery'), topicRoot, messages, gateway);
    if (b) labels.push(b.label);
    else cleanContainers.push(t.plan.containerId);
  }
  // gateways batch what they heard every 5 minutes (no field faults: the corpus is about real movement)
  deliverBatches(gateway, new Map(), { topicRoot, faults: false }, root.fork('gateways'), messages);
  labels.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.containerId < b.containerId ? -1 : 1));
  return { trips: trips.map((t) => t.plan), messages: byArrival(messages), labels, cleanContainers };
}

/** Arrival at the pipeline: a json-v1 or csv-v1 device within its own link's delays; a batch-v1 one through the vessel's gateway. */
function deliver(t: RealTrip, readings: readonly SimReading[], r: Rng, topicRoot: string, out: SimMessage[], gateway: GatewayEvent[]): void {
  const { deviceId, containerId } = t.plan;
  if (t.profile.format === 'batch-v1') {
    for (const [n, reading] of readings.entries()) gateway.push({ tt: reading.ts, gatewayId: t.vessel.gatewayId, event: { eventId: `${deviceId}-${String(n + 1).padStart(6, '0')}`, deviceId, containerId, reading } });
    return;
  }
  const json = t.profile.format === 'json-v1' ? new JsonV1Encoder(topicRoot, deviceId, containerId, (hash32(deviceId) & 0xffff).toString(16).padStart(4, '0'), r.int(1, 5000)) : null;
  const csv = json ? null : new CsvV1Encoder(topicRoot, deviceId, r.int(0, 65_535));
  for (const reading of readings) {
    const enc = (json ?? csv)!.encode(reading);
    const delay = r.uniform(t.profile.delayMs.min, t.profile.delayMs.max);
    out.push({ t: Math.round(reading.ts + delay), topic: enc.topic, payload: enc.payload });
  }
}

function byArrival(messages: SimMessage[]): SimMessage[] {
  return messages
    .map((m, i) => ({ m, i }))
    .sort((a, b) => a.m.t - b.m.t || a.i - b.i)
    .map((x) => x.m);
}
