import { H, type Scenario } from './scenario.js';

/** A stop at sea or off a coast (made in fleet.ts's makeSailings), 3.5-10 h, more than 60 km from every planned port. */
export const unscheduledStop: Scenario = {
  kind: 'UNSCHEDULED_STOP',
  ownShip: true,
  place(_r, { sailings, special, m, lo, hi, demo }) {
    const stop = sailings[0]!.stopWindows.find((w) => w.tag === 'unscheduled');
    if (!stop || special?.kind !== 'seaStop') return null;
    if (stop.from < lo - 0.5 * H || stop.to > m.last - 0.5 * H || (demo && stop.from > hi)) return null;
    return { kind: 'UNSCHEDULED_STOP', from: Math.round(stop.from), to: Math.round(stop.to), point: special.point, anchored: special.anchored };
  },
};
