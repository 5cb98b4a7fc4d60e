import { fmtDuration, fmtKm } from './door-opening.js';
import { kmAtMost, kmBetween, knots } from '../geo/distance.js';
import { defineRule, type Fix } from './rule.js';

/**
 * LOCATION_JUMP: consecutive positions that imply an impossible speed (GNSS
 * spoofing or a swapped device). Containers move at most at road or rail
 * speed (~130 km/h, 70 kn); the limit is 80 kn, and a jump must also exceed
 * 5 km so multipath error in a stack yard (tens to hundreds of metres) can
 * never pass for one. Jumps within 6 h of the last belong to one incident.
 */
interface State {
  last: Fix | null;
  incident: { key: string; lastJumpTs: number } | null;
}

export const locationJump = defineRule<State>({
  id: 'LOCATION_JUMP',
  kinds: ['location'],
  initialState: () => ({ last: null, incident: null }),
  onReading(state, r, ctx) {
    if (r.kind !== 'location') return;
    const cfg = ctx.rules.locationJump;
    const prev = state.last;
    const fix = ctx.view.fix!;
    state.last = fix;
    if (!prev) return;
    const dt = fix.ts - prev.ts;
    // most fixes are a ship's or a truck's few km on: a bound says so without the great circle's trigonometry
    const most = kmAtMost(prev, fix);
    if (most < cfg.minDistanceKm || knots(most, dt) <= cfg.maxSpeedKn) return;
    const km = kmBetween(prev, fix);
    const kn = knots(km, dt);
    if (km < cfg.minDistanceKm || kn <= cfg.maxSpeedKn) return;
    if (state.incident && fix.ts - state.incident.lastJumpTs <= cfg.incidentMs) {
      state.incident.lastJumpTs = fix.ts;
      return;
    }
    state.incident = { key: fix.eventId, lastJumpTs: fix.ts };
    ctx.raise({
      severity: 'high',
      incidentKey: fix.eventId,
      startedAt: fix.ts,
      detectedAt: fix.ts,
      location: { lat: prev.lat, lon: prev.lon },
      summary: `Position jumped ${fmtKm(km)} in ${dt < 60000 ? `${Math.round(dt / 1000)} s` : fmtDuration(dt)} (implied ${Number.isFinite(kn) ? Math.round(kn).toLocaleString('en') : 'infinite'} kn, limit ${cfg.maxSpeedKn} kn) from ${fmtPos(prev)} to ${fmtPos(fix)}: possible GNSS spoofing; last trusted position shown`,
      evidence: [prev.eventId, fix.eventId],
      details: { jumpKm: Math.round(km * 10) / 10, impliedKn: Number.isFinite(kn) ? Math.round(kn) : null, toLat: fix.lat, toLon: fix.lon },
    });
  },
});

function fmtPos(f: { lat: number; lon: number }): string {
  return `${Math.abs(f.lat).toFixed(3)}°${f.lat >= 0 ? 'N' : 'S'} ${Math.abs(f.lon).toFixed(3)}°${f.lon >= 0 ? 'E' : 'W'}`;
}
