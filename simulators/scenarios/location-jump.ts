import { whereAt } from '../container.js';
import { destination } from '../../src/geo/distance.js';
import { H, MIN, type Scenario } from './scenario.js';

/**
 * GNSS spoofing for 20-120 min (at least 3.3 fix intervals; on a tracker
 * that fixes once an hour or two, 2.2 intervals, up to 5 h): the fixes show a
 * ship 200-2000 km away on a steady fake course. The label runs from the
 * first spoofed fix to the first true fix after.
 */
export const locationJump: Scenario = {
  kind: 'LOCATION_JUMP',
  ownShip: false,
  place(r, { device, lo, hi, underWay, portKm, view }) {
    for (let i = 0; i < 80; i++) {
      // long enough for the device to fix a few times while spoofed (a sparse tracker: two fixes at least)
      const dur = device.gpsEveryMs >= 60 * MIN ? Math.min(5 * H, 2.2 * device.gpsEveryMs) : Math.min(120 * MIN, Math.max(r.uniform(20, 120) * MIN, 3.3 * device.gpsEveryMs));
      const from = Math.round(r.uniform(lo, hi - dur));
      const to = Math.round(from + dur);
      if (!(to < hi)) continue;
      if (!underWay(from, 5) || portKm(from) <= 30) continue;
      const here = whereAt(view, from).point;
      for (let k = 0; k < 8; k++) {
        const anchor = destination(here, r.uniform(0, 360), r.uniform(200, 2000));
        if (Math.abs(anchor[1]) > 72) continue;
        return { kind: 'LOCATION_JUMP', from, to, anchor, fakeHeading: r.uniform(0, 360), fakeKn: r.uniform(0, 14) };
      }
    }
    return null;
  },
  span(_b, fixes) {
    const spoofed = fixes.filter((f) => f.spoofed);
    if (spoofed.length === 0) return null;
    const from = spoofed[0]!.tt;
    const back = fixes.find((f) => !f.spoofed && f.tt > from);
    return { from, to: back ? back.tt : spoofed[spoofed.length - 1]!.tt };
  },
};
