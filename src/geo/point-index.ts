import { along, lineString, length } from '@turf/turf';
import KDBush from 'kdbush';
import { around, distance } from 'geokdbush';

/**
 * Nearest-neighbour search over fixed points by great-circle distance
 * (kdbush + geokdbush). The points live only in kdbush's typed arrays: a
 * densified ocean route of thousands of points costs tens of kilobytes.
 */
export class PointIndex {
  private readonly index: KDBush;
  private readonly count: number;
  /** [lon, lat] of item i, in insertion order. */
  private readonly coords: Float64Array;
  /** surelyWithin's bounds by cell, made as containers pass. */
  private cells: Map<number, number> | null = null;

  constructor(points: ReadonlyArray<readonly [number, number]>) {
    this.count = points.length;
    this.index = new KDBush(Math.max(1, points.length));
    this.coords = new Float64Array(Math.max(1, points.length) * 2);
    points.forEach(([lon, lat], i) => {
      this.index.add(lon, lat);
      this.coords[2 * i] = lon;
      this.coords[2 * i + 1] = lat;
    });
    if (points.length === 0) this.index.add(0, 0);
    this.index.finish();
  }

  /**
   * True when the nearest point is surely within `km` of (lat, lon), judged
   * from a bound cached per 0.1-degree cell, shared by every container near
   * the track: the nearest point to the cell's centre plus the farthest the
   * cell reaches from it (triangle inequality, with a margin). False means
   * "do not know": ask `nearest`. An answer only for decisions that need no
   * more than that (a fix near its planned route), never a distance.
   */
  surelyWithin(lat: number, lon: number, km: number): boolean {
    if (this.count === 0 || !(Math.abs(lat) <= 80) || !(Math.abs(lon) <= 180)) return false;
    const row = Math.floor((lat + 90) * CELLS_PER_DEGREE);
    const col = Math.floor((lon + 180) * CELLS_PER_DEGREE);
    const key = row * (360 * CELLS_PER_DEGREE + 1) + col;
    const cells = (this.cells ??= new Map());
    let bound = cells.get(key);
    if (bound === undefined) {
      const lat0 = row / CELLS_PER_DEGREE - 90;
      const lon0 = col / CELLS_PER_DEGREE - 180;
      const lat1 = lat0 + 1 / CELLS_PER_DEGREE;
      const lon1 = lon0 + 1 / CELLS_PER_DEGREE;
      const cLat = (lat0 + lat1) / 2;
      const cLon = (lon0 + lon1) / 2;
      let reach = 0;
      for (const [y, x] of [
        [lat0, lon0],
        [lat0, lon1],
        [lat1, lon0],
        [lat1, lon1],
        [lat0, cLon],
        [lat1, cLon],
        [cLat, lon0],
        [cLat, lon1],
      ] as const)
        reach = Math.max(reach, distance(cLon, cLat, x, y));
      bound = this.nearest(cLat, cLon)!.km + reach * 1.05 + 0.05;
      if (cells.size >= MAX_CELLS) cells.clear();
      cells.set(key, bound);
    }
    return bound < km;
  }

  nearest(lat: number, lon: number): { i: number; km: number } | null {
    if (this.count === 0) return null;
    const [i] = around(this.index, lon, lat, 1);
    if (i === undefined) return null;
    return { i, km: distance(lon, lat, this.coords[2 * i]!, this.coords[2 * i + 1]!) };
  }
}

/**
 * A planned track as points every `stepKm` along its segments, indexed for
 * nearest search: the distance to the track is then exact to within half a
 * step, far finer than any deviation threshold, at a tiny fraction of the cost
 * of projecting onto every segment.
 */
export function trackIndex(coords: ReadonlyArray<[number, number]>, stepKm = 5): PointIndex {
  // Many containers share a route (a ship's plan, or the same port sequence routed): build each once.
  const key = `${stepKm}|${coords.map(([x, y]) => `${x},${y}`).join(';')}`;
  const cached = TRACKS.get(key);
  if (cached) return cached;
  const built = buildTrack(coords, stepKm);
  TRACKS.set(key, built);
  if (TRACKS.size > MAX_TRACKS) TRACKS.delete(TRACKS.keys().next().value as string);
  return built;
}

const TRACKS = new Map<string, PointIndex>();
const CELLS_PER_DEGREE = 10;
const MAX_CELLS = 200_000;
const MAX_TRACKS = 5000;

function buildTrack(coords: ReadonlyArray<[number, number]>, stepKm: number): PointIndex {
  const pts: Array<[number, number]> = [];
  for (let i = 0; i + 1 < coords.length; i++) {
    const seg = lineString([coords[i]!, coords[i + 1]!]);
    const len = length(seg, { units: 'kilometers' });
    const n = Math.max(1, Math.ceil(len / stepKm));
    for (let k = 0; k < n; k++) {
      const [lon, lat] = along(seg, (len * k) / n, { units: 'kilometers' }).geometry.coordinates as [number, number];
      pts.push([normaliseLon(lon), lat]); // across the antimeridian turf may step past +-180
    }
  }
  if (coords.length) pts.push(coords[coords.length - 1]!);
  return new PointIndex(pts);
}

function normaliseLon(lon: number): number {
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}
