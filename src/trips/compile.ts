import { booleanPointInPolygon, pointToLineDistance, polygon as turfPolygon, lineString, polygonToLine } from '@turf/turf';
import type { Feature, LineString, Polygon } from 'geojson';
import type { PortTable } from '../geo/ports.js';
import type { TripPlan } from './schema.js';
import { greatCircleKm } from '../geo/distance.js';
import { type PointIndex, trackIndex } from '../geo/point-index.js';

export interface CompiledZone {
  name: string;
  locode: string | null;
  /** circle: centre and radius; polygon: the shape and its outline. */
  center: [number, number] | null;
  radiusKm: number;
  polygon: Feature<Polygon> | null;
  outline: Feature<LineString> | null;
  /**
   * Polygon: a circle (the vertices' mean and the farthest vertex from it)
   * holding the whole shape, so a point far from it is known to be farther
   * than a nearer zone without measuring to every edge.
   */
  bound?: { lat: number; lon: number; km: number };
}

/** An authorised zone drawn as a polygon (a closed ring of [lon, lat]). */
export function polygonZone(name: string, ring: Array<[number, number]>): CompiledZone {
  const poly = turfPolygon([ring]);
  return { name, locode: null, center: null, radiusKm: 0, polygon: poly, outline: polygonToLine(poly) as Feature<LineString>, bound: boundOf(ring) };
}

/** The circle round a polygon's vertices (a zone is far smaller than a hemisphere, so its edges stay inside too). */
function boundOf(ring: ReadonlyArray<readonly number[]>): { lat: number; lon: number; km: number } {
  let lat = 0;
  let lon = 0;
  for (const [x, y] of ring) {
    lon += x!;
    lat += y!;
  }
  lat /= ring.length;
  lon /= ring.length;
  let km = 0;
  for (const [x, y] of ring) km = Math.max(km, greatCircleKm(lat, lon, y!, x!));
  return { lat, lon, km };
}

export interface CompiledPlan {
  plan: TripPlan;
  tripId: string;
  departure: number;
  eta: number;
  /** The plan stops being active here at the latest (eta + grace). */
  activeUntil: number;
  zones: CompiledZone[];
  destinationZones: CompiledZone[];
  /** Named ports of the plan, for summaries. */
  plannedLocodes: string[];
  /** Planned ports' positions (known ones). */
  plannedPorts: Array<{ locode: string; name: string; lat: number; lon: number }>;
  /** The planned track: the plan's route, else one computed between its ports, else null. */
  route: Feature<LineString> | null;
  /** The planned track indexed for distance queries. */
  routeIndex: PointIndex | null;
  /** UN/LOCODEs the plan names that the port table lacks (no default zone, no routing for them). */
  unknownPorts: string[];
}

/** Computes a sea route ([lon, lat] waypoints) through the given ports (origin, transshipments, destination). */
export type SeaRouter = (ports: Array<{ locode: string; lat: number; lon: number }>) => Array<[number, number]> | null;

export interface PlanOptions {
  defaultZoneRadiusKm: number;
  activeAfterEtaMs: number;
}

/** What a plan compiles to besides its times: the same for every plan with the same ports, zones and route. */
type PlanGeometry = Pick<CompiledPlan, 'zones' | 'destinationZones' | 'plannedLocodes' | 'plannedPorts' | 'route' | 'routeIndex' | 'unknownPorts'>;

/**
 * Compiled geometry shared by plans that name the same ports, zones and route
 * (a ship's containers, a service's sailings): one copy of the zones, planned
 * ports, routed track and its index instead of one per container's trip. Keyed
 * by port table and router; bounded. Shared objects: callers only read them.
 */
const GEOMETRY = new WeakMap<PortTable, Map<SeaRouter | null, Map<string, PlanGeometry>>>();
const MAX_GEOMETRIES = 5000;

/**
 * Resolves a plan's zones once, when it is loaded: explicit zones when the
 * plan has them, otherwise circles around origin, transshipments and
 * destination. A port the table lacks gets no zone and is listed in
 * `unknownPorts` (callers decide: the API refuses such a plan, loading a
 * directory warns and goes on, so one unknown port never stops a replay).
 */
