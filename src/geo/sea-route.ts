import { Heap } from '../heap.js';
import { haversineKm, type LonLat } from './distance.js';
import { APPROACH_OVERRIDES, CANAL_NODES, EDGES, NODES, RIVER_NODES, edgeKind, type EdgeKind } from './sea-lanes.js';

/**
 * Voyage planning over the sea-lane network of `sea-lanes.ts`: the shortest
 * path (Dijkstra over great-circle edge lengths) from the origin's harbour
 * approach to the destination's. All routing goes through `planRoute`, so a
 * better router can replace this one in one place.
 */
export interface RoutePoint {
  lat: number;
  lon: number;
  /** A port's UN/LOCODE, for harbour approach overrides. */
  locode?: string;
}

export interface RouteLegs {
  /** [lon, lat] waypoints, first = origin, last = destination. */
  path: LonLat[];
  /** kind[i]: what the segment path[i] -> path[i+1] is: open sea, a canal transit or a river fairway (both slow). */
  kind: EdgeKind[];
}

interface Graph {
  names: string[];
  coords: LonLat[];
  adj: Array<Array<{ to: number; km: number }>>;
  index: Map<string, number>;
}

let graph: Graph | null = null;

function buildGraph(): Graph {
  const names = Object.keys(NODES);
  const index = new Map(names.map((n, i) => [n, i]));
  const coords = names.map((n) => NODES[n]!);
  const adj: Graph['adj'] = names.map(() => []);
  for (const [a, b] of EDGES) {
    const ia = index.get(a)!;
    const ib = index.get(b)!;
    const km = haversineKm(coords[ia]!, coords[ib]!);
    adj[ia]!.push({ to: ib, km });
    adj[ib]!.push({ to: ia, km });
  }
  return { names, coords, adj, index };
}

function g(): Graph {
  graph ??= buildGraph();
  return graph;
}

/** The lane nodes a point may join the network at, with the distance to each. */
export function approachNodes(p: RoutePoint): Array<{ node: string; km: number }> {
  const G = g();
  const here: LonLat = [p.lon, p.lat];
  const override = p.locode ? APPROACH_OVERRIDES[p.locode] : undefined;
  if (override) return override.map((n) => ({ node: n, km: haversineKm(here, NODES[n]!) }));
  const all = G.names.map((n, i) => ({ node: n, km: haversineKm(here, G.coords[i]!) })).sort((a, b) => a.km - b.km);
  const nearest = all[0]!.km;
  const limit = Math.max(nearest * 1.5, nearest + 40);
  return all.filter((c) => !CANAL_NODES.has(c.node) && !RIVER_NODES.has(c.node) && c.km <= limit).slice(0, 3);
}

const cache = new Map<string, RouteLegs>();

/** The planned path with canal flags per segment. */
export function routeLegs(from: RoutePoint, to: RoutePoint): RouteLegs {
  const key = `${from.lon},${from.lat},${from.locode ?? ''}>${to.lon},${to.lat},${to.locode ?? ''}`;
  const hit = cache.get(key);
  if (hit) return copy(hit);
  const G = g();
  const start = approachNodes(from);
  const end = approachNodes(to);
  const endKm = new Map(end.map((e) => [G.index.get(e.node)!, e.km]));
  const n = G.names.length;
  const dist = new Float64Array(n).fill(Infinity);
  const prev = new Int32Array(n).fill(-1);
  const done = new Uint8Array(n);
  for (const s of start) {
    const i = G.index.get(s.node)!;
    if (s.km < dist[i]!) dist[i] = s.km;
  }
  // Dijkstra with a binary heap of [distance, node]; stale entries are skipped
  const heap = new Heap<[number, number]>((a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]));
  const push = (d: number, i: number): void => heap.push([d, i]);
  const pop = (): [number, number] => heap.pop()!;
  for (let i = 0; i < n; i++) if (dist[i]! < Infinity) push(dist[i]!, i);
  let best = Infinity;
  let bestEnd = -1;
  while (heap.size > 0) {
    const [du, u] = pop();
    if (done[u] || du > dist[u]!) continue;
    if (du >= best) break;
    done[u] = 1;
    const ek = endKm.get(u);
    if (ek !== undefined && du + ek < best) {
      best = du + ek;
      bestEnd = u;
    }
    for (const e of G.adj[u]!) {
      const nd = du + e.km;
      if (nd < dist[e.to]!) {
        dist[e.to] = nd;
        prev[e.to] = u;
        push(nd, e.to);
      }
    }
  }
  if (bestEnd < 0) throw new Error(`no sea route from ${from.locode ?? `${from.lat},${from.lon}`} to ${to.locode ?? `${to.lat},${to.lon}`}`);
  const nodes: number[] = [];
  for (let i = bestEnd; i >= 0; i = prev[i]!) nodes.unshift(i);
  const path: LonLat[] = [[from.lon, from.lat], ...nodes.map((i) => G.coords[i]!), [to.lon, to.lat]];
  const names = ['', ...nodes.map((i) => G.names[i]!), ''];
  const kind: EdgeKind[] = [];
  for (let i = 0; i + 1 < path.length; i++) {
    // the harbour approach to or from a river fairway node is river too
    const a = names[i]!;
    const b = names[i + 1]!;
    kind.push(a === '' ? (RIVER_NODES.has(b) ? 'river' : 'sea') : b === '' ? (RIVER_NODES.has(a) ? 'river' : 'sea') : edgeKind(a, b));
  }
  const out: RouteLegs = dedupe({ path, kind });
  cache.set(key, out);
  return copy(out);
}

function copy(r: RouteLegs): RouteLegs {
  return { path: r.path.map((p) => [p[0], p[1]] as LonLat), kind: r.kind.slice() };
}

/** Drops a waypoint that sits on top of the previous one (a port at its own approach node). */
function dedupe(r: RouteLegs): RouteLegs {
  const path: LonLat[] = [r.path[0]!];
  const kind: EdgeKind[] = [];
  for (let i = 1; i < r.path.length; i++) {
    if (haversineKm(path[path.length - 1]!, r.path[i]!) < 0.05) continue;
    path.push(r.path[i]!);
    kind.push(r.kind[i - 1]!);
  }
  if (path.length === 1) {
    path.push([r.path[r.path.length - 1]![0], r.path[r.path.length - 1]![1]]);
    kind.push('sea');
  }
  return { path, kind };
}

/**
 * The planned sea route from one port (or point) to another as [lon, lat]
 * waypoints, origin and destination included. Longitudes stay in -180..180,
 * so a segment crossing the antimeridian jumps from about 180 to about -180.
 */
export function planRoute(from: RoutePoint, to: RoutePoint): Array<[number, number]> {
  return routeLegs(from, to).path;
}

/** Drops zero-length steps (a route point that coincides with its neighbour), keeping each step's kind. */
export function dropZeroLengthSteps(path: readonly LonLat[], kind: readonly EdgeKind[]): { path: LonLat[]; kind: EdgeKind[] } {
  const p2: LonLat[] = [path[0]!];
  const k2: EdgeKind[] = [];
  for (let i = 1; i < path.length; i++) {
    if (haversineKm(p2[p2.length - 1]!, path[i]!) < 0.01) continue;
    p2.push(path[i]!);
    k2.push(kind[i - 1] ?? 'sea');
  }
  return { path: p2, kind: k2 };
}
