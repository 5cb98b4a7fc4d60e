import type { Port, PortTable } from '../../src/geo/ports.js';
import { seaLaneRouter } from '../../src/geo/sea-router.js';
import { haversineKm, kmFromPolyline, type LonLat } from '../../src/geo/distance.js';
import { nearestPortKm } from '../itinerary.js';
import type { TrackFix } from './clean.js';

/**
 * Which stretch of a vessel's track becomes a container trip, and between
 * which ports of our table (config/ports.json) its plan runs.
 *
 * The AIS of tracktable-data is coastal and harbour traffic seen for one day
 * to one week: no track in it runs from one port of our table to another
 * (the longest first-to-last displacement in the coastal day is under 80 km).
 * So a trip is what such a track can honestly stand for: a container on its
 * way from the port whose area the track starts in (origin) to the next port
 * of the table the track is heading for (destination), seen for the part of
 * the voyage the recording covers. Where the track does end near another
 * port of the table, that port is the destination.
 */
export interface TripShape {
  fixes: TrackFix[];
  origin: Port;
  destination: Port;
  /** The track reached the destination's authorised zone (the trip ends there). */
  arrived: boolean;
  /** Farthest fix from the planned sea route (km). */
  routeFitKm: number;
  /**
   * The track gets LEAVE_PORT_KM from its origin and from its own first fix
   * at least: a voyage. One that never does is harbour craft (the `harbour` corpus), shaped and
   * planned the same way.
   */
  leavesPort: boolean;
}

export type TripReject = 'never-near-a-port' | 'too-short' | 'off-every-route' | 'stops-before-recording-end';

/** A track must begin within this of a port of the table: further out, its first fix says nothing of where it came from. */
export const ORIGIN_AREA_KM = 60;
/** The default authorised zone round a planned port (config trips.defaultZoneRadiusKm): the plan ends on entering the destination's. */
export const ZONE_KM = 15;
/** Destinations of an open-ended track: a port this far at least (its zone cannot swallow the track's start) and at most. */
const MIN_LEG_KM = 100;
const MAX_LEG_KM = 3000;
/** A track farther than this from the best route between its ports is not on a voyage between ports of the table. */
const MAX_ROUTE_FIT_KM = 80;
/**
 * A voyage leaves its port: a track that never gets this far from its origin
 * (beyond the port's zone, its anchorages and pilot grounds) is harbour craft
 * (tugs, ferries, pilot and work boats), which carry no container on a
 * voyage. Without vessel types in the data, this is how they are told apart;
 * they make the `harbour` corpus, not the voyages.
 */
export const LEAVE_PORT_KM = 40;
export const MIN_TRIP_MS = 6 * 3_600_000;
export const MIN_TRIP_KM = 30;
export const MIN_FIXES = 30;
/**
 * An open trip must still report this close to the end of its recording. A
 * track that stops earlier went out of coverage or switched its AIS off: the
 * data cannot say whether or where the container reported again, and
 * replaying the silence that follows would judge the recording, not the
 * container.
 */
export const END_SLACK_MS = 3 * 3_600_000;
/** Sampled fixes per track for the route fit (enough for tracks of hundreds of km). */
const FIT_SAMPLES = 80;

