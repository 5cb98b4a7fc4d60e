import { planDeviation, RouteDistance } from '../detours.js';
import { H, type Scenario } from './scenario.js';

/**
 * The ship leaves the planned route for a point 150-320 km off it (made in
 * fleet.ts's makeSailings). The label is what the fixes show: the first fix
 * more than 100 km off the planned route, the first one back within 70 km.
 */
export const routeDeviation: Scenario = {
  kind: 'ROUTE_DEVIATION',
  ownShip: true,
  sail(r, { it, leg1, plain, from, to, demo, capEnd, planned }) {
    const route = it.legs.flatMap((l) => l.path);
    // a deviation and the way back take up to a day: room for it before the simulated window ends
    const d = planDeviation(r, route, leg1, plain, from, demo ? to : Math.min(to, capEnd - 36 * H), planned);
    if (!d) return null;
    return { path: d.path, kind: d.kind, stops: d.rendezvous ? [d.rendezvous] : [], special: { kind: 'deviation', offKm: d.offKm, leaveKm: d.leaveKm, rejoinKm: d.rejoinKm, route } };
  },
  place(_r, { sailings, special, m, lo, hi, demo }) {
    if (special?.kind !== 'deviation') return null;
    const s1 = sailings[0]!;
    const left = Math.round(s1.timeAtKm(special.leaveKm));
    const back = Math.round(s1.timeAtKm(special.rejoinKm));
    if (left < lo - 0.5 * H || back > m.last - H || (demo && left > hi)) return null;
    return { kind: 'ROUTE_DEVIATION', from: left, to: back, route: special.route, offKm: special.offKm };
  },
  span(b, fixes) {
    if (b.kind !== 'ROUTE_DEVIATION') return null;
    const route = new RouteDistance(b.route);
    const during = fixes.filter((f) => f.tt >= b.from - H && f.tt <= b.to + H);
    const out = during.find((f) => route.km([f.lon, f.lat]) > 100);
    if (!out) return null;
    const back = during.find((f) => f.tt > out.tt && route.km([f.lon, f.lat]) <= 70);
    if (!back) return null;
    return { from: out.tt, to: back.tt };
  },
};
