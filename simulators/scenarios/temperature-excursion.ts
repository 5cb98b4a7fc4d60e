import { H, MIN, type Scenario } from './scenario.js';

/**
 * A reefer out of setpoint +/- tolerance for 1.5-4 h: the air ramps to a peak
 * 4-10 C off the setpoint (frozen cargo only ever warms; chilled warms 80 % of
 * the time), holds, and comes back. from/to: where the ramps cross the band.
 */
export const temperatureExcursion: Scenario = {
  kind: 'TEMPERATURE_EXCURSION',
  ownShip: false,
  place(r, { reefer, lo, hi }) {
    if (!reefer) return null;
    const tol = reefer.toleranceC;
    const warm = reefer.setpointC < 0 || r.chance(0.8);
    const peak = (warm ? 1 : -1) * r.uniform(4, 10);
    const c = tol / Math.abs(peak);
    const outDur = r.uniform(1.5, 4) * H;
    let rise = r.uniform(30, 60) * MIN;
    let fall = r.uniform(30, 60) * MIN;
    let plateau = outDur - (rise + fall) * (1 - c);
    if (plateau < 10 * MIN) {
      const k = (outDur - 10 * MIN) / ((rise + fall) * (1 - c));
      rise *= k;
      fall *= k;
      plateau = 10 * MIN;
    }
    const total = rise + plateau + fall;
    if (hi - lo < total) return null;
    const startT = Math.round(r.uniform(lo, hi - total));
    return { kind: 'TEMPERATURE_EXCURSION', start: startT, rise, plateau, fall, peak, from: Math.round(startT + rise * c), to: Math.round(startT + rise + plateau + fall * (1 - c)) };
  },
};
