import { fmtDuration, fmtKm } from './door-opening.js';
import { kmBetween } from '../geo/distance.js';
import { defineRule, type Fix, type RuleContext } from './rule.js';

/**
 * UNSCHEDULED_STOP: stationary (within 2 km, under 1.5 kn) for 3 h or more
 * outside every authorised zone, away from the anchorages of the planned
 * ports and from canal and strait waiting areas. Near a port the plan does not
 * name it is an unplanned port call (high); elsewhere a stop at sea or on land
 * (medium). One alert per stop.
 */
interface State { raisedFor: string | null; excusedFor: string | null }

export interface StopPlace {
  /** Why the stop is legitimate, if it is. */
  excusedBy: string | null;
  unplannedPort: { name: string; km: number } | null;
  nearestPort: { name: string; km: number } | null;
}

/** Where a stop is, for this rule and RIP_ON_RIP_OFF. */
export function placeStop(anchor: Fix, ctx: RuleContext): StopPlace {
  const cfg = ctx.rules.unscheduledStop;
  const zones = ctx.zones(anchor);
  const plan = ctx.view.plan;
  const nearest = ctx.ports.nearest(anchor.lat, anchor.lon);
  const nearestPort = nearest ? { name: `${nearest.port.name} (${nearest.port.locode})`, km: nearest.distanceKm } : null;
  const planned = new Set(plan?.plannedLocodes ?? []);
  let unplannedPort = nearest && !planned.has(nearest.port.locode) && nearest.distanceKm <= cfg.portCallKm ? nearestPort : null;
  if (zones.inside) return { excusedBy: `inside ${zones.inside.name}`, unplannedPort: null, nearestPort };
  // Ports crowd together (Shekou, Yantian, Hong Kong): waiting in a planned port's anchorage that
  // happens to lie near another port is waiting, unless the stop is at that other port's quays.
  if (unplannedPort && unplannedPort.km > cfg.portQuayKm && (plan?.plannedPorts ?? []).some((p) => kmBetween(p, anchor) <= cfg.plannedPortAnchorageKm)) unplannedPort = null;
  if (!unplannedPort) {
    for (const p of plan?.plannedPorts ?? []) if (kmBetween(p, anchor) <= cfg.plannedPortAnchorageKm) return { excusedBy: `anchorage of planned port ${p.name}`, unplannedPort, nearestPort };
    for (const w of cfg.waitingAreas) if ((!w.locode || planned.has(w.locode)) && kmBetween(w, anchor) <= w.radiusKm) return { excusedBy: w.name, unplannedPort, nearestPort };
  }
  return { excusedBy: null, unplannedPort, nearestPort };
}

export const unscheduledStop = defineRule<State>({
  id: 'UNSCHEDULED_STOP',
  initialState: () => ({ raisedFor: null, excusedFor: null }),
  onReading(state, r, ctx) {
    if (r.kind !== 'location') return;
    const anchor = ctx.view.stopAnchor;
    if (!anchor || anchor.eventId === state.raisedFor || anchor.eventId === state.excusedFor) return;
    const fix = ctx.view.fix!;
    const dwell = fix.ts - anchor.ts;
    if (dwell < ctx.rules.unscheduledStop.minStopMs) return;
    const place = placeStop(anchor, ctx);
    if (place.excusedBy) {
      state.excusedFor = anchor.eventId; // the place of a stop does not change while it lasts
      return;
    }
    state.raisedFor = anchor.eventId;
    const where = place.unplannedPort
      ? `at ${place.unplannedPort.name}, a port the plan does not name (${fmtKm(place.unplannedPort.km)} away)`
      : `outside every authorised zone${place.nearestPort ? `, nearest port ${place.nearestPort.name} ${fmtKm(place.nearestPort.km)} away` : ''}`;
    ctx.raise({
      severity: place.unplannedPort ? 'high' : 'medium',
      incidentKey: anchor.eventId,
      startedAt: anchor.ts,
      detectedAt: fix.ts,
      location: { lat: anchor.lat, lon: anchor.lon },
      summary: `Stationary for ${fmtDuration(dwell)} ${where}`,
      evidence: [anchor.eventId, fix.eventId],
      details: { stopMin: Math.round(dwell / 60000), nearestPort: place.nearestPort?.name ?? null, nearestPortKm: place.nearestPort ? Math.round(place.nearestPort.km * 10) / 10 : null, unplannedPortCall: place.unplannedPort !== null },
    });
  },
});
