import { H, MIN, type Scenario } from './scenario.js';

/**
 * Temperature unlike the box's own history. A reefer: the air settles
 * 1.5-1.9 C off its setpoint, inside its band, for 1.5-5 h (a failing
 * controller, or the unit fighting a heat source). A dry box: a heat source
 * puts the air 10-20 C over its own range of the previous day for 2-6 h.
 */
export const temperatureAnomaly: Scenario = {
  kind: 'TEMPERATURE_ANOMALY',
  ownShip: false,
  place(r, { m, reefer, demo, dep, lo, hi }) {
    // unlike its own history: a reefer has been reporting for half a day at least, a dry box for a day (its daily cycle)
    // (the demo shows every rule at work: there the history is the voyage's own, the readings the engine judges by)
    const from0 = Math.max(lo, (demo ? Math.max(m.first, dep) : m.first) + (reefer ? 12 : 24) * H);
    // the latest start that still ends in time (the demo: as soon as there is history)
    const latest = (total: number): number => (demo ? Math.min(from0 + 1.5 * H, m.last - 0.5 * H - total) : hi - total);
    if (reefer) {
      // the air settles at the new level in 10-25 min (the unit's control loop), stays there 1.5-5 h, and comes back
      const hold = r.uniform(1.5, 5) * H;
      const rise = r.uniform(10, 25) * MIN;
      const fall = r.uniform(10, 30) * MIN;
      const total = rise + hold + fall;
      // frozen cargo is only ever warmed; a chilled box may be pushed either way
      const warm = reefer.setpointC < 0 || r.chance(0.75);
      const deltaC = (warm ? 1 : -1) * r.uniform(1.5, 1.9);
      if (latest(total) < from0) return null;
      const start = Math.round(r.uniform(from0, latest(total)));
      return { kind: 'TEMPERATURE_ANOMALY', variant: 'reefer', start, rise, hold, fall, deltaC, aboveRangeC: 0, from: start, to: Math.round(start + total) };
    }
    const hold = r.uniform(2, 6) * H;
    const rise = r.uniform(5, 15) * MIN;
    const fall = r.uniform(15, 40) * MIN;
    const total = hold + 3 * fall;
    if (latest(total) < from0) return null;
    const start = Math.round(r.uniform(from0, latest(total)));
    return { kind: 'TEMPERATURE_ANOMALY', variant: 'dry', start, rise, hold, fall, deltaC: NaN, aboveRangeC: r.uniform(10, 20), from: start, to: Math.round(start + total) };
  },
};
