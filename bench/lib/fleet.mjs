// Plausible monitored containers for the benchmarks: one trip plan per
// container (Rotterdam -> Santos), containers spread along the Atlantic leg.
import { makeContainerNumber } from '../../dist/src/model/iso6346.js';

export const T0 = Date.parse('2026-03-02T00:00:00Z');
export const DAY = 86_400_000;
export const VOYAGE_MS = 17 * DAY;

/** NLRTM -> BRSSZ through the Channel, off Iberia and West Africa, across to Brazil ([lon, lat]). */
// biome-ignore format: a table of waypoints, several to a row
export const ROUTE = [
  [4.05, 51.95], [2.0, 51.5], [1.4, 51.0], [-1.0, 50.3], [-5.5, 49.3], [-9.8, 44.0], [-10.5, 37.0], [-17.5, 28.5],
  [-23.0, 15.0], [-28.0, 2.0], [-33.0, -6.0], [-37.0, -14.0], [-40.0, -23.0], [-44.0, -24.3], [-46.3, -23.98],
];

const legs = (() => {
  const out = [];
  let total = 0;
  for (let i = 0; i + 1 < ROUTE.length; i++) {
    const [x0, y0] = ROUTE[i];
    const [x1, y1] = ROUTE[i + 1];
    const len = Math.hypot(x1 - x0, y1 - y0);
    out.push({ x0, y0, x1, y1, from: total, len });
    total += len;
  }
  for (const l of out) {
    l.from /= total;
    l.len /= total;
  }
  return out;
})();

/** Position and heading at a fraction 0..1 of the route (straight in lon/lat: good enough for load). */
export function along(f) {
  const x = Math.min(1, Math.max(0, f));
  let l = legs[legs.length - 1];
  for (const leg of legs)
    if (x <= leg.from + leg.len) {
      l = leg;
      break;
    }
  const k = l.len > 0 ? (x - l.from) / l.len : 0;
  const headingDeg = ((Math.atan2(l.x1 - l.x0, l.y1 - l.y0) * 180) / Math.PI + 360) % 360;
  return { lon: l.x0 + (l.x1 - l.x0) * k, lat: l.y0 + (l.y1 - l.y0) * k, headingDeg };
}

/**
 * The fleet's voyage: how long it takes (`ms`) and where on it the containers
 * are at T0 (fractions `from` .. `from + span`, golden-ratio spread). The
 * default: NLRTM -> BRSSZ in 17 days (about 14 kn), containers over 5 %..75 %.
 */
export const STANDARD_VOYAGE = { ms: VOYAGE_MS, from: 0.05, span: 0.7 };

/**
 * A voyage of `days` on the same route that no container finishes within
 * `runMs` of T0, so that every container is on a trip throughout a long run
 * (a fleet in steady state rather than one that docks and falls silent): the
 * containers start over 2 % .. (1 - runMs/voyage - 2 %) of it, and move (and
 * report their speed) at 17/days of the standard voyage's ~14 kn.
 */
export function longVoyage(days, runMs) {
  const ms = days * DAY;
  const span = 1 - runMs / ms - 0.04;
  if (!(span > 0)) throw new Error(`a voyage of ${days} days is too short for a run of ${(runMs / DAY).toFixed(1)} days`);
  return { ms, from: 0.02, span };
}

/** Where container i is on its voyage at T0. */
export const startFraction = (i, voyage = STANDARD_VOYAGE) => voyage.from + ((i * 0.6180339887) % 1) * voyage.span;

export function makePlans(n, { prefix = 'MSCU', devicePrefix = 'bench', withRoute = true, offset = 0, voyage = STANDARD_VOYAGE } = {}) {
  const plans = [];
  for (let i = 0; i < n; i++) {
    const departure = T0 - Math.round(startFraction(i, voyage) * voyage.ms);
    const plan = {
      tripId: `B-${devicePrefix}-${String(i + offset).padStart(7, '0')}`,
      containerId: makeContainerNumber(prefix, i + offset),
      deviceId: `${devicePrefix}-${String(i + offset).padStart(7, '0')}`,
      origin: 'NLRTM',
      destination: 'BRSSZ',
      transshipments: [],
      departure: new Date(departure).toISOString(),
      eta: new Date(departure + voyage.ms).toISOString(),
      reefer: i % 5 === 0 ? { setpointC: -18, toleranceC: 2 } : null,
    };
    if (withRoute) plan.route = ROUTE;
    plans.push(plan);
  }
  return plans;
}

/**
 * The four readings of container i at time ts (simulator vocabulary: door,
 * gps, light, temp): under way (~14 kn on the standard voyage), door closed, dark, temperature in band.
 */
export function simReadings(i, ts, voyage = STANDARD_VOYAGE) {
  const f = startFraction(i, voyage) + (ts - T0) / voyage.ms;
  const p = along(f);
  const kn = 14 + (i % 7) * 0.3;
  const reefer = i % 5 === 0;
  const diurnal = Math.sin(((ts % DAY) / DAY) * 2 * Math.PI);
  return [
    { kind: 'gps', ts, lat: p.lat, lon: p.lon, speedKn: voyage.ms === VOYAGE_MS ? kn : (kn * VOYAGE_MS) / voyage.ms, headingDeg: p.headingDeg, hdop: 0.9 },
    { kind: 'temp', ts: ts + 1000, celsius: reefer ? -18 + 0.2 * diurnal : 21 + 2 * diurnal, ...(reefer ? { setpointC: -18 } : {}) },
    { kind: 'light', ts: ts + 2000, lux: 0 },
    { kind: 'door', ts: ts + 3000, open: false },
  ];
}
