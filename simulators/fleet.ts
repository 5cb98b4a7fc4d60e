import { makeContainerNumber } from '../src/model/iso6346.js';
import { defaultPorts, type Port, type PortTable } from '../src/geo/ports.js';
import type { TripPlan } from '../src/trips/schema.js';
import { phaseAt, temperatureAt, whereAt, type Breach, type ContainerModel, type DeviceProfile, type Phase, type ScenarioKind, type TrueReading } from './container.js';
import { drawDefrosts, drawField } from './field.js';
import { generateReadings } from './readings.js';
import { drawDevice } from './vendors.js';
import { addFieldFaults, deliverBatches, deliverDevice, gatewayEvents, type GatewayEvent, type SimMessage } from './delivery.js';
import { anchorageWait } from './anchorages.js';
import { planWeatherDetour, seaWait } from './detours.js';
import { destination, haversineKm, KM_PER_NM, type LonLat } from '../src/geo/distance.js';
import { nearestPortKm, pickItinerary, routeKm, type Itinerary } from './itinerary.js';
import { Rng } from './rng.js';
import type { RouteLegs } from '../src/geo/sea-route.js';
import type { EdgeKind } from '../src/geo/sea-lanes.js';
import { Sailing, type SailingSpec, type StopSpec } from './voyage.js';
import { ownShip, SCENARIOS, type PlaceContext, type Special } from './scenarios/index.js';
import type { Draft } from './scenarios/scenario.js';

export type { ScenarioKind } from './container.js';
export type { SimMessage } from './delivery.js';

