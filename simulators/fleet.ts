import { makeContainerNumber } from '../src/model/iso6346.js';
import { defaultPorts, type Port, type PortTable } from '../src/geo/ports.js';
import type { TripPlan } from '../src/trips/schema.js';
import { generateReadings, temperatureAt, whereAt, type Breach, type ContainerModel, type DeviceProfile, type Phase, type ScenarioKind, type TrueReading } from './container.js';
import { addFieldFaults, deliverBatches, deliverDevice, gatewayEvents, type GatewayEvent, type SimMessage } from './delivery.js';
import type { WireFormat } from './encoders.js';
import { anchorageWait, planDeviation, planSeaStop, RouteDistance } from './detours.js';
import { alongPath, cumulativeKm, destination, haversineKm, KM_PER_NM, kmFromPolyline, type LonLat } from '../src/geo/distance.js';
import { nearestPortKm, pickItinerary, routeKm, type Itinerary } from './itinerary.js';
import { Rng } from './rng.js';
import { dropZeroLengthSteps, routeLegs, type RouteLegs } from '../src/geo/sea-route.js';
import type { EdgeKind } from '../src/geo/sea-lanes.js';
import { Sailing, type SailingSpec, type StopSpec } from './voyage.js';

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
 * - Ships bound for a port wait at its anchorage (10-40 km off, 2-20 h) on
 *   30 % of sailings: legitimate, so clean containers do it too.
 * - Breaches that change the ship's voyage (an unplanned call, a deviation, a
 *   stop at sea) sail on a ship of their own, which no other container joins.
 * - Labels, in the device's clock (what the pipeline sees):
 *   DOOR_OPEN_IN_TRANSIT     from = door opened at sea, to = door closed;
 *   DOOR_OPEN_UNAUTHORISED_LOCATION an unplanned call where the box is opened
 *                            and partly unloaded for hours (3.5-6 h):
 *                            from = door opened, to = door closed;
 *   RIP_ON_RIP_OFF           an unplanned call where the door is opened for
 *                            10-90 min and closed again: from = door opened,
 *                            to = door closed;
 *                            an unplanned call (3.5-10 h alongside) is also an
 *                            unscheduled stop: both call kinds carry a second
 *                            label UNSCHEDULED_STOP, from = alongside, to = leaving;
 *   LIGHT_WITH_DOOR_CLOSED   from = first lit reading, to = first dark reading after;
 *   TEMPERATURE_EXCURSION    from = leaves setpoint +/- tolerance, to = back inside;
 *   LOCATION_JUMP            from = first spoofed fix, to = first true fix after;
 *   ROUTE_DEVIATION          from = first fix more than 100 km off the planned
 *                            route, to = first fix back within 70 km;
 *   UNSCHEDULED_STOP         a stop at sea or off a coast, 3.5-10 h, more than
 *                            60 km from every planned port: from = stopped
 *                            (under 1 kn), to = under way again;
 *   LOCATION_GAP             GNSS jammed or shielded (no fix for 2.5-8 h, the
 *                            rest goes on) or the device silenced (nothing for
 *                            4.5-10 h at sea): from = last fix before, to = first fix after;
 *   TEMPERATURE_ANOMALY      reefer: 1.5-1.9 °C off its setpoint, inside its band,
 *                            for 1.5-5 h; dry box: 10-20 °C over its own range of
 *                            the previous day for 2-6 h: from = start, to = back to normal.
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

export const SCENARIO_KINDS: readonly ScenarioKind[] = [
  'DOOR_OPEN_IN_TRANSIT',
  'DOOR_OPEN_UNAUTHORISED_LOCATION',
  'LIGHT_WITH_DOOR_CLOSED',
  'TEMPERATURE_EXCURSION',
  'LOCATION_JUMP',
  'ROUTE_DEVIATION',
  'UNSCHEDULED_STOP',
  'RIP_ON_RIP_OFF',
  'LOCATION_GAP',
  'TEMPERATURE_ANOMALY',
];

