import { kmBetween, knots } from '../../geo/distance.js';
import type { Fix } from '../../rules/rule.js';
import { activeSteps, dur, inWindow, km, kn, pos, result, when, type Probe } from './probe.js';

/**
 * LOCATION_JUMP: consecutive fixes the rule compares (the trip under way),
 * the jump ending in the window that came closest to both limits: the lower
 * of distance / minDistanceKm and implied speed / maxSpeedKn. A jump within
 * incidentMs of an earlier one joins that incident (no new alert): said so.
 */
export const locationJumpProbe: Probe = {
  rule: 'LOCATION_JUMP',
  run(input) {
    const cfg = input.rules.locationJump;
    const fixes = activeSteps(input.trace).flatMap((s) => (s.reading.kind === 'location' && s.fix ? [s.fix] : []));
    let best: { score: number; prev: Fix; fix: Fix; km: number; kn: number } | null = null;
    let lastJump: number | null = null;
    let joined: number | null = null;
    for (let i = 1; i < fixes.length; i++) {
      const prev = fixes[i - 1]!;
      const fix = fixes[i]!;
      const d = kmBetween(prev, fix);
      const speed = knots(d, fix.ts - prev.ts);
      const jump = d >= cfg.minDistanceKm && speed > cfg.maxSpeedKn;
      if (inWindow(fix.ts, input)) {
        const score = Math.min(d / cfg.minDistanceKm, speed / cfg.maxSpeedKn);
        if (!best || score > best.score) {
          best = { score, prev, fix, km: d, kn: speed };
          joined = jump && lastJump !== null && fix.ts - lastJump <= cfg.incidentMs ? lastJump : null;
        }
      }
      if (jump) lastJump = fix.ts;
    }
    if (!best) return result(this.rule, 0, 'fewer than two fixes in the window');
    const also = joined !== null ? `; joins the jump incident of ${when(joined)} (incidentMs ${dur(cfg.incidentMs)}): no new alert` : '';
    return result(
      this.rule,
      best.score,
      `largest jump ${km(best.km)} in ${best.fix.ts - best.prev.ts < 60_000 ? `${Math.round((best.fix.ts - best.prev.ts) / 1000)} s` : dur(best.fix.ts - best.prev.ts)} at ${when(best.fix.ts)}, implied ${kn(best.kn)}, from ${pos(best.prev)} to ${pos(best.fix)} (limits: over ${cfg.maxSpeedKn} kn and at least ${cfg.minDistanceKm} km)${also}`,
      best.fix.ts,
    );
  },
};
