import { H, MIN, type Scenario } from './scenario.js';

/** Light in a closed box (a cut in the wall or roof) for 11-40 min, under way more than 30 km from any port, no door opening in the 2 h before. */
export const lightWithDoorClosed: Scenario = {
  kind: 'LIGHT_WITH_DOOR_CLOSED',
  ownShip: false,
  place(r, { m, lo, hi, underWay, portKm }) {
    for (let i = 0; i < 80; i++) {
      const dur = r.uniform(11, 40) * MIN;
      const from = Math.round(r.uniform(lo, hi - dur));
      const to = Math.round(from + dur);
      if (!(to < hi)) continue;
      if (m.doorOpen.some((o) => o.to > from - 2 * H && o.from < to)) continue;
      if ([from, to].every((t) => underWay(t, 5)) && portKm(from) > 30 && portKm(to) > 30) return { kind: 'LIGHT_WITH_DOOR_CLOSED', from, to };
    }
    return null;
  },
};