/** Breaches that change the ship's voyage: the container sails on a ship of its own. */
const OWN_SHIP: ReadonlySet<ScenarioKind | null> = new Set<ScenarioKind | null>(['DOOR_OPEN_UNAUTHORISED_LOCATION', 'RIP_ON_RIP_OFF', 'ROUTE_DEVIATION', 'UNSCHEDULED_STOP']);

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
  // an excursion needs a reefer; anomalies are half reefers, half dry boxes; the rest of the fleet is 25 % reefers
  const boxOf = new Map<number, boolean>();
  for (const [i, k] of [...kindOf.entries()].sort((a, b) => a[0] - b[0])) {
    if (k === 'TEMPERATURE_EXCURSION') boxOf.set(i, true);
    // (the demo has no day of history before its first hours: a reefer's half day has to do)
    else if (k === 'TEMPERATURE_ANOMALY') boxOf.set(i, demo || plan.chance(0.5));
  }
  const forcedReefers = [...boxOf.values()].filter((x) => x).length;
  const reeferP = n > boxOf.size ? Math.max(0, Math.min(1, (0.25 * n - forcedReefers) / (n - boxOf.size))) : 0;

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
    const reefer = (boxOf.has(i) ? boxOf.get(i)! : c.chance(reeferP)) ? { setpointC: c.pick([-18, 2, 5]), toleranceC: 2 } : null;
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
      const join = !OWN_SHIP.has(kind) && attempt < 3 && candidates.length > 0 && a.chance(0.45) ? a.pick(candidates) : null;
      let itinerary: Itinerary;
      let sailings: Sailing[];
      let special: Special | null = null;
      if (join) {
        itinerary = join.itinerary;
        sailings = join.sailings;
      } else {
        itinerary = pickItinerary(a, ports, { transshipShare: 0.3 });
        const made = makeSailings(a, itinerary, { start, capEnd, demo, kind, newGateway, nextId: () => `S${++sailingSeq}`, ports });
        if (!made) continue;
        sailings = made.sailings;
        special = made.special;
      }
      const b = buildContainer(a, { itinerary, sailings, start, capEnd, demo, kind, device, reefer, special, ports, first: i === 0 && !demo });
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
        const b = buildContainer(a, { itinerary, sailings: made.sailings, start, capEnd, demo, kind: null, device, reefer, special: null, ports, first: i === 0 && !demo });
        if (b) built = { ...b, itinerary, sailings: made.sailings, join: null };
      }
      if (!built) throw new RangeError(`container ${i}: no voyage fits in the simulated window (voyageHours ${opts.voyageHours}); allow at least a few hours`);
    }
    if (built.join) built.join.members++;
    else if (!OWN_SHIP.has(kind)) joinable.push({ itinerary: built.itinerary, sailings: built.sailings, members: 1 });

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
    if (m.breach && m.breach.kind === 'TEMPERATURE_ANOMALY' && m.breach.variant === 'dry') settleDryAnomaly(m, m.breach);
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
    if (!m.breach) cleanContainers.push(m.containerId);
    else labels.push(...makeLabels(m, readings));
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

/** What a breach that changes the voyage did to the first ship's passage. */
type Special = { kind: 'call'; port: Port } | { kind: 'deviation'; offKm: number; leaveKm: number; rejoinKm: number; route: LonLat[] } | { kind: 'seaStop'; point: LonLat; anchored: boolean };

/**
 * The ships of an itinerary: leg 1 departs in the next few days (demo: is
 * already at sea or about to sail); leg 2 leaves the hub 10-40 h after leg 1
 * arrives. 30 % of sailings wait at the anchorage of the port they are bound
 * for. A container whose breach changes the voyage sails on its own ship:
 * an unplanned call at a port that is not in the plan
 * (DOOR_OPEN_UNAUTHORISED_LOCATION, RIP_ON_RIP_OFF), a deviation far off the
 * planned route (ROUTE_DEVIATION), or a stop at sea (UNSCHEDULED_STOP).
 */