/*
 * The fleet model, in short (details beside the code that does it):
 *
 * - Itineraries follow weighted trade lanes between regions of the port
 *   table (itinerary.ts), 30 % via a transshipment hub; routes come from the
 *   sea-lane network (src/geo/sea-route.ts). Containers join earlier containers' ships
 *   (up to 8 per ship), so batch-v1 devices on one ship share its VSL gateway;
 *   in terminal yards they report through a `TRM-{locode}` gateway.
 * - Timeline per container: origin yard (4-30 h) -> ship -> [hub yard, next
 *   ship] -> destination yard (4-18 h), then the device stops. Ships: 14-20 kn
 *   at sea, 2-8 kn within 10 km of a berth, canals 6-8 kn (voyage.ts).
 * - The field's normal behaviour, on clean and breached containers alike:
 *   ships bound for a port wait at its anchorage on 30 % of sailings (5-20 km
 *   off, or a river port's charted anchorage; 2-20 h: anchorages.ts), keep
 *   15-30 km off the track for 3-10 h on 30 % (weather, traffic) and stop
 *   their engine at sea for 30-70 min on 20 % (detours.ts); reefers defrost
 *   every 6-12 h, vents leak single-digit lux by day, GNSS drops out below
 *   deck (up to 2 h) and multipath pulls fixes hundreds of metres off in
 *   port (field.ts, readings.ts); five vendors with their own fix intervals
 *   (5-120 min), fields, light and clock habits and retries (vendors.ts);
 *   links go down for 5-75 min or, out of coverage, 1-5 h, and the backlog
 *   arrives when they are back (delivery.ts).
 * - Breaches that change the ship's voyage (an unplanned call, a deviation, a
 *   stop at sea) sail on a ship of their own, which no other container joins.
 * - Each breach kind is one file under scenarios/, named like its rule in
 *   src/rules/ (where it is placed, how its label is read off the fixes);
 *   scenarios/index.ts's table is what this file uses.
 * - Labels, in the device's clock (what the pipeline sees):
 *   DOOR_OPEN_IN_TRANSIT     from = door opened at sea, to = door closed;
 *   DOOR_OPEN_UNAUTHORISED_LOCATION a door opened while stationary outside every
 *                            authorised zone: at an unplanned call where the box
 *                            is opened and partly unloaded for hours (3.5-6 h),
 *                            or at a stop off a planned port (25-70 km) or at sea
 *                            where a boat comes alongside (open 30 min-3 h):
 *                            from = door opened, to = door closed;
 *   RIP_ON_RIP_OFF           an unplanned call where the door is opened for
 *                            10-90 min and closed again: from = door opened,
 *                            to = door closed;
 *                            the call (4.5-10 h alongside) or the stop is also an
 *                            unscheduled stop: both door kinds carry a second
 *                            label UNSCHEDULED_STOP, from = stopped, to = leaving;
 *   LIGHT_WITH_DOOR_CLOSED   from = first lit reading, to = first dark reading after;
 *   TEMPERATURE_EXCURSION    from = leaves setpoint +/- tolerance, to = back inside;
 *   LOCATION_JUMP            from = first spoofed fix, to = first true fix after;
 *   ROUTE_DEVIATION          from = first fix more than 100 km off the planned
 *                            route, to = first fix back within 70 km;
 *   UNSCHEDULED_STOP         a stop at sea or off a coast, 4.5-12 h, more than
 *                            60 km from every planned port, or at an unofficial
 *                            anchorage 25-70 km off a planned port, 8-15 h (never
 *                            at a charted anchorage or waiting area): from =
 *                            stopped (under 1 kn), to = under way again;
 *   LOCATION_GAP             GNSS jammed or shielded (no fix for 6-12 h, the
 *                            rest goes on) or the device silenced (nothing for
 *                            4.5-10 h at sea): from = last fix before, to = first fix after;
 *   TEMPERATURE_ANOMALY      reefer: 1.5-1.9 C off its setpoint, inside its band,
 *                            for 1.5-5 h, or erratic control: every reading
 *                            1.5-2.5 C off the setpoint either way for 6-14 h, the
 *                            mean in the band; dry box: 10-20 C over its own range
 *                            of the previous day for 2-6 h: from = start, to = back
 *                            to normal. Three in ten within the first day the
 *                            device reports (a short history).
 * - Any breach may fall on a sparse tracker (a fix every 1-2 h); two in ten
 *   happen while the link is down (a store-and-forward gap of 1.5-5 h from up
 *   to an hour before), so their readings arrive late, in a backlog.
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

const H = 3_600_000;
const MIN = 60_000;

const OWNER_PREFIXES = [
  'MSCU',
  'MEDU',
  'MAEU',
  'MRKU',
  'MSKU',
  'CMAU',
  'CGMU',
  'HLXU',
  'HLBU',
  'TGHU',
  'TCNU',
  'TRLU',
  'CSNU',
  'OOLU',
  'EGHU',
  'EISU',
  'ONEU',
  'YMLU',
  'HDMU',
  'ZIMU',
  'SEGU',
  'FCIU',
  'BMOU',
  'GESU',
  'CAIU',
  'TEMU',
  'DFSU',
  'BEAU',
];
const REEFER_PREFIXES = ['MNBU', 'SZLU', 'CXRU', 'TRIU', 'MWCU', 'CGMU', 'HLXU', 'OOLU'];

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
    const { vendor, ...device } = drawDevice(c.fork('device'), faults);
    const deviceId = `${vendor}-${String((deviceBase + i) % 100_000).padStart(5, '0')}`;
    const tripId = `T-${year}-${String((tripBase + i) % 1_000_000).padStart(6, '0')}`;

    let built: Built | null = null;
    for (let attempt = 0; attempt < 40 && !built; attempt++) {
      const a = c.fork(`attempt:${attempt}`);
      const candidates = joinable.filter((j) => j.members < 8);
      const join = !ownShip(kind) && attempt < 3 && candidates.length > 0 && a.chance(0.45) ? a.pick(candidates) : null;
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
    else if (!ownShip(kind)) joinable.push({ itinerary: built.itinerary, sailings: built.sailings, members: 1 });

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
      field: drawField(c.fork('field'), built.first, built.last),
      backlog: faults ? drawBreachBacklog(c.fork('backlog'), built.breach, built.first, built.last) : null,
    };
    if (m.breach && m.breach.kind === 'TEMPERATURE_ANOMALY' && m.breach.variant === 'dry') settleDryAnomaly(m, m.breach);
    models.push(m);
    trips.push(makePlan(c.fork('plan'), m, built.itinerary, built.sailings));
  }

  // measurements, then messages
  const messages: SimMessage[] = [];
  const gw: GatewayEvent[] = [];
  const forcedGatewayGaps = new Map<string, Array<{ from: number; to: number }>>();
  const gatewayWindows = new Map<string, { from: number; to: number }>();
  const labels: Label[] = [];
  const cleanContainers: string[] = [];
  for (const m of models) {
    const readings = generateReadings(m, root.fork(`readings:${m.index}`));
    const d = root.fork(`delivery:${m.index}`);
    if (m.device.format === 'batch-v1') {
      gatewayEvents(m, readings, gw);
      if (m.backlog) {
        // the link down is the gateway's (the ship's or the terminal's): every box reporting through it waits too
        const ph = phaseAt(m, m.backlog.from);
        const id = ph.kind === 'ship' ? ph.sailing.gatewayId : `TRM-${ph.port.locode}`;
        forcedGatewayGaps.set(id, [...(forcedGatewayGaps.get(id) ?? []), m.backlog]);
      }
    } else deliverDevice(m, readings, { topicRoot, faults }, d, messages);
    for (const ph of m.phases) {
      if (ph.kind !== 'ship') continue;
      const w = gatewayWindows.get(ph.sailing.gatewayId);
      if (!w) gatewayWindows.set(ph.sailing.gatewayId, { from: ph.sailing.departure, to: ph.sailing.arrival });
    }
    if (!m.breach) cleanContainers.push(m.containerId);
    else labels.push(...makeLabels(m, readings));
  }
  deliverBatches(gw, gatewayWindows, { topicRoot, faults }, root.fork('gateways'), messages, forcedGatewayGaps);
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

/**
 * Two breaches in ten (not a silenced device: it measures nothing to hold back) happen while the link is down:
 * a store-and-forward gap from up to an hour before the breach, 1.5-5 h long, so its readings arrive late, in a backlog.
 */
