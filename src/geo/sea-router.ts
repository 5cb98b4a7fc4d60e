import { planRoute } from './sea-route.js';

/**
 * The planned track of a plan without `route`: the shortest path over the
 * sea-lane network (straits, canals, capes, harbour approaches) from each
 * port to the next, the same network the simulator sails. A `SeaRouter` for
 * trip compilation (src/trips/compile.ts), typed here by shape so that
 * geometry does not depend on trips.
 */
export const seaLaneRouter = (ports: ReadonlyArray<{ locode: string; lat: number; lon: number }>): Array<[number, number]> | null => {
  if (ports.length < 2) return null;
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < ports.length; i++) {
    const leg = planRoute(ports[i]!, ports[i + 1]!);
    out.push(...(i === 0 ? leg : leg.slice(1)));
  }
  return out.length >= 2 ? out : null;
};
