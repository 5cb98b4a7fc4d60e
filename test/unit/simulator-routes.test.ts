import { describe, it, expect } from 'vitest';
import { isOnLand } from '../../src/geo/land.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { EDGES, NODES, edgeKind } from '../../src/geo/sea-lanes.js';
import { approachNodes, planRoute, routeLegs } from '../../src/geo/sea-route.js';
import { haversineKm, interpolate, type LonLat } from '../../src/geo/distance.js';

/** Kilometres of land along the great circle a-b, sampled every `step` km. */
function landKm(a: LonLat, b: LonLat, step: number): { km: number; at: LonLat[] } {
  const total = haversineKm(a, b);
  const n = Math.max(2, Math.ceil(total / step));
  const at: LonLat[] = [];
  for (let i = 1; i < n; i++) {
    const p = interpolate(a, b, i / n);
    if (!isOnLand(p[1], p[0])) continue;
    // Natural Earth's 1:50m land, as world-atlas ships it, has a hair-thin band around 16.51 S where the
    // antimeridian cut of Fiji wraps the globe: one isolated sample there is not land.
    if (Math.abs(p[1] + 16.51) < 0.02 && !isOnLand(p[1] + 0.05, p[0]) && !isOnLand(p[1] - 0.05, p[0])) continue;
    at.push(p);
  }
  return { km: (at.length * total) / n, at };
}

describe('sea-lane network', () => {
  it('sails no open-sea edge across land (canal and river fairways excepted)', () => {
    const bad: string[] = [];
    for (const [a, b] of EDGES) {
      if (edgeKind(a, b) !== 'sea') continue;
      const l = landKm(NODES[a]!, NODES[b]!, 20);
      if (l.km > 0)
        bad.push(
          `${a}-${b}: ${l.km.toFixed(0)} km at ${l.at
            .slice(0, 2)
            .map((p) => p.map((x) => x.toFixed(2)).join(','))
            .join(' ')}`,
        );
    }
    expect(bad).toEqual([]);
  });

  it('joins every port of the table to the network by a short harbour approach', () => {
    const bad: string[] = [];
    for (const p of defaultPorts().ports) {
      const ap = approachNodes(p);
      if (ap.length === 0) bad.push(`${p.locode}: no approach`);
      for (const a of ap) {
        if (a.km > 160) bad.push(`${p.locode} -> ${a.node}: ${a.km.toFixed(0)} km`);
        // river and harbour channels are narrower than 1:50m land resolves: a little land is expected
        const l = landKm([p.lon, p.lat], NODES[a.node]!, 5);
        if (l.km > 45) bad.push(`${p.locode} -> ${a.node}: ${l.km.toFixed(0)} km over land`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('routes between any two ports, never shorter than the great circle', () => {
    const ports = defaultPorts().ports;
    for (const hub of ['NLRTM', 'USLAX']) {
      const from = defaultPorts().get(hub)!;
      for (const to of ports) {
        if (to.locode === hub) continue;
        const r = routeLegs(from, to);
        expect(r.kind).toHaveLength(r.path.length - 1);
        let km = 0;
        for (let i = 1; i < r.path.length; i++) km += haversineKm(r.path[i - 1]!, r.path[i]!);
        expect(km).toBeGreaterThanOrEqual(haversineKm([from.lon, from.lat], [to.lon, to.lat]) - 1);
        expect(km).toBeLessThan(40_000);
      }
    }
  });

  it('takes the canals where they are the way: Shanghai-Rotterdam through Suez, Shanghai-New York through Panama', () => {
    const P = defaultPorts();
    const suez = routeLegs(P.get('CNSHA')!, P.get('NLRTM')!);
    expect(suez.kind).toContain('canal');
    expect(suez.path.some(([lon, lat]) => Math.abs(lon - 32.3) < 0.2 && Math.abs(lat - 30.5) < 0.5)).toBe(true);
    const panama = routeLegs(P.get('CNSHA')!, P.get('USNYC')!);
    expect(panama.path.some(([lon, lat]) => Math.abs(lon + 79.7) < 0.3 && Math.abs(lat - 9.1) < 0.3)).toBe(true);
    const length = (path: LonLat[]) => path.slice(1).reduce((s, p, i) => s + haversineKm(path[i]!, p), 0);
    // about 10 500 nm by sea via Suez
    expect(length(suez.path) / 1.852).toBeGreaterThan(10_000);
    expect(length(suez.path) / 1.852).toBeLessThan(11_500);
    expect(planRoute(P.get('NLRTM')!, P.get('BEANR')!)[0]).toEqual([P.get('NLRTM')!.lon, P.get('NLRTM')!.lat]);
  });
});