export function compilePlan(plan: TripPlan, ports: PortTable, opts: PlanOptions, router?: SeaRouter): CompiledPlan {
  let byRouter = GEOMETRY.get(ports);
  if (!byRouter) GEOMETRY.set(ports, (byRouter = new Map()));
  let cache = byRouter.get(router ?? null);
  if (!cache) byRouter.set(router ?? null, (cache = new Map()));
  const key = JSON.stringify([opts.defaultZoneRadiusKm, plan.origin, plan.transshipments, plan.destination, plan.authorisedZones ?? null, plan.route ?? null]);
  let geo = cache.get(key);
  if (!geo) {
    geo = compileGeometry(plan, ports, opts, router);
    cache.set(key, geo);
    if (cache.size > MAX_GEOMETRIES) cache.delete(cache.keys().next().value as string);
  }
  return new Compiled(plan, Date.parse(plan.departure), Date.parse(plan.eta) + opts.activeAfterEtaMs, geo);
}

/**
 * A compiled plan: its own times, and its geometry by reference (shared by
 * every plan with the same ports and route). One held per container: the
 * geometry's seven fields copied into it (an object spread) were a property
 * array of their own besides the object, some 64 bytes per container.
 */
class Compiled implements CompiledPlan {
  // (a compiled plan per container: the trip id and eta, rarely read, are the plan's, not fields of their own with the eta a
  // boxed double; departure and activeUntil are read at every reading)
  constructor(
    readonly plan: TripPlan,
    readonly departure: number,
    readonly activeUntil: number,
    private readonly geo: PlanGeometry,
  ) {}
  get tripId(): string {
    return this.plan.tripId;
  }
  get eta(): number {
    return Date.parse(this.plan.eta);
  }
  get zones(): CompiledZone[] {
    return this.geo.zones;
  }
  get destinationZones(): CompiledZone[] {
    return this.geo.destinationZones;
  }
  get plannedLocodes(): string[] {
    return this.geo.plannedLocodes;
  }
  get plannedPorts(): CompiledPlan['plannedPorts'] {
    return this.geo.plannedPorts;
  }
  get route(): Feature<LineString> | null {
    return this.geo.route;
  }
  get routeIndex(): PointIndex | null {
    return this.geo.routeIndex;
  }
  get unknownPorts(): string[] {
    return this.geo.unknownPorts;
  }
}

function compileGeometry(plan: TripPlan, ports: PortTable, opts: PlanOptions, router?: SeaRouter): PlanGeometry {
  const unknownPorts = new Set<string>();
  const portZone = (locode: string, radiusKm: number, name?: string): CompiledZone[] => {
    const p = ports.get(locode);
    if (!p) {
      unknownPorts.add(locode);
      return [];
    }
    return [{ name: name ?? `${p.name} (${locode})`, locode, center: [p.lon, p.lat], radiusKm, polygon: null, outline: null }];
  };
  let zones: CompiledZone[];
  if (plan.authorisedZones && plan.authorisedZones.length > 0) {
    zones = plan.authorisedZones.flatMap((z): CompiledZone[] => {
      if ('polygon' in z) return [polygonZone(z.name, z.polygon)];
      if ('locode' in z) return portZone(z.locode, z.radiusKm, z.name);
      return [{ name: z.name, locode: null, center: [z.lon, z.lat] as [number, number], radiusKm: z.radiusKm, polygon: null, outline: null }];
    });
  } else {
    const codes = [plan.origin, ...plan.transshipments, plan.destination];
    zones = [...new Set(codes)].flatMap((c) => portZone(c, opts.defaultZoneRadiusKm));
  }
  let destinationZones = zones.filter((z) => z.locode === plan.destination);
  if (destinationZones.length === 0) destinationZones = zoneOfDestination(plan, zones, ports);
  if (destinationZones.length === 0) destinationZones = portZone(plan.destination, opts.defaultZoneRadiusKm);
  for (const c of [plan.origin, ...plan.transshipments, plan.destination]) if (!ports.get(c)) unknownPorts.add(c);
  const plannedLocodes = [...new Set([plan.origin, ...plan.transshipments, plan.destination])];
  const plannedPorts = plannedLocodes.flatMap((c) => {
    const p = ports.get(c);
    return p ? [{ locode: c, name: p.name, lat: p.lat, lon: p.lon }] : [];
  });
  let routeCoords: Array<[number, number]> | null = plan.route ? plan.route.map(([lon, lat]) => [lon, lat] as [number, number]) : null;
  if (!routeCoords && router && plannedPorts.length >= 2) {
    const stops = [plan.origin, ...plan.transshipments, plan.destination].flatMap((c) => {
      const p = ports.get(c);
      return p ? [{ locode: c, lat: p.lat, lon: p.lon }] : [];
    });
    routeCoords = router(stops);
  }
  return {
    zones,
    destinationZones,
    plannedLocodes,
    plannedPorts,
    route: routeCoords && routeCoords.length >= 2 ? lineString(routeCoords) : null,
    routeIndex: routeCoords && routeCoords.length >= 2 ? trackIndex(routeCoords) : null,
    unknownPorts: [...unknownPorts],
  };
}