export function shapeTrip(fixes: readonly TrackFix[], recordingEnd: number, ports: PortTable): { ok: true; trip: TripShape } | { ok: false; reason: TripReject } {
  const table = ports.ports;
  const near = (f: TrackFix) => nearestPortKm(table, [f.lon, f.lat]);
  const start = fixes.findIndex((f) => near(f).km <= ORIGIN_AREA_KM);
  if (start < 0) return { ok: false, reason: 'never-near-a-port' };
  let track = fixes.slice(start);
  if (!long(track)) return { ok: false, reason: 'too-short' };
  const origin = near(track[0]!).port;

  // a track that ends near another port of the table went there
  const end = near(track[track.length - 1]!);
  let destination: Port;
  let fitKm: number;
  if (end.port.locode !== origin.locode && end.km <= ORIGIN_AREA_KM) {
    destination = end.port;
    fitKm = routeFit(track, origin, destination);
  } else {
    const best = bestDestination(track, origin, table);
    if (!best) return { ok: false, reason: 'off-every-route' };
    destination = best.port;
    fitKm = best.fitKm;
  }
  if (fitKm > MAX_ROUTE_FIT_KM) return { ok: false, reason: 'off-every-route' };

  // the plan ends where the container enters the destination's zone: so does the trip
  const inDest = track.findIndex((f) => haversineKm([f.lon, f.lat], [destination.lon, destination.lat]) <= ZONE_KM);
  const arrived = inDest >= 0;
  if (arrived) track = track.slice(0, inDest + 1);
  if (!long(track)) return { ok: false, reason: 'too-short' };
  if (!arrived && track[track.length - 1]!.t < recordingEnd - END_SLACK_MS) return { ok: false, reason: 'stops-before-recording-end' };
  // On the trip as cut: a track that reaches a neighbouring port first has not left port waters.
  // And it must leave the waters where it was first seen: a track that begins up to ORIGIN_AREA_KM
  // from its origin is already that far from the port before it moves (a river ferry 51 km up
  // from Norfolk, shuttling 4 km across for a day, is not a voyage).
  const first = track[0]!;
  const leavesPort = track.some((f) => haversineKm([f.lon, f.lat], [origin.lon, origin.lat]) >= LEAVE_PORT_KM && haversineKm([f.lon, f.lat], [first.lon, first.lat]) >= LEAVE_PORT_KM);
  return { ok: true, trip: { fixes: track, origin, destination, arrived, routeFitKm: Math.round(fitKm * 10) / 10, leavesPort } };
}

function long(track: readonly TrackFix[]): boolean {
  if (track.length < MIN_FIXES) return false;
  if (track[track.length - 1]!.t - track[0]!.t < MIN_TRIP_MS) return false;
  let km = 0;
  for (let i = 1; i < track.length; i++) km += haversineKm([track[i - 1]!.lon, track[i - 1]!.lat], [track[i]!.lon, track[i]!.lat]);
  return km >= MIN_TRIP_KM;
}

const ROUTES = new Map<string, LonLat[]>();

/** The sea route the engine computes for a plan without `route` (the same router). */
function route(a: Port, b: Port): LonLat[] {
  const key = `${a.locode}>${b.locode}`;
  let r = ROUTES.get(key);
  if (!r)
    ROUTES.set(
      key,
      (r = (seaLaneRouter([a, b]) ?? [
        [a.lon, a.lat],
        [b.lon, b.lat],
      ]) as LonLat[]),
    );
  return r;
}

function routeFit(track: readonly TrackFix[], a: Port, b: Port): number {
  const path = route(a, b);
  const step = Math.max(1, Math.floor(track.length / FIT_SAMPLES));
  let worst = 0;
  for (let i = 0; i < track.length; i += step) worst = Math.max(worst, kmFromPolyline([track[i]!.lon, track[i]!.lat], path));
  return Math.max(worst, kmFromPolyline([track[track.length - 1]!.lon, track[track.length - 1]!.lat], path));
}

/**
 * The port the track is heading for: of the table's ports 100-3000 km from
 * the origin, the one whose sea route from the origin lies closest to every
 * fix of the track (ties: the nearer port, then the locode).
 */
function bestDestination(track: readonly TrackFix[], origin: Port, table: readonly Port[]): { port: Port; fitKm: number } | null {
  let best: { port: Port; fitKm: number; legKm: number } | null = null;
  for (const p of table) {
    if (p.locode === origin.locode) continue;
    const legKm = haversineKm([origin.lon, origin.lat], [p.lon, p.lat]);
    if (legKm < MIN_LEG_KM || legKm > MAX_LEG_KM) continue;
    const fitKm = Math.round(routeFit(track, origin, p) * 10) / 10;
    if (!best || fitKm < best.fitKm || (fitKm === best.fitKm && (legKm < best.legKm || (legKm === best.legKm && p.locode < best.port.locode)))) best = { port: p, fitKm, legKm };
  }
  return best && { port: best.port, fitKm: best.fitKm };
}