function makeSailings(r: Rng, it: Itinerary, ctx: SailingContext): { sailings: Sailing[]; special: Special | null } | null {
  const leg1 = it.legs[0]!;
  const cruise1 = r.uniform(15.5, 18.5);
  const km1 = routeKm(leg1);
  let dep1: number;
  if (ctx.demo) {
    const transitMs = (km1 / (cruise1 * KM_PER_NM)) * H;
    dep1 = r.chance(0.7) ? ctx.start - r.uniform(0.5 * H, Math.max(H, 0.6 * transitMs)) : ctx.start + r.uniform(0.3 * H, 1.5 * H);
  } else dep1 = ctx.start + r.uniform(3 * H, Math.max(3.5 * H, Math.min(60 * H, 0.3 * (ctx.capEnd - ctx.start))));
  dep1 = Math.round(dep1);
  const arrival1 = it.hub ?? it.destination;
  // the anchorage wait is drawn from its own stream, so it is the same whatever else the ship does
  const wait = (legs: RouteLegs, port: Port, label: string): StopSpec[] => {
    const w = r.fork(`wait:${label}`);
    if (!w.chance(0.3)) return [];
    const stop = anchorageWait(w, legs, port);
    return stop ? [stop] : [];
  };
  let special: Special | null = null;
  let spec: SailingSpec = { id: '', gatewayId: '', path: leg1.path, kind: leg1.kind, departure: dep1, cruiseKn: cruise1 };
  if (OWN_SHIP.has(ctx.kind)) {
    const plain = new Sailing({ id: 'probe', gatewayId: 'probe', path: leg1.path, kind: leg1.kind, departure: dep1, cruiseKn: cruise1 }, r.fork('probe'));
    const ref = Math.max(ctx.start, dep1);
    const from = ctx.demo ? ref + 0.5 * H : dep1 + 2 * H;
    // leave room after the event for it to end before the simulated window does
    const to = ctx.demo ? ref + 8 * H : Math.min(plain.arrival - 12 * H, ctx.capEnd - (ctx.kind === 'ROUTE_DEVIATION' ? 36 : 16) * H);
    const planned = [it.origin, it.destination, ...(it.hub ? [it.hub] : [])];
    if (ctx.kind === 'ROUTE_DEVIATION') {
      const route = it.legs.flatMap((l) => l.path);
      const d = planDeviation(r, route, leg1, plain, from, to, planned);
      if (!d) return null;
      special = { kind: 'deviation', offKm: d.offKm, leaveKm: d.leaveKm, rejoinKm: d.rejoinKm, route };
      spec = { ...spec, path: d.path, kind: d.kind, stops: d.rendezvous ? [d.rendezvous] : [] };
    } else if (ctx.kind === 'UNSCHEDULED_STOP') {
      const st = planSeaStop(r, leg1, plain, from, to, planned, ctx.ports.ports);
      if (!st) return null;
      special = { kind: 'seaStop', point: st.point, anchored: st.anchored };
      spec = { ...spec, stops: [st.stop] };
    } else {
      const d = planDetour(r, it, leg1, plain, from, to, ctx.ports);
      if (!d) return null;
      special = { kind: 'call', port: d.port };
      // even a short call takes hours: pilot, tugs, mooring, a few crane moves, unmooring
      const dwellMs = (ctx.kind === 'RIP_ON_RIP_OFF' ? r.uniform(3.5, 8) : r.uniform(5.5, 10)) * H;
      spec = { ...spec, path: d.path, kind: d.kind, stops: [{ atKm: d.stopKm, dwellMs, profile: 'berth', tag: 'call' }] };
    }
  }
  const legs1: RouteLegs = { path: spec.path, kind: spec.kind };
  const s1 = new Sailing({ ...spec, id: ctx.nextId(), gatewayId: ctx.newGateway(r), stops: [...(spec.stops ?? []), ...wait(legs1, arrival1, 's1')] }, r.fork('s1'));
  const sailings = [s1];
  if (it.legs.length > 1) {
    const leg2 = it.legs[1]!;
    const dep2 = Math.round(s1.arrival + r.uniform(10 * H, 40 * H));
    sailings.push(new Sailing({ id: ctx.nextId(), gatewayId: ctx.newGateway(r), path: leg2.path, kind: leg2.kind, departure: dep2, cruiseKn: r.uniform(15.5, 18.5), stops: wait(leg2, it.destination, 's2') }, r.fork('s2')));
  }
  return { sailings, special };
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
  const { path: p2, kind: k2 } = dropZeroLengthSteps(path, kind);
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
  special: Special | null;
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
  if (breach && (breach.kind === 'DOOR_OPEN_UNAUTHORISED_LOCATION' || breach.kind === 'RIP_ON_RIP_OFF')) doorOpen.push({ from: breach.from, to: breach.to });
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
    case 'DOOR_OPEN_UNAUTHORISED_LOCATION':
    case 'RIP_ON_RIP_OFF': {
      // the unplanned call: berthed at a port the plan does not name; the door opens once the box can be reached
      const stop = sailings[0]!.stopWindows.find((w) => w.tag === 'call');
      if (!stop || ctx.special?.kind !== 'call') return null;
      const openAt = Math.round(stop.from + r.uniform(20, 60) * MIN);
      const room = stop.to - 20 * MIN - openAt;
      // rip-on/rip-off: a bag put in or taken out, minutes; the other: part of the cargo unloaded by hand, hours
      const open = ctx.kind === 'RIP_ON_RIP_OFF' ? r.uniform(10, 90) * MIN : r.uniform(3.5 * H, Math.max(3.5 * H, Math.min(6 * H, room)));
      const closeAt = Math.round(openAt + open);
      if (closeAt > stop.to - 20 * MIN) return null;
      if (stop.from < lo - 0.5 * H || stop.to > m.last - 0.5 * H || (ctx.demo && openAt > hi)) return null;
      return { kind: ctx.kind, from: openAt, to: closeAt, port: ctx.special.port, stoppedAt: Math.round(stop.from), leftAt: Math.round(stop.to) };
    }
    case 'UNSCHEDULED_STOP': {
      const stop = sailings[0]!.stopWindows.find((w) => w.tag === 'unscheduled');
      if (!stop || ctx.special?.kind !== 'seaStop') return null;
      if (stop.from < lo - 0.5 * H || stop.to > m.last - 0.5 * H || (ctx.demo && stop.from > hi)) return null;
      return { kind: 'UNSCHEDULED_STOP', from: Math.round(stop.from), to: Math.round(stop.to), point: ctx.special.point, anchored: ctx.special.anchored };
    }
    case 'ROUTE_DEVIATION': {
      if (ctx.special?.kind !== 'deviation') return null;
      const s1 = sailings[0]!;
      const left = Math.round(s1.timeAtKm(ctx.special.leaveKm));
      const back = Math.round(s1.timeAtKm(ctx.special.rejoinKm));
      if (left < lo - 0.5 * H || back > m.last - H || (ctx.demo && left > hi)) return null;
      // from and to are refined on the fixes when labelling (first fix > 100 km off, first fix back within 70 km)
      return { kind: 'ROUTE_DEVIATION', from: left, to: back, route: ctx.special.route, offKm: ctx.special.offKm };
    }
    case 'LOCATION_GAP': {
      const silenced = r.chance(0.5);
      const end = ctx.demo ? hi + 8 * H : hi;
      for (let i = 0; i < 80; i++) {
        const len = (silenced ? r.uniform(4.5, 10) : r.uniform(2.5, 8)) * H;
        const from = Math.round(r.uniform(lo, Math.min(hi, end - len)));
        const to = Math.round(from + len);
        if (!(to <= end) || from < lo) continue;
        // a door opening inside the gap would be another story (an opening with no position)
        if (m.doorOpen.some((o) => o.to > from - 30 * MIN && o.from < to + 30 * MIN)) continue;
        // silenced mid-voyage at sea: under way far from ports when it goes quiet and when it comes back
        if (silenced && !(underWay(from, 5) && portKm(from) > 50 && underWay(to, 5) && portKm(to) > 20)) continue;
        return { kind: 'LOCATION_GAP', variant: silenced ? 'silenced' : 'jammed', from, to };
      }
      return null;
    }
    case 'TEMPERATURE_ANOMALY': {
      // unlike its own history: a reefer has been reporting for half a day at least, a dry box for a day (its daily cycle)
      // (the demo shows every rule at work: there the history is the voyage's own, the readings the engine judges by)
      const from0 = Math.max(lo, (ctx.demo ? Math.max(m.first, dep) : m.first) + (ctx.reefer ? 12 : 24) * H);
      // the latest start that still ends in time (the demo: as soon as there is history)
      const latest = (total: number): number => (ctx.demo ? Math.min(from0 + 1.5 * H, m.last - 0.5 * H - total) : hi - total);
      if (ctx.reefer) {
        // the air settles at the new level in 10-25 min (the unit's control loop), stays there 1.5-5 h, and comes back
        const hold = r.uniform(1.5, 5) * H;
        const rise = r.uniform(10, 25) * MIN;
        const fall = r.uniform(10, 30) * MIN;
        const total = rise + hold + fall;
        // frozen cargo is only ever warmed; a chilled box may be pushed either way
        const warm = ctx.reefer.setpointC < 0 || r.chance(0.75);
        const deltaC = (warm ? 1 : -1) * r.uniform(1.5, 1.9);
        if (latest(total) < from0) return null;
        const start = Math.round(r.uniform(from0, latest(total)));
        return { kind: 'TEMPERATURE_ANOMALY', variant: 'reefer', start, rise, hold, fall, deltaC, aboveRangeC: 0, from: start, to: Math.round(start + total) };
      }
      const hold = r.uniform(2, 6) * H;
      const rise = r.uniform(5, 15) * MIN;
      const fall = r.uniform(15, 40) * MIN;
      const total = hold + 3 * fall;
      if (latest(total) < from0) return null;
      const start = Math.round(r.uniform(from0, latest(total)));
      return { kind: 'TEMPERATURE_ANOMALY', variant: 'dry', start, rise, hold, fall, deltaC: NaN, aboveRangeC: r.uniform(10, 20), from: start, to: Math.round(start + total) };
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

/** The labels of a container's breach, in the device's own clock (what the pipeline sees); none when the breach fell outside the reporting window. */
function makeLabels(m: ContainerModel, readings: readonly TrueReading[]): Label[] {
  const b = m.breach!;
  const skew = m.device.skewMs;
  const csv = m.device.format === 'csv-v1';
  const dev = (tt: number): string => {
    const ms = tt + skew;
    return iso(csv ? Math.floor(ms / 1000) * 1000 : ms);
  };
  const fixes = readings.filter((r): r is Extract<TrueReading, { kind: 'gps' }> => r.kind === 'gps');
  let from = b.from;
  let to = b.to;
  if (b.kind === 'LOCATION_JUMP') {
    const spoofed = fixes.filter((r) => r.spoofed);
    if (spoofed.length === 0) return [];
    from = spoofed[0]!.tt;
    const back = fixes.find((r) => !r.spoofed && r.tt > from);
    to = back ? back.tt : spoofed[spoofed.length - 1]!.tt;
  } else if (b.kind === 'ROUTE_DEVIATION') {
    // what the fixes show: the first one more than 100 km off the planned route, the first one back within 70 km
    const route = new RouteDistance(b.route);
    const during = fixes.filter((r) => r.tt >= b.from - H && r.tt <= b.to + H);
    const out = during.find((r) => route.km([r.lon, r.lat]) > 100);
    if (!out) return [];
    const back = during.find((r) => r.tt > out.tt && route.km([r.lon, r.lat]) <= 70);
    if (!back) return [];
    from = out.tt;
    to = back.tt;
  } else if (b.kind === 'LOCATION_GAP') {
    const before = fixes.filter((r) => r.tt < b.from);
    const after = fixes.find((r) => r.tt >= b.to);
    if (before.length === 0 || !after) return [];
    from = before[before.length - 1]!.tt;
    to = after.tt;
  }
  const out: Label[] = [];
  const add = (rule: ScenarioKind, f: number, t: number): boolean => {
    if (f < m.first || t > m.last) return false;
    out.push({ containerId: m.containerId, tripId: m.tripId, rule, from: dev(f), to: dev(t) });
    return true;
  };
  if (!add(b.kind, from, to)) return [];
  // an unplanned call of hours is also an unscheduled stop, from berthed to leaving
  if (b.kind === 'DOOR_OPEN_UNAUTHORISED_LOCATION' || b.kind === 'RIP_ON_RIP_OFF') add('UNSCHEDULED_STOP', b.stoppedAt, b.leftAt);
  return out;
}

/** A dry box's heat source: where its air ends up, aboveRangeC over the highest the box read in the previous day. */
function settleDryAnomaly(m: ContainerModel, b: Extract<Breach, { kind: 'TEMPERATURE_ANOMALY' }>): void {
  const calm: ContainerModel = { ...m, breach: null };
  let top = -Infinity;
  for (let t = Math.max(m.first, b.start - 24 * H); t <= b.start; t += 10 * MIN) top = Math.max(top, temperatureAt(calm, t, whereAt(calm, t)));
  b.deltaC = top + b.aboveRangeC - temperatureAt(calm, b.start, whereAt(calm, b.start));
}