/** How far a plan's own zone may lie from our port table's position of its destination and still be taken for it. */
const DESTINATION_ZONE_MATCH_KM = 50;

/**
 * The plan's own zone for its destination when no zone names the destination's
 * UN/LOCODE (polygons and named circles carry none): the zone holding the
 * route's last waypoint, else the zone nearest to the destination port (port
 * tables place a port at its city, its main terminal or its harbour mouth, tens
 * of km apart, so the plan's zone is trusted over a circle of ours).
 */
function zoneOfDestination(plan: TripPlan, zones: readonly CompiledZone[], ports: PortTable): CompiledZone[] {
  const end = plan.route?.[plan.route.length - 1];
  if (end) {
    const holding = zones.filter((z) => distanceToZoneKm(z, end[1], end[0]) === 0);
    if (holding.length > 0) return holding;
  }
  const port = ports.get(plan.destination);
  if (!port) return [];
  const fix = locateInZones(zones, port.lat, port.lon);
  return fix.nearest && fix.nearestKm <= DESTINATION_ZONE_MATCH_KM ? [fix.nearest] : [];
}

/** Distance in km from a point to a zone's edge; 0 inside. */
export function distanceToZoneKm(zone: CompiledZone, lat: number, lon: number): number {
  if (zone.center) return Math.max(0, greatCircleKm(lat, lon, zone.center[1], zone.center[0]) - zone.radiusKm);
  if (booleanPointInPolygon([lon, lat], zone.polygon!)) return 0;
  return pointToLineDistance([lon, lat], zone.outline!, { units: 'kilometers' });
}

export interface ZoneFix {
  /** The authorised zone the point is inside, if any. */
  inside: CompiledZone | null;
  nearest: CompiledZone | null;
  nearestKm: number;
}

export function locateInZones(zones: readonly CompiledZone[], lat: number, lon: number): ZoneFix {
  let nearest: CompiledZone | null = null;
  let nearestKm = Infinity;
  for (const z of zones) {
    // a polygon whose bounding circle is farther than the nearest zone so far cannot be nearer (with a
    // margin for the edge distance's own geodesy): skipped without measuring to its edges
    if (z.bound && (greatCircleKm(lat, lon, z.bound.lat, z.bound.lon) - z.bound.km) * 0.99 - 1 > nearestKm) continue;
    const d = distanceToZoneKm(z, lat, lon);
    if (d < nearestKm) {
      nearestKm = d;
      nearest = z;
    }
  }
  return { inside: nearestKm === 0 ? nearest : null, nearest, nearestKm };
}

/**
 * Whether a point is inside one of the zones: the same answer as
 * `locateInZones(...).inside !== null`, without building the answer object.
 * A circle the point is clearly outside of by latitude alone (a great circle
 * is never shorter than its north-south part, 111.19 km per degree) is
 * skipped without trigonometry.
 */
export function insideAnyZone(zones: readonly CompiledZone[], lat: number, lon: number): boolean {
  for (let i = 0; i < zones.length; i++) {
    const z = zones[i]!;
    if (z.center) {
      if (Math.abs(lat - z.center[1]) * 110 > z.radiusKm + 1) continue;
      if (distanceToZoneKm(z, lat, lon) === 0) return true;
    } else if (z.polygon) {
      // a point clearly outside the polygon's bounding circle is not in it: no distance to the outline
      if (z.bound && (greatCircleKm(lat, lon, z.bound.lat, z.bound.lon) - z.bound.km) * 0.99 - 1 > 0) continue;
      if (distanceToZoneKm(z, lat, lon) === 0) return true;
    }
  }
  return false;
}
