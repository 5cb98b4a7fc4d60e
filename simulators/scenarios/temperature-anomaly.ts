import type { Breach } from '../container.js';
import type { Rng } from '../rng.js';
import { H, MIN, type Scenario } from './scenario.js';

/**
 * Temperature unlike the box's own history.
 *
 * - reefer, level shift: the air settles 1.5-1.9 C off its setpoint, inside
 *   its band, for 1.5-5 h (a failing controller, or the unit fighting a heat
 *   source);
 * - reefer, erratic control: for 6-14 h the air swings round the setpoint,
 *   every reading 1.5-2.5 C off it on one side or the other, the mean still
 *   in the band (a controller hunting, a sensor or a unit tampered with);
 * - dry box: a heat source puts the air 10-20 C over its own range of the
 *   previous day for 2-6 h.
 *
 * Usually after half a day (reefer) or a day (dry box) of history; three
 * times in ten within the first day after the device starts reporting, when
 * the history is short.
 */
export const temperatureAnomaly: Scenario = {
  kind: 'TEMPERATURE_ANOMALY',
  ownShip: false,
  place(r, ctx) {
    const { m, reefer, demo, dep, lo, hi } = ctx;
    const early = !demo && r.chance(0.3);
    // (the demo shows each rule at work on its plainest case: the level shift)
    const erratic = reefer !== null && !demo && r.chance(0.5);
    // (the demo shows every rule at work: there the history is the voyage's own, the readings the engine judges by)
    const from0 = early ? m.first + 2 * H : Math.max(lo, (demo ? Math.max(m.first, dep) : m.first) + (reefer ? 12 : 24) * H);
    // the latest start that still ends in time (early: within the first day; the demo: as soon as there is history)
    const latest = (total: number): number => (early ? Math.min(m.first + 24 * H, m.last - 0.5 * H - total) : demo ? Math.min(from0 + 1.5 * H, m.last - 0.5 * H - total) : hi - total);
    const at = (total: number): number | null => (latest(total) < from0 ? null : Math.round(r.uniform(from0, latest(total))));
    if (reefer && erratic) return placeErratic(r, at);
    if (reefer) {
      // the air settles at the new level in 10-25 min (the unit's control loop), stays there 1.5-5 h, and comes back
      const hold = r.uniform(1.5, 5) * H;
      const rise = r.uniform(10, 25) * MIN;
      const fall = r.uniform(10, 30) * MIN;
      const total = rise + hold + fall;
      // frozen cargo is only ever warmed; a chilled box may be pushed either way
      const warm = reefer.setpointC < 0 || r.chance(0.75);
      const deltaC = (warm ? 1 : -1) * r.uniform(1.5, 1.9);
      const start = at(total);
      if (start === null) return null;
      return { kind: 'TEMPERATURE_ANOMALY', variant: 'reefer', start, rise, hold, fall, deltaC, aboveRangeC: 0, from: start, to: Math.round(start + total) };
    }
    const hold = r.uniform(2, 6) * H;
    const rise = r.uniform(5, 15) * MIN;
    const fall = r.uniform(15, 40) * MIN;
    const total = hold + 3 * fall;
    const start = at(total);
    if (start === null) return null;
    return { kind: 'TEMPERATURE_ANOMALY', variant: 'dry', start, rise, hold, fall, deltaC: NaN, aboveRangeC: r.uniform(10, 20), from: start, to: Math.round(start + total) };
  },
};

function placeErratic(r: Rng, at: (total: number) => number | null): Breach | null {
  const hold = r.uniform(6, 14) * H;
  const swing = { loC: 1.5, hiC: r.uniform(2, 2.5), periodMs: r.uniform(20, 50) * MIN, period2Ms: r.uniform(7, 13) * MIN, phase: r.uniform(0, 2 * Math.PI), phase2: r.uniform(0, 2 * Math.PI) };
  const start = at(hold);
  if (start === null) return null;
  return { kind: 'TEMPERATURE_ANOMALY', variant: 'erratic', start, rise: 0, hold, fall: 0, deltaC: 0, aboveRangeC: 0, from: start, to: Math.round(start + hold), swing };
}
