import { fmtDuration, fmtKm } from './door-opening.js';
import { defineRule } from './rule.js';

/**
 * ROUTE_DEVIATION: farther than 100 km from the planned track (the plan's
 * route, else the sea route between its ports) for 2 h or more, outside the
 * authorised zones. One alert per excursion; the excursion ends when the
 * container is back within 70 % of the threshold.
 */
interface Excursion {
  startTs: number;
  startEventId: string;
  maxKm: number;
  raised: boolean;
}
interface State {
  excursion: Excursion | null;
}
/** The rule's one cell (Rule.cells): the time of the fix it last evaluated. */
const LAST_EVAL_TS = 0;

export const routeDeviation = defineRule<State>({
  id: 'ROUTE_DEVIATION',
  kinds: ['location'],
  initialState: () => ({ excursion: null }),
  idle: (s) => s.excursion === null,
  cells: [-Infinity],
  onReading(state, r, ctx) {
    if (r.kind !== 'location') return;
    const cfg = ctx.rules.routeDeviation;
    const route = ctx.view.plan?.routeIndex;
    if (!route) return;
    // Within an excursion every fix counts; otherwise one fix per interval is enough to notice one.
    if (!state.excursion && r.ts - ctx.cells[ctx.base + LAST_EVAL_TS]! < cfg.evaluateEveryMs) return;
    ctx.cells[ctx.base + LAST_EVAL_TS] = r.ts;
    const fix = ctx.view.fix!;
    // Near the route (the usual case) is decided from the route's cached cell bound: no zone or distance
    // needed, since inside a zone and within the return distance both end any excursion and raise nothing.
    if (route.surelyWithin(fix.lat, fix.lon, cfg.maxDistanceKm * cfg.returnFactor)) {
      state.excursion = null;
      return;
    }
    if (ctx.zones(fix).inside) {
      state.excursion = null;
      return;
    }
    const km = route.nearest(fix.lat, fix.lon)!.km;
    if (km <= cfg.maxDistanceKm * cfg.returnFactor) {
      state.excursion = null;
      return;
    }
    if (km <= cfg.maxDistanceKm && !state.excursion) return;
    const ex = (state.excursion ??= { startTs: fix.ts, startEventId: fix.eventId, maxKm: km, raised: false });
    ex.maxKm = Math.max(ex.maxKm, km);
    if (ex.raised || fix.ts - ex.startTs < cfg.sustainMs) return;
    ex.raised = true;
    ctx.raise({
      severity: ex.maxKm >= 3 * cfg.maxDistanceKm ? 'high' : 'medium',
      incidentKey: ex.startEventId,
      startedAt: ex.startTs,
      detectedAt: fix.ts,
      location: { lat: fix.lat, lon: fix.lon },
      summary: `${fmtKm(km)} from the planned route (up to ${fmtKm(ex.maxKm)}) for ${fmtDuration(fix.ts - ex.startTs)}, limit ${cfg.maxDistanceKm} km`,
      evidence: [ex.startEventId, fix.eventId],
      details: { distanceKm: Math.round(km), maxDistanceKm: Math.round(ex.maxKm), durationMin: Math.round((fix.ts - ex.startTs) / 60000) },
    });
  },
});
