import { activeSteps, dur, inWindow, km, result, when, zonesOf, type Probe } from './probe.js';

/**
 * ROUTE_DEVIATION: each fix's distance from the planned track (0 inside an
 * authorised zone, as the rule ends an excursion there), excursions as the
 * rule keeps them (beyond maxDistanceKm, until back within returnFactor of
 * it). Never beyond the limit in the window: the largest distance /
 * maxDistanceKm; beyond it: the longest excursion starting in the window /
 * sustainMs. (The rule looks at one fix per evaluateEveryMs outside an
 * excursion; the probe at every fix.)
 */
export const routeDeviationProbe: Probe = {
  rule: 'ROUTE_DEVIATION',
  run(input) {
    const cfg = input.rules.routeDeviation;
    const fixes = activeSteps(input.trace).filter((s) => s.reading.kind === 'location' && s.fix);
    if (!fixes.some((s) => s.plan?.routeIndex && inWindow(s.reading.ts, input))) return result(this.rule, null, 'the plan has no route and none could be computed between its ports');
    let maxKm = 0;
    let maxAt = 0;
    let ex: { start: number; last: number; peak: number } | null = null;
    let best: { start: number; length: number; peak: number } | null = null;
    const end = () => {
      if (ex && inWindow(ex.start, input) && (!best || ex.last - ex.start > best.length)) best = { start: ex.start, length: ex.last - ex.start, peak: ex.peak };
      ex = null;
    };
    for (const s of fixes) {
      const f = s.fix!;
      const route = s.plan?.routeIndex;
      if (!route) continue;
      const d = zonesOf(s, f).inside ? 0 : (route.nearest(f.lat, f.lon)?.km ?? 0);
      if (inWindow(f.ts, input) && d > maxKm) {
        maxKm = d;
        maxAt = f.ts;
      }
      const e = ex as { start: number; last: number; peak: number } | null;
      if (d <= cfg.maxDistanceKm * cfg.returnFactor) end();
      else if (e) {
        e.last = f.ts;
        e.peak = Math.max(e.peak, d);
      } else if (d > cfg.maxDistanceKm) ex = { start: f.ts, last: f.ts, peak: d };
    }
    end();
    const b = best as { start: number; length: number; peak: number } | null;
    if (!b) return result(this.rule, maxKm / cfg.maxDistanceKm, `at most ${km(maxKm)} from the planned route in the window${maxAt ? ` (${when(maxAt)})` : ''} (maxDistanceKm ${cfg.maxDistanceKm})`, maxAt || null);
    return result(
      this.rule,
      b.length / cfg.sustainMs,
      `beyond ${cfg.maxDistanceKm} km from the planned route from ${when(b.start)} for ${dur(b.length)}, up to ${km(b.peak)} (sustainMs ${dur(cfg.sustainMs)}; back within ${Math.round(cfg.maxDistanceKm * cfg.returnFactor)} km ends it)`,
      b.start,
    );
  },
};
