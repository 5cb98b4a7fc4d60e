import { fmtDuration, fmtKm } from './door-opening.js';
import { defineRule, type Fix, type RuleContext } from './rule.js';
import { placeStop } from './unscheduled-stop.js';

/**
 * RIP_ON_RIP_OFF: the door opens during a stop or port call the plan does not
 * name, stays open a short while, and closes again (drugs put in or taken
 * out). Raised when the door closes, naming the place and the dwell.
 * Openings inside authorised zones, while under way, or that never close are
 * left to the other door rules.
 */
interface Opening {
  ts: number;
  eventId: string;
  anchor: Fix;
}
/**
 * `unplaced`: an opening before any stop was seen, and its close if that came
 * too; a sparse tracker sees a stop only at its second fix in place, which may
 * come after the door opened, or after it closed again.
 */
interface Unplaced {
  ts: number;
  eventId: string;
  close: { ts: number; eventId: string } | null;
}
interface State {
  opening: Opening | null;
  unplaced: Unplaced | null;
}

export const ripOnRipOff = defineRule<State>({
  id: 'RIP_ON_RIP_OFF',
  kinds: ['door', 'location'],
  initialState: () => ({ opening: null, unplaced: null }),
  idle: (s) => s.opening === null && s.unplaced === null,
  // idle (no opening in a stop, none waiting for its stop), a fix or a close finds nothing to go on
  wakes: ['door-opening'],
  onReading(state, r, ctx) {
    const v = ctx.view;
    const waitMs = ctx.rules.doorOpen.fixMaxAgeMs;
    if (r.kind === 'location' && state.unplaced) {
      const u = state.unplaced;
      const anchor = v.inStop ? v.stopAnchor : null;
      // the stop the fix shows had begun by the opening, or within a fix's age of it
      if (anchor && anchor.ts - u.ts <= waitMs) {
        state.unplaced = null;
        if (u.close) return ripped(ctx, { ...u, anchor }, u.close, r.ts);
        state.opening = { ...u, anchor };
      } else if (r.ts - (u.close?.ts ?? u.ts) > waitMs) state.unplaced = null;
      return;
    }
    if (r.kind !== 'door' || !v.doorChanged) return;
    if (r.open) {
      state.opening = null;
      state.unplaced = null;
      const anchor = v.stopAnchor;
      const fix = v.fix;
      // stationary now: the last fix is part of a stop (a sparse tracker's may be an hour or two old;
      // the close must then find the same stop still going on)
      if (!anchor || !fix || !v.inStop || Math.abs(r.ts - fix.ts) > ctx.rules.doorOpen.bracketMaxMs) {
        state.unplaced = { ts: r.ts, eventId: r.eventId, close: null };
        return;
      }
      state.opening = { ts: r.ts, eventId: r.eventId, anchor };
      return;
    }
    if (state.unplaced && !state.unplaced.close) {
      state.unplaced.close = { ts: r.ts, eventId: r.eventId };
      return;
    }
    const o = state.opening;
    state.opening = null;
    if (!o || v.stopAnchor !== o.anchor) return;
    ripped(ctx, o, { ts: r.ts, eventId: r.eventId }, r.ts);
  },
});

/** Raises the pattern for an opening during a stop and its close, unless it was too long or inside an authorised zone. */
function ripped(ctx: RuleContext, o: Opening, close: { ts: number; eventId: string }, detectedAt: number): void {
  const openFor = close.ts - o.ts;
  if (openFor > ctx.rules.ripOnRipOff.maxOpenMs) return;
  // No door has a reason to open outside an authorised zone: anchorages and waiting areas excuse a stop, not an opening.
  if (ctx.zones(o.anchor).inside) return;
  const place = placeStop(o.anchor, ctx);
  const stopSoFar = Math.max(0, close.ts - o.anchor.ts);
  const where = place.unplannedPort
    ? `at ${place.unplannedPort.name}, which the plan does not name`
    : `during a stop outside every authorised zone${place.nearestPort ? ` (nearest port ${place.nearestPort.name}, ${fmtKm(place.nearestPort.km)})` : ''}${place.excusedBy ? `, in the ${place.excusedBy}` : ''}`;
  ctx.raise({
    severity: 'critical',
    incidentKey: o.eventId,
    startedAt: o.ts,
    detectedAt,
    location: { lat: o.anchor.lat, lon: o.anchor.lon },
    summary: `Door opened for ${fmtDuration(openFor)} and closed again ${where}; stopped there for ${fmtDuration(stopSoFar)} so far: rip-on/rip-off pattern`,
    evidence: [o.eventId, close.eventId, o.anchor.eventId],
    details: { openMin: Math.round(openFor / 60000), stopMin: Math.round(stopSoFar / 60000), port: place.unplannedPort?.name ?? null, nearestPort: place.nearestPort?.name ?? null },
  });
}