function drawBreachBacklog(r: Rng, b: Breach | null, first: number, last: number): { from: number; to: number } | null {
  if (!b || (b.kind === 'LOCATION_GAP' && b.variant === 'silenced') || !r.chance(0.2)) return null;
  const from = Math.round(Math.max(first + 10 * MIN, b.from - r.uniform(0, H)));
  const to = Math.round(Math.min(last - 10 * MIN, from + r.uniform(1.5, 5) * H));
  return to - from >= 30 * MIN ? { from, to } : null;
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
 * arrives. Sailings detour, wait at anchor and stop at sea as ships do
 * (fieldVoyage). A container whose breach changes the voyage sails on its own ship:
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
  // the field's normal ways of sailing, each drawn from its own stream so it is the same whatever else the ship does:
  // 30 % of sailings keep 15-30 km off the track for hours (weather, traffic), 30 % wait at their port's anchorage,
  // 20 % stop their engine at sea for 30-70 min
  const fieldVoyage = (legs: RouteLegs, port: Port, label: string, stops: StopSpec[], detour: boolean): { path: LonLat[]; kind: EdgeKind[]; stops: StopSpec[] } => {
    const f = r.fork(`field:${label}`);
    let path = legs.path;
    let kind = legs.kind;
    if (detour && f.chance(0.3)) {
      const d = planWeatherDetour(f.fork('detour'), legs);
      if (d) ({ path, kind } = d);
    }
    const all = [...stops];
    const w = r.fork(`wait:${label}`);
    if (w.chance(0.3)) {
      const a = anchorageWait(
        w,
        { path, kind },
        port,
        stops.reduce((x, s) => Math.max(x, s.atKm), 0),
      );
      if (a) {
        ({ path, kind } = a);
        all.push(a.stop);
      }
    }
    if (f.chance(0.2)) {
      const s = seaWait(f.fork('drift'), { path, kind }, all);
      if (s) all.push(s);
    }
    return { path, kind, stops: all };
  };
  let special: Special | null = null;
  let spec: SailingSpec = { id: '', gatewayId: '', path: leg1.path, kind: leg1.kind, departure: dep1, cruiseKn: cruise1 };
  if (ownShip(ctx.kind)) {
    const plain = new Sailing({ id: 'probe', gatewayId: 'probe', path: leg1.path, kind: leg1.kind, departure: dep1, cruiseKn: cruise1 }, r.fork('probe'));
    const ref = Math.max(ctx.start, dep1);
    const from = ctx.demo ? ref + 0.5 * H : dep1 + 2 * H;
    // leave room after the event for it to end before the simulated window does
    const to = ctx.demo ? ref + 8 * H : Math.min(plain.arrival - 12 * H, ctx.capEnd - 16 * H);
    const planned = [it.origin, it.destination, ...(it.hub ? [it.hub] : [])];
    const change = SCENARIOS[ctx.kind!].sail!(r, { it, leg1, plain, from, to, demo: ctx.demo, capEnd: ctx.capEnd, planned, ports: ctx.ports });
    if (!change) return null;
    special = change.special;
    spec = { ...spec, path: change.path ?? spec.path, kind: change.kind ?? spec.kind, stops: change.stops };
  }
  const legs1: RouteLegs = { path: spec.path, kind: spec.kind };
  const s1 = new Sailing({ ...spec, ...fieldVoyage(legs1, arrival1, 's1', spec.stops ?? [], !ownShip(ctx.kind)), id: ctx.nextId(), gatewayId: ctx.newGateway(r) }, r.fork('s1'));
  const sailings = [s1];
  if (it.legs.length > 1) {
    const leg2 = it.legs[1]!;
    const dep2 = Math.round(s1.arrival + r.uniform(10 * H, 40 * H));
    sailings.push(new Sailing({ id: ctx.nextId(), gatewayId: ctx.newGateway(r), departure: dep2, cruiseKn: r.uniform(15.5, 18.5), ...fieldVoyage(leg2, it.destination, 's2', [], true) }, r.fork('s2')));
  }
  return { sailings, special };
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

/** Places the container's one breach at a random time where its scenario makes physical sense (simulators/scenarios/). */
function placeBreach(r: Rng, ctx: BuildContext, m: Draft, sailings: Sailing[]): Breach | null {
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
  const place: PlaceContext = { m, sailings, device: ctx.device, reefer: ctx.reefer, special: ctx.special, demo: ctx.demo, start: ctx.start, dep, lo, hi, portKm, underWay, view };
  return ctx.kind ? SCENARIOS[ctx.kind].place(r, place) : null;
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
  const scenario = SCENARIOS[b.kind];
  const span = scenario.span ? scenario.span(b, fixes) : { from: b.from, to: b.to };
  if (!span) return [];
  const out: Label[] = [];
  const add = (rule: ScenarioKind, f: number, t: number): boolean => {
    if (f < m.first || t > m.last) return false;
    out.push({ containerId: m.containerId, tripId: m.tripId, rule, from: dev(f), to: dev(t) });
    return true;
  };
  if (!add(b.kind, span.from, span.to)) return [];
  for (const extra of scenario.alsoLabels?.(b) ?? []) add(extra.rule, extra.from, extra.to);
  return out;
}

/** A dry box's heat source: where its air ends up, aboveRangeC over the highest the box read in the previous day. */
function settleDryAnomaly(m: ContainerModel, b: Extract<Breach, { kind: 'TEMPERATURE_ANOMALY' }>): void {
  const calm: ContainerModel = { ...m, breach: null };
  let top = -Infinity;
  for (let t = Math.max(m.first, b.start - 24 * H); t <= b.start; t += 10 * MIN) top = Math.max(top, temperatureAt(calm, t, whereAt(calm, t)));
  b.deltaC = top + b.aboveRangeC - temperatureAt(calm, b.start, whereAt(calm, b.start));
}
