import { makeContainerNumber } from '../src/model/iso6346.js';
import { defaultPorts, type Port, type PortTable } from '../src/model/ports.js';
import type { TripPlan } from '../src/model/trip-plan.js';
import { generateReadings, whereAt, type Breach, type ContainerModel, type DeviceProfile, type Phase, type ScenarioKind, type TrueReading } from './container.js';
import { addFieldFaults, deliverBatches, deliverDevice, gatewayEvents, type GatewayEvent, type SimMessage } from './delivery.js';
import type { WireFormat } from './encoders.js';
import { alongPath, cumulativeKm, destination, haversineKm, KM_PER_NM, kmFromPolyline, type LonLat } from './geo.js';
import { nearestPortKm, pickItinerary, routeKm, type Itinerary } from './itinerary.js';
import { Rng } from './rng.js';
import { routeLegs, type RouteLegs } from './route.js';
import type { EdgeKind } from './sea-lanes.js';
import { Sailing } from './voyage.js';

export type { ScenarioKind } from './container.js';
export type { SimMessage } from './delivery.js';

/*
 * The fleet model, in short (details beside the code that does it):
 *
 * - Itineraries follow weighted trade lanes between regions of the port
 *   table (itinerary.ts), 30 % via a transshipment hub; routes come from the
 *   sea-lane network (route.ts). Containers join earlier containers' ships
 *   (up to 8 per ship), so batch-v1 devices on one ship share its VSL gateway;
 *   in terminal yards they report through a `TRM-{locode}` gateway.
 * - Timeline per container: origin yard (4-30 h) -> ship -> [hub yard, next
 *   ship] -> destination yard (4-18 h), then the device stops. Ships: 14-20 kn
 *   at sea, 2-8 kn within 10 km of a berth, canals 6-8 kn (voyage.ts).
 * - Labels, in the device's clock (what the pipeline sees):
 *   DOOR_OPEN_IN_TRANSIT     from = door opened at sea, to = door closed;
 *   DOOR_OPEN_UNAUTHORISED_LOCATION from = the ship is 3 km from the unplanned
 *                            quay (slowing to call there), to = door closed;
 *   LIGHT_WITH_DOOR_CLOSED   from = first lit reading, to = first dark reading after;
 *   TEMPERATURE_EXCURSION    from = leaves setpoint +/- tolerance, to = back inside;
 *   LOCATION_JUMP            from = first spoofed fix, to = first true fix after.
 */

export interface SimOptions {
  seed: number;
  containers: number;
  /** ms since the epoch: simulated time of the first reading. */
  start: number;
  /** Which breach kinds may be injected; default: all supported. */
  scenarios?: ScenarioKind[];
  /** Share of containers that get an injected breach (default 0.5); the others are clean. */
  breachShare?: number;
  /** Field faults of WIRE 1.4 (default true). */
  faults?: boolean;
  topicRoot?: string;
  /** Breaches early (within ~12 simulated hours of the start), containers already at sea or about to sail. */
  demo?: boolean;
  /** Cap on the simulated time span: no reading after start + voyageHours. */
  voyageHours?: number;
}

/** One injected breach (WIRE section 5). */
export interface Label {
  containerId: string;
  tripId: string;
  rule: ScenarioKind;
  from: string;
  to: string;
}

export interface SimResult {
  trips: TripPlan[];
  /** Sorted by arrival time t (stable). */
  messages: SimMessage[];
  labels: Label[];
  /** Containers without an injected breach. */
  cleanContainers: string[];
}

export const SCENARIO_KINDS: readonly ScenarioKind[] = ['DOOR_OPEN_IN_TRANSIT', 'DOOR_OPEN_UNAUTHORISED_LOCATION', 'LIGHT_WITH_DOOR_CLOSED', 'TEMPERATURE_EXCURSION', 'LOCATION_JUMP'];

const H = 3_600_000;
const MIN = 60_000;

const OWNER_PREFIXES = ['MSCU', 'MEDU', 'MAEU', 'MRKU', 'MSKU', 'CMAU', 'CGMU', 'HLXU', 'HLBU', 'TGHU', 'TCNU', 'TRLU', 'CSNU', 'OOLU', 'EGHU', 'EISU', 'ONEU', 'YMLU', 'HDMU', 'ZIMU', 'SEGU', 'FCIU', 'BMOU', 'GESU', 'CAIU', 'TEMU', 'DFSU', 'BEAU'];
const REEFER_PREFIXES = ['MNBU', 'SZLU', 'CXRU', 'TRIU', 'MWCU', 'CGMU', 'HLXU', 'OOLU'];
const VENDOR: Record<WireFormat, string> = { 'json-v1': 'acme', 'csv-v1': 'sat', 'batch-v1': 'seal' };

