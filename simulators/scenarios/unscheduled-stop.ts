import { H, type Scenario } from './scenario.js';
import { sailToStop } from './stop-at-sea.js';

/**
 * A stop outside every authorised zone (stop-at-sea.ts): at sea or off a
 * coast, 3.5-10 h, more than 60 km from every planned port; or, half of the
 * time, at an unofficial anchorage 25-70 km off a planned port, 8-15 h.
 * The label runs from stopped (the ship at rest) to under way again.
 */
export const unscheduledStop: Scenario = {
  kind: 'UNSCHEDULED_STOP',
  ownShip: true,
  sail: (r, ctx) => sailToStop(r, ctx, !ctx.demo && r.chance(0.5), { sea: [3.5, 10], offPort: [8, 15] }),
  place(_r, { sailings, special, m, lo, hi, demo }) {
    const stop = sailings[0]!.stopWindows.find((w) => w.tag === 'unscheduled');
    if (!stop || special?.kind !== 'seaStop') return null;
    if (stop.from < lo - 0.5 * H || stop.to > m.last - 0.5 * H || (demo && stop.from > hi)) return null;
    return { kind: 'UNSCHEDULED_STOP', from: Math.round(stop.from), to: Math.round(stop.to), point: special.point, anchored: special.anchored, offPort: special.offPort };
  },
};
