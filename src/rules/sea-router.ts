import { planRoute } from '../../simulators/route.js';
import type { SeaRouter } from './plan.js';

/**
 * The planned track of a plan without `route`: the shortest path over the
 * sea-lane network (straits, canals, capes, harbour approaches) from each
 * port to the next. The network lives with the simulator, which sails it.
 */
export const seaLaneRouter: SeaRouter = (ports) => {
  if (ports.length < 2) return null;
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < ports.length; i++) {
    const leg = planRoute(ports[i]!, ports[i + 1]!);
    out.push(...(i === 0 ? leg : leg.slice(1)));
  }
  return out.length >= 2 ? out : null;
};