interface Joinable {
  itinerary: Itinerary;
  sailings: Sailing[];
  members: number;
}

/** Simulates a fleet of monitored containers: trip plans, every MQTT message in arrival order, and the labels of the injected breaches. */
export function simulateFleet(opts: SimOptions): SimResult {
  if (!Number.isInteger(opts.containers) || opts.containers < 0) throw new RangeError(`containers: expected a whole number >= 0, got ${opts.containers}`);
  if (!Number.isFinite(opts.start)) throw new RangeError(`start: expected ms since the epoch, got ${opts.start}`);
  const breachShare = opts.breachShare ?? 0.5;
  if (!(breachShare >= 0 && breachShare <= 1)) throw new RangeError(`breachShare: expected 0..1, got ${breachShare}`);
  if (opts.voyageHours !== undefined && !(opts.voyageHours > 0)) throw new RangeError(`voyageHours: expected > 0, got ${opts.voyageHours}`);
  const kinds = [...new Set(opts.scenarios ?? SCENARIO_KINDS)];
  for (const k of kinds) if (!SCENARIO_KINDS.includes(k)) throw new RangeError(`scenarios: unknown kind ${String(k)}; expected some of ${SCENARIO_KINDS.join(', ')}`);
  const topicRoot = opts.topicRoot ?? 'ssd';
  const faults = opts.faults ?? true;
  const demo = opts.demo ?? false;
  const start = Math.round(opts.start);
  const capEnd = opts.voyageHours !== undefined ? start + opts.voyageHours * H : Infinity;
  const root = new Rng(opts.seed);
  const ports = defaultPorts();
  const n = opts.containers;

  // who gets a breach, of which kind, and which boxes are reefers
  const plan = root.fork('plan');
  let breachCount = kinds.length === 0 ? 0 : Math.round(n * breachShare);
  if (demo && breachShare > 0 && n >= kinds.length) breachCount = Math.max(breachCount, kinds.length);
  const order = plan.shuffle([...Array(n).keys()]);
  const kindOf = new Map<number, ScenarioKind>();
  let cycle: ScenarioKind[] = [];
  for (let j = 0; j < breachCount; j++) {
    if (cycle.length === 0) cycle = plan.shuffle(kinds);
    kindOf.set(order[j]!, cycle.shift()!);
  }
  const forcedReefers = [...kindOf.values()].filter((k) => k === 'TEMPERATURE_EXCURSION').length;
  const reeferP = n > forcedReefers ? Math.max(0, (0.25 * n - forcedReefers) / (n - forcedReefers)) : 0;

  const ids = root.fork('ids');
  const deviceBase = ids.int(1, 60_000);
  const tripBase = ids.int(1, 400_000);
  const year = new Date(start).getUTCFullYear();
  const usedNumbers = new Set<string>();
  const usedGateways = new Set<string>();
  const newGateway = (r: Rng): string => {
    for (;;) {
      const g = `VSL-${r.int(9_100_000, 9_899_999)}`;
      if (!usedGateways.has(g)) {
        usedGateways.add(g);
        return g;
      }
    }
  };
  let sailingSeq = 0;
  const joinable: Joinable[] = [];
  const models: ContainerModel[] = [];
  const trips: TripPlan[] = [];

  for (let i = 0; i < n; i++) {
    const c = root.fork(`container:${i}`);
    let kind = kindOf.get(i) ?? null;
    const reefer = kind === 'TEMPERATURE_EXCURSION' || c.chance(reeferP) ? { setpointC: c.pick([-18, 2, 5]), toleranceC: 2 } : null;
    let containerId: string;
    do containerId = makeContainerNumber(c.pick(reefer ? REEFER_PREFIXES : OWNER_PREFIXES), c.int(100_000, 999_999));
    while (usedNumbers.has(containerId));
    usedNumbers.add(containerId);
    const format: WireFormat = c.weighted([['json-v1', 45], ['csv-v1', 25], ['batch-v1', 30]] as const);
    const deviceId = `${VENDOR[format]}-${String((deviceBase + i) % 100_000).padStart(5, '0')}`;
    const tripId = `T-${year}-${String((tripBase + i) % 1_000_000).padStart(6, '0')}`;
    const device = drawDevice(c.fork('device'), format, faults);

    let built: Built | null = null;
    for (let attempt = 0; attempt < 40 && !built; attempt++) {
      const a = c.fork(`attempt:${attempt}`);
      const candidates = joinable.filter((j) => j.members < 8);
      const join = kind !== 'DOOR_OPEN_UNAUTHORISED_LOCATION' && attempt < 3 && candidates.length > 0 && a.chance(0.45) ? a.pick(candidates) : null;
      let itinerary: Itinerary;
      let sailings: Sailing[];
      let detour: Port | null = null;
      if (join) {
        itinerary = join.itinerary;
        sailings = join.sailings;
      } else {
        itinerary = pickItinerary(a, ports, { transshipShare: 0.3 });
        const made = makeSailings(a, itinerary, { start, capEnd, demo, kind, newGateway, nextId: () => `S${++sailingSeq}`, ports });
        if (!made) continue;
        sailings = made.sailings;
        detour = made.detour;
      }
      const b = buildContainer(a, { itinerary, sailings, start, capEnd, demo, kind, device, reefer, detour, ports, first: i === 0 && !demo });
      if (!b) continue;
      built = { ...b, itinerary, sailings, join };
    }
    if (!built) {
      // no feasible breach on any itinerary tried: this container runs clean
      kind = null;
      for (let attempt = 0; attempt < 20 && !built; attempt++) {
        const a = c.fork(`fallback:${attempt}`);
        const itinerary = pickItinerary(a, ports, { transshipShare: 0 });
        const made = makeSailings(a, itinerary, { start, capEnd, demo, kind: null, newGateway, nextId: () => `S${++sailingSeq}`, ports })!;
        const b = buildContainer(a, { itinerary, sailings: made.sailings, start, capEnd, demo, kind: null, device, reefer, detour: null, ports, first: i === 0 && !demo });
        if (b) built = { ...b, itinerary, sailings: made.sailings, join: null };
      }
      if (!built) throw new RangeError(`container ${i}: no voyage fits in the simulated window (voyageHours ${opts.voyageHours}); allow at least a few hours`);
    }
    if (built.join) built.join.members++;
    else if (kind !== 'DOOR_OPEN_UNAUTHORISED_LOCATION') joinable.push({ itinerary: built.itinerary, sailings: built.sailings, members: 1 });

    const m: ContainerModel = {
      index: i,
      containerId,
      deviceId,
      tripId,
      reefer,
      device,
      phases: built.phases,
      first: built.first,
      last: built.last,
      doorOpen: built.doorOpen,
      breach: built.breach,
      defrosts: reefer ? drawDefrosts(c.fork('defrost'), built.first, built.last, built.breach) : [],
      ambient: { offset: c.normal(0, 2), swing: c.uniform(0.8, 2) },
    };
    models.push(m);
    trips.push(makePlan(c.fork('plan'), m, built.itinerary, built.sailings));
  }

  // measurements, then messages
  const messages: SimMessage[] = [];
  const gw: GatewayEvent[] = [];
  const gatewayWindows = new Map<string, { from: number; to: number }>();
  const labels: Label[] = [];
  const cleanContainers: string[] = [];
  for (const m of models) {
    const readings = generateReadings(m, root.fork(`readings:${m.index}`));
    const d = root.fork(`delivery:${m.index}`);
    if (m.device.format === 'batch-v1') gatewayEvents(m, readings, gw);
    else deliverDevice(m, readings, { topicRoot, faults }, d, messages);
    for (const ph of m.phases) {
      if (ph.kind !== 'ship') continue;
      const w = gatewayWindows.get(ph.sailing.gatewayId);
      if (!w) gatewayWindows.set(ph.sailing.gatewayId, { from: ph.sailing.departure, to: ph.sailing.arrival });
    }
    const label = m.breach ? makeLabel(m, readings) : null;
    if (label) labels.push(label);
    else cleanContainers.push(m.containerId);
  }
  deliverBatches(gw, gatewayWindows, { topicRoot, faults }, root.fork('gateways'), messages);
  if (faults) addFieldFaults(messages, topicRoot, root.fork('faults'));
  const sorted = sortByArrival(messages);
  labels.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.containerId < b.containerId ? -1 : 1));
  return { trips, messages: sorted, labels, cleanContainers };
}

