import { MIN, type Scenario } from './scenario.js';

/** The door opened at sea, under way at 10 kn or more, more than 50 km from any port, for 5-30 min. */
export const doorOpenInTransit: Scenario = {
  kind: 'DOOR_OPEN_IN_TRANSIT',
  ownShip: false,
  place(r, { lo, hi, underWay, portKm }) {
    for (let i = 0; i < 80; i++) {
      const dur = r.uniform(5, 30) * MIN;
      const from = Math.round(r.uniform(lo, hi - dur));
      const to = Math.round(from + dur);
      if (!(to < hi)) continue;
      if ([from - 30 * MIN, from, to].every((t) => underWay(t, 10)) && portKm(from) > 50 && portKm(to) > 50) return { kind: 'DOOR_OPEN_IN_TRANSIT', from, to };
    }
    return null;
  },
};
