import { H, MIN, type Scenario } from './scenario.js';

/**
 * GNSS jammed or shielded (no fix for 6-12 h, the rest goes on) or the
 * device silenced (nothing for 4.5-10 h, under way at sea). The label runs
 * from the last fix before to the first fix after.
 */
export const locationGap: Scenario = {
  kind: 'LOCATION_GAP',
  ownShip: false,
  place(r, { m, lo, hi, demo, underWay, portKm }) {
    const silenced = r.chance(0.5);
    const end = demo ? hi + 8 * H : hi;
    for (let i = 0; i < 80; i++) {
      const len = (silenced ? r.uniform(4.5, 10) : r.uniform(6, 12)) * H;
      const from = Math.round(r.uniform(lo, Math.min(hi, end - len)));
      const to = Math.round(from + len);
      if (!(to <= end) || from < lo) continue;
      // a door opening inside the gap would be another story (an opening with no position)
      if (m.doorOpen.some((o) => o.to > from - 30 * MIN && o.from < to + 30 * MIN)) continue;
      // silenced mid-voyage at sea: under way far from ports when it goes quiet and when it comes back
      if (silenced && !(underWay(from, 5) && portKm(from) > 50 && underWay(to, 5) && portKm(to) > 20)) continue;
      return { kind: 'LOCATION_GAP', variant: silenced ? 'silenced' : 'jammed', from, to };
    }
    return null;
  },
  span(b, fixes) {
    const before = fixes.filter((f) => f.tt < b.from);
    const after = fixes.find((f) => f.tt >= b.to);
    if (before.length === 0 || !after) return null;
    return { from: before[before.length - 1]!.tt, to: after.tt };
  },
};