function sortByArrival(messages: SimMessage[]): SimMessage[] {
  const idx = new Uint32Array(messages.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const t = Float64Array.from(messages, (m) => m.t);
  const sortedIdx = Array.from(idx).sort((a, b) => t[a]! - t[b]! || a - b);
  return sortedIdx.map((i) => messages[i]!);
}

function drawDevice(r: Rng, format: WireFormat, faults: boolean): DeviceProfile {
  return {
    format,
    gpsEveryMs: r.uniform(5, 15) * MIN,
    reportsSpeed: r.chance(0.85),
    hdopMean: r.uniform(0.9, 1.8),
    doorEveryMs: r.uniform(1, 6) * H,
    lightEveryMs: r.uniform(15, 30) * MIN,
    tempEveryMs: r.uniform(15, 30) * MIN,
    skewMs: !faults ? 0 : Math.round(r.chance(0.25) ? r.uniform(-90_000, 90_000) : r.uniform(-1_500, 1_500)),
  };
}

function drawDefrosts(r: Rng, first: number, last: number, breach: Breach | null): ContainerModel['defrosts'] {
  const period = r.uniform(6, 12) * H;
  const out: ContainerModel['defrosts'] = [];
  const avoid = breach && breach.kind === 'TEMPERATURE_EXCURSION' ? { from: breach.start - H, to: breach.start + breach.rise + breach.plateau + breach.fall + H } : null;
  for (let t = first - r.uniform(0, period); t < last; t += period * r.uniform(0.95, 1.05)) {
    const dur = r.uniform(15, 35) * MIN;
    if (avoid && t + dur > avoid.from && t < avoid.to) continue;
    out.push({ start: Math.round(t), dur, amp: r.uniform(2, 5) });
  }
  return out;
}

interface SailingContext {
  start: number;
  /** No reading after this (start + voyageHours), Infinity without a cap. */
  capEnd: number;
  demo: boolean;
  kind: ScenarioKind | null;
  newGateway: (r: Rng) => string;
  nextId: () => string;
  ports: PortTable;
}

/**
 * The ships of an itinerary: leg 1 departs in the next few days (demo: is
 * already at sea or about to sail); leg 2 leaves the hub 10-40 h after leg 1
 * arrives. A DOOR_OPEN_UNAUTHORISED_LOCATION container sails on its own ship,
 * which makes an unplanned call at a port that is not in the plan.
 */
function makeSailings(r: Rng, it: Itinerary, ctx: SailingContext): { sailings: Sailing[]; detour: Port | null } | null {
  const leg1 = it.legs[0]!;
  const cruise1 = r.uniform(15.5, 18.5);
  const km1 = routeKm(leg1);
  let dep1: number;
  if (ctx.demo) {
    const transitMs = (km1 / (cruise1 * KM_PER_NM)) * H;
    dep1 = r.chance(0.7) ? ctx.start - r.uniform(0.5 * H, Math.max(H, 0.6 * transitMs)) : ctx.start + r.uniform(0.3 * H, 1.5 * H);
  } else dep1 = ctx.start + r.uniform(3 * H, Math.max(3.5 * H, Math.min(60 * H, 0.3 * (ctx.capEnd - ctx.start))));
  dep1 = Math.round(dep1);
  let detour: Port | null = null;
  let s1: Sailing;
  if (ctx.kind === 'DOOR_OPEN_UNAUTHORISED_LOCATION') {
    const plain = new Sailing({ id: 'probe', gatewayId: 'probe', path: leg1.path, kind: leg1.kind, departure: dep1, cruiseKn: cruise1 }, r.fork('probe'));
    const ref = Math.max(ctx.start, dep1);
    const from = ctx.demo ? ref + 0.5 * H : dep1 + 2 * H;
    const to = ctx.demo ? ref + 8 * H : plain.arrival - 12 * H;
    const d = planDetour(r, it, leg1, plain, from, to, ctx.ports);
    if (!d) return null;
    detour = d.port;
    s1 = new Sailing({ id: ctx.nextId(), gatewayId: ctx.newGateway(r), path: d.path, kind: d.kind, departure: dep1, cruiseKn: cruise1, stops: [{ atKm: d.stopKm, dwellMs: r.uniform(2.5, 6) * H }] }, r.fork('s1'));
  } else {
    s1 = new Sailing({ id: ctx.nextId(), gatewayId: ctx.newGateway(r), path: leg1.path, kind: leg1.kind, departure: dep1, cruiseKn: cruise1 }, r.fork('s1'));
  }
  const sailings = [s1];
  if (it.legs.length > 1) {
    const leg2 = it.legs[1]!;
    const dep2 = Math.round(s1.arrival + r.uniform(10 * H, 40 * H));
    sailings.push(new Sailing({ id: ctx.nextId(), gatewayId: ctx.newGateway(r), path: leg2.path, kind: leg2.kind, departure: dep2, cruiseKn: r.uniform(15.5, 18.5) }, r.fork('s2')));
  }
  return { sailings, detour };
}

/**
 * An unplanned call: a port of the table near the route, more than 60 km
 * from every port of the plan (so more than 45 km outside every 15 km
 * authorised zone), reached between `from` and `to`. The ship leaves the
 * route, sails to the port's quay, stops, and comes back to the route.
 */
function planDetour(r: Rng, it: Itinerary, leg: RouteLegs, plain: Sailing, from: number, to: number, ports: PortTable): { port: Port; path: LonLat[]; kind: EdgeKind[]; stopKm: number } | null {
  const planned = [it.origin, it.destination, ...(it.hub ? [it.hub] : [])];
  const kmFrom = plain.at(from).km;
  const kmTo = plain.at(to).km;
  if (!(kmTo - kmFrom > 20)) return null;
  const cum = cumulativeKm(leg.path);
  const candidates: Array<{ km: number; port: Port; dist: number }> = [];
  const far = ports.ports.filter((p) => planned.every((q) => haversineKm([p.lon, p.lat], [q.lon, q.lat]) > 60));
  for (let km = kmFrom; km <= kmTo; km += 15) {
    const a = alongPath(leg.path, cum, km).point;
    const near = nearestPortKm(far, a);
    if (near.km <= 70 && near.km >= 2) candidates.push({ km, port: near.port, dist: near.km });
  }
  if (candidates.length === 0) return null;
  // prefer short detours, but not always the very shortest
  candidates.sort((x, y) => x.dist - y.dist);
  for (let tries = 0; tries < 6 && candidates.length > 0; tries++) {
    const at = Math.min(candidates.length - 1, Math.floor(r.next() ** 2 * Math.min(candidates.length, 12)));
    const pick = candidates.splice(at, 1)[0]!;
    const d = detourPath(leg, cum, pick.km, pick.port);
    if (d) return { port: pick.port, ...d };
  }
  return null;
}

/** The route with a call at `port` inserted `km` along it; null when the detour strays more than 85 km from the planned route. */
function detourPath(leg: RouteLegs, cum: number[], km: number, port: Port): { path: LonLat[]; kind: EdgeKind[]; stopKm: number } | null {
  const seg = Math.max(0, cum.findIndex((c) => c > km) - 1);
  const a = alongPath(leg.path, cum, km).point;
  const out = routeLegs({ lat: a[1], lon: a[0] }, port);
  const back = routeLegs(port, { lat: a[1], lon: a[0] });
  // off the planned route, but not so far that it reads as a route deviation rather than a port call
  if (out.path.some((p) => kmFromPolyline(p, leg.path) > 85) || back.path.some((p) => kmFromPolyline(p, leg.path) > 85)) return null;
  const path: LonLat[] = [...leg.path.slice(0, seg + 1), a, ...out.path.slice(1), ...back.path.slice(1), ...leg.path.slice(seg + 1)];
  const kind: EdgeKind[] = [...leg.kind.slice(0, seg), leg.kind[seg]!, ...out.kind, ...back.kind, leg.kind[seg]!, ...leg.kind.slice(seg + 1)];
  // drop zero-length steps (a route point that coincides with its neighbour)
  const p2: LonLat[] = [path[0]!];
  const k2: EdgeKind[] = [];
  for (let i = 1; i < path.length; i++) {
    if (haversineKm(p2[p2.length - 1]!, path[i]!) < 0.01) continue;
    p2.push(path[i]!);
    k2.push(kind[i - 1] ?? 'sea');
  }
  const cum2 = cumulativeKm(p2);
  const qi = p2.findIndex((p) => p[0] === port.lon && p[1] === port.lat);
  if (qi < 0) return null;
  return { path: p2, kind: k2, stopKm: cum2[qi]! };
}

interface Built {
  phases: Phase[];
  first: number;
  last: number;
  doorOpen: Array<{ from: number; to: number }>;
  breach: Breach | null;
  itinerary: Itinerary;
  sailings: Sailing[];
  join: Joinable | null;
}

interface BuildContext {
  itinerary: Itinerary;
  sailings: Sailing[];
  start: number;
  capEnd: number;
  demo: boolean;
  kind: ScenarioKind | null;
  device: DeviceProfile;
  reefer: { setpointC: number; toleranceC: number } | null;
  detour: Port | null;
  ports: PortTable;
  /** The first container of a non-demo fleet switches on exactly at `start`. */
  first: boolean;
}

function yardPoint(r: Rng, p: Port): LonLat {
  return destination([p.lon, p.lat], r.uniform(0, 360), r.uniform(0.3, 1.5));
}

/** Yard stays, ship legs, legitimate door openings and the breach of one container; null when the breach cannot be placed. */
function buildContainer(r: Rng, ctx: BuildContext): Omit<Built, 'itinerary' | 'sailings' | 'join'> | null {
  const { itinerary: it, sailings } = ctx;
  const s1 = sailings[0]!;
  const originDwell = ctx.first ? s1.departure - ctx.start : r.uniform(4, 30) * H;
  const gateIn = Math.round(s1.departure - originDwell);
  const load1 = Math.round(s1.departure - Math.min(r.uniform(1.5, 8) * H, Math.max(0.5 * H, originDwell - H)));
  const phases: Phase[] = [{ kind: 'yard', from: gateIn, to: load1, port: it.origin, point: yardPoint(r, it.origin) }];
  let discharge = Math.round(s1.arrival + r.uniform(1, 5) * H);
  phases.push({ kind: 'ship', from: load1, to: discharge, sailing: s1 });
  const doorOpen: Array<{ from: number; to: number }> = [];
  // legitimate openings, all inside the port's authorised zone: stuffing check at origin, inspection at the hub, unloading at destination
  if (load1 - gateIn > 3 * H && r.chance(0.6)) {
    const f = gateIn + r.uniform(0.5 * H, load1 - gateIn - 2 * H);
    doorOpen.push({ from: Math.round(f), to: Math.round(f + r.uniform(10, 60) * MIN) });
  }
  if (sailings.length > 1) {
    const s2 = sailings[1]!;
    const load2 = Math.round(Math.max(discharge + H, s2.departure - r.uniform(1.5, 6) * H));
    if (load2 >= s2.departure) return null;
    phases.push({ kind: 'yard', from: discharge, to: load2, port: it.hub!, point: yardPoint(r, it.hub!) });
    if (load2 - discharge > 4 * H && r.chance(0.25)) {
      const f = discharge + r.uniform(H, load2 - discharge - 2 * H);
      doorOpen.push({ from: Math.round(f), to: Math.round(f + r.uniform(15, 45) * MIN) });
    }
    const d2 = Math.round(s2.arrival + r.uniform(1, 5) * H);
    phases.push({ kind: 'ship', from: load2, to: d2, sailing: s2 });
    discharge = d2;
  }
  const endT = Math.round(discharge + r.uniform(4, 18) * H);
  phases.push({ kind: 'yard', from: discharge, to: endT, port: it.destination, point: yardPoint(r, it.destination) });
  if (r.chance(0.7)) {
    const f = discharge + r.uniform(H, 3 * H);
    const to = Math.min(endT - 10 * MIN, f + r.uniform(20, 120) * MIN);
    if (to > f + 5 * MIN) doorOpen.push({ from: Math.round(f), to: Math.round(to) });
  }
  const first = Math.max(ctx.start, gateIn);
  const last = Math.min(endT, ctx.capEnd);
  if (last - first < 2 * H) return null;
  const model = { phases, first, last, doorOpen } as Pick<ContainerModel, 'phases' | 'first' | 'last' | 'doorOpen'>;
  const breach = ctx.kind ? placeBreach(r, ctx, model, sailings) : null;
  if (ctx.kind && !breach) return null;
  if (breach && breach.kind === 'DOOR_OPEN_IN_TRANSIT') doorOpen.push({ from: breach.from, to: breach.to });
  if (breach && breach.kind === 'DOOR_OPEN_UNAUTHORISED_LOCATION') doorOpen.push({ from: breach.openAt, to: breach.to });
  doorOpen.sort((a, b) => a.from - b.from);
  return { phases, first, last, doorOpen, breach };
}

/** Places the container's one breach at a random time where its scenario makes physical sense. */
function placeBreach(r: Rng, ctx: BuildContext, m: Pick<ContainerModel, 'phases' | 'first' | 'last' | 'doorOpen'>, sailings: Sailing[]): Breach | null {
  const dep = sailings[0]!.departure;
  const arr = sailings[sailings.length - 1]!.arrival;
  let lo = Math.max(dep + H, m.first + H);
  let hi = Math.min(m.last - H, arr - 3 * H);
  if (ctx.demo) {
    const ref = Math.max(ctx.start, dep);
    lo = Math.max(lo, ref + 0.5 * H);
    hi = Math.min(hi, ref + 12 * H);
  }
  if (hi - lo < 0.5 * H) return null;
  const view = { ...m, breach: null } as unknown as ContainerModel;
  const portKm = (t: number): number => nearestPortKm(ctx.ports.ports, whereAt(view, t).point).km;
  const underWay = (t: number, minKn: number): boolean => {
    const w = whereAt(view, t);
    if (w.phase.kind !== 'ship' || w.stopped || w.speedKn < minKn) return false;
    const s = w.phase.sailing;
    return s.kind[s.segmentAt(s.at(t).km)] === 'sea';
  };
  switch (ctx.kind) {
    case 'DOOR_OPEN_IN_TRANSIT':
      for (let i = 0; i < 80; i++) {
        const dur = r.uniform(5, 30) * MIN;
        const from = Math.round(r.uniform(lo, hi - dur));
        const to = Math.round(from + dur);
        if (!(to < hi)) continue;
        if ([from - 30 * MIN, from, to].every((t) => underWay(t, 10)) && portKm(from) > 50 && portKm(to) > 50) return { kind: 'DOOR_OPEN_IN_TRANSIT', from, to };
      }
      return null;
    case 'LIGHT_WITH_DOOR_CLOSED':
      for (let i = 0; i < 80; i++) {
        const dur = r.uniform(11, 40) * MIN;
        const from = Math.round(r.uniform(lo, hi - dur));
        const to = Math.round(from + dur);
        if (!(to < hi)) continue;
        if (m.doorOpen.some((o) => o.to > from - 2 * H && o.from < to)) continue;
        if ([from, to].every((t) => underWay(t, 5)) && portKm(from) > 30 && portKm(to) > 30) return { kind: 'LIGHT_WITH_DOOR_CLOSED', from, to };
      }
      return null;
    case 'TEMPERATURE_EXCURSION': {
      if (!ctx.reefer) return null;
      const tol = ctx.reefer.toleranceC;
      const warm = ctx.reefer.setpointC < 0 || r.chance(0.8);
      const peak = (warm ? 1 : -1) * r.uniform(4, 10);
      const c = tol / Math.abs(peak);
      const outDur = r.uniform(1.5, 4) * H;
      let rise = r.uniform(30, 60) * MIN;
      let fall = r.uniform(30, 60) * MIN;
      let plateau = outDur - (rise + fall) * (1 - c);
      if (plateau < 10 * MIN) {
        const k = (outDur - 10 * MIN) / ((rise + fall) * (1 - c));
        rise *= k;
        fall *= k;
        plateau = 10 * MIN;
      }
      const total = rise + plateau + fall;
      if (hi - lo < total) return null;
      const startT = Math.round(r.uniform(lo, hi - total));
      return { kind: 'TEMPERATURE_EXCURSION', start: startT, rise, plateau, fall, peak, from: Math.round(startT + rise * c), to: Math.round(startT + rise + plateau + fall * (1 - c)) };
    }
    case 'LOCATION_JUMP':
      for (let i = 0; i < 80; i++) {
        const dur = Math.min(120 * MIN, Math.max(r.uniform(20, 120) * MIN, 3.3 * ctx.device.gpsEveryMs));
        const from = Math.round(r.uniform(lo, hi - dur));
        const to = Math.round(from + dur);
        if (!(to < hi)) continue;
        if (!underWay(from, 5) || portKm(from) <= 30) continue;
        const here = whereAt(view, from).point;
        for (let k = 0; k < 8; k++) {
          const anchor = destination(here, r.uniform(0, 360), r.uniform(200, 2000));
          if (Math.abs(anchor[1]) > 72) continue;
          return { kind: 'LOCATION_JUMP', from, to, anchor, fakeHeading: r.uniform(0, 360), fakeKn: r.uniform(0, 14) };
        }
      }
      return null;
    case 'DOOR_OPEN_UNAUTHORISED_LOCATION': {
      // the incident is the unplanned call: from = the ship is 3 km from the unplanned quay (slowing to berth), to = door closed again
      const s1 = sailings[0]!;
      const stop = s1.stopWindows[0];
      if (!stop || !ctx.detour) return null;
      const open = r.uniform(10, 60) * MIN;
      const dwell = stop.to - stop.from;
      const openAt = Math.round(stop.from + r.uniform(20 * MIN, Math.min(45 * MIN, dwell - open - 20 * MIN)));
      const to = Math.round(openAt + open);
      if (!(openAt >= stop.from + 20 * MIN) || to > stop.to - 15 * MIN) return null;
      const from = Math.round(s1.timeAtKm(stop.atKm - 3));
      if (from < lo - 0.5 * H || to > (ctx.demo ? hi + 2 * H : m.last - H)) return null;
      return { kind: 'DOOR_OPEN_UNAUTHORISED_LOCATION', from, to, port: ctx.detour, stoppedAt: Math.round(stop.from), openAt };
    }
    default:
      return null;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * The declared itinerary. The ETA is what a planner would compute: the route
 * length at the ship's planned service speed (16-18 kn), canal and river
 * stretches at their limits, harbour approaches, plus port time.
 */
function makePlan(r: Rng, m: ContainerModel, it: Itinerary, sailings: Sailing[]): TripPlan {
  const plannedLeg = (legs: RouteLegs, cruiseKn: number): number => {
    const kn = Math.max(16, Math.min(18, cruiseKn + r.normal(0, 0.25)));
    let hours = 1.5; // leaving and approaching berths
    for (let i = 1; i < legs.path.length; i++) {
      const km = haversineKm(legs.path[i - 1]!, legs.path[i]!);
      const k = legs.kind[i - 1];
      hours += km / KM_PER_NM / (k === 'canal' ? 7 : k === 'river' ? 9.5 : kn);
    }
    return hours * H;
  };
  const last = sailings[sailings.length - 1]!;
  const lastLeg = it.legs[it.legs.length - 1]!;
  const eta = last.departure + plannedLeg(lastLeg, last.cruiseKn) + r.uniform(1, 3) * H;
  const route: Array<[number, number]> = [];
  for (const leg of it.legs) {
    for (const p of leg.path) {
      const q: [number, number] = [round4(p[0]), round4(p[1])];
      const prev = route[route.length - 1];
      if (!prev || prev[0] !== q[0] || prev[1] !== q[1]) route.push(q);
    }
  }
  return {
    tripId: m.tripId,
    containerId: m.containerId,
    deviceId: m.deviceId,
    origin: it.origin.locode,
    destination: it.destination.locode,
    transshipments: it.hub ? [it.hub.locode] : [],
    departure: iso(sailings[0]!.departure),
    eta: iso(Math.round(eta)),
    reefer: m.reefer ? { setpointC: m.reefer.setpointC, toleranceC: m.reefer.toleranceC } : null,
    route,
  } as TripPlan;
}

/** The label of a container's breach, in the device's own clock (what the pipeline sees). */
function makeLabel(m: ContainerModel, readings: readonly TrueReading[]): Label | null {
  const b = m.breach!;
  const skew = m.device.skewMs;
  const csv = m.device.format === 'csv-v1';
  const dev = (tt: number): string => {
    const ms = tt + skew;
    return iso(csv ? Math.floor(ms / 1000) * 1000 : ms);
  };
  let from = b.from;
  let to = b.to;
  if (b.kind === 'LOCATION_JUMP') {
    const spoofed = readings.filter((r) => r.kind === 'gps' && r.spoofed);
    if (spoofed.length === 0) return null;
    from = spoofed[0]!.tt;
    const back = readings.find((r) => r.kind === 'gps' && !r.spoofed && r.tt > from);
    to = back ? back.tt : spoofed[spoofed.length - 1]!.tt;
  }
  if (from < m.first || to > m.last) return null;
  return { containerId: m.containerId, tripId: m.tripId, rule: b.kind, from: dev(from), to: dev(to) };
}
