import { fmtDuration, fmtKm } from './door-opening.js';
import { kmBetween } from '../geo/distance.js';
import type { CompiledPlan } from '../trips/compile.js';
import { defineRule, type Fix, type RuleContext } from './rule.js';

/**
 * UNSCHEDULED_STOP: stationary (within 2 km, no way on: stop-tracker.ts) for
 * 4 h or more outside every authorised zone. Not raised for waiting just off
 * an authorised zone (pilot boarding, the anchorage off a harbour), nor in a
 * charted anchorage of a planned port or a canal or strait waiting area the
 * route passes through, for as long as waits there usually take. Near a port
 * the plan does not name it is an unplanned port call (high); elsewhere a stop
 * at sea or off a coast, a wait longer than usual, or a wait during which
 * the door was opened (medium). One alert per stop.
 */
/** `openedIn`: the stop (its anchor's event id) during which the door was opened. */
interface State {
  raisedFor: string | null;
  placeFor: string | null;
  place: StopPlace | null;
  openedIn: string | null;
}

export interface StopPlace {
  /** Why the stop is legitimate, if it is. */
  excusedBy: string | null;
  /** How long the excuse holds (a queue takes so long); Infinity when it always does. */
  excusedForMs: number;
  /** Inside an authorised zone: the one place a door may open during a stop. */
  authorised: boolean;
  unplannedPort: { name: string; km: number } | null;
  nearestPort: { name: string; km: number } | null;
}

type Cfg = RuleContext['rules']['unscheduledStop'];
type WaitingArea = Cfg['waitingAreas'][number];

/** The first waiting area that holds the point and applies to this plan: its port is planned, or its route passes through it. */
function waitingArea(at: Fix, plan: CompiledPlan | null, cfg: Cfg): WaitingArea | null {
  for (const w of cfg.waitingAreas) {
    if (kmBetween(w, at) > w.radiusKm) continue;
    const planned = plan?.plannedLocodes ?? [];
    const ports = w.locodes ?? (w.locode ? [w.locode] : null);
    if (ports ? ports.some((p) => planned.includes(p)) : routePasses(plan, w)) return w;
  }
  return null;
}

/** Without a known track every area counts: nothing says the ship is off its way. */
function routePasses(plan: CompiledPlan | null, w: WaitingArea): boolean {
  const route = plan?.routeIndex;
  if (!route) return true;
  const n = route.nearest(w.lat, w.lon);
  return n === null || n.km <= w.radiusKm;
}

/** Where a stop is, for this rule and RIP_ON_RIP_OFF. */
export function placeStop(anchor: Fix, ctx: RuleContext): StopPlace {
  const cfg = ctx.rules.unscheduledStop;
  const zones = ctx.zones(anchor);
  const plan = ctx.view.plan;
  const nearest = ctx.ports.nearest(anchor.lat, anchor.lon);
  const nearestPort = nearest ? { name: `${nearest.port.name} (${nearest.port.locode})`, km: nearest.distanceKm } : null;
  if (zones.inside) return { excusedBy: `inside ${zones.inside.name}`, excusedForMs: Infinity, authorised: true, unplannedPort: null, nearestPort };
  const planned = plan?.plannedLocodes ?? [];
  let unplannedPort = nearest && !planned.includes(nearest.port.locode) && nearest.distanceKm <= cfg.portCallKm ? nearestPort : null;
  const area = waitingArea(anchor, plan, cfg);
  const waitFor = area?.maxWaitMs ?? cfg.waitingAreaMaxWaitMs;
  // A canal's own terminals are part of its queue while the route runs through the canal.
  if (unplannedPort && area?.passage) return { excusedBy: `${area.name}, on the planned route`, excusedForMs: waitFor, authorised: false, unplannedPort: null, nearestPort };
  const approaching = zones.nearest !== null && zones.nearestKm <= cfg.zoneApproachKm;
  // Ports crowd together (Shekou, Yantian, Hong Kong; Singapore's anchorages): waiting off an
  // authorised zone, or in a waiting area on the way, that happens to lie near another port is
  // waiting, unless the stop is at that other port's quays.
  if (unplannedPort && unplannedPort.km > cfg.portQuayKm && (approaching || area)) unplannedPort = null;
  if (unplannedPort) return { excusedBy: null, excusedForMs: 0, authorised: false, unplannedPort, nearestPort };
  if (approaching) return { excusedBy: `${fmtKm(zones.nearestKm)} off ${zones.nearest!.name}, waiting to enter`, excusedForMs: Infinity, authorised: false, unplannedPort: null, nearestPort };
  if (area) return { excusedBy: area.name, excusedForMs: waitFor, authorised: false, unplannedPort: null, nearestPort };
  return { excusedBy: null, excusedForMs: 0, authorised: false, unplannedPort: null, nearestPort };
}

export const unscheduledStop = defineRule<State>({
  id: 'UNSCHEDULED_STOP',
  kinds: ['door', 'location'],
  initialState: () => ({ raisedFor: null, placeFor: null, place: null, openedIn: null }),
  idle: (s) => s.raisedFor === null && s.placeFor === null && s.place === null && s.openedIn === null,
  onReading(state, r, ctx) {
    const v = ctx.view;
    // Nobody opens a box while queueing: a door opened during a stop takes its excuse away.
    if (r.kind === 'door' && r.open && v.doorChanged && v.stopAnchor) state.openedIn = v.stopAnchor.eventId;
    if (r.kind !== 'location') return;
    const anchor = v.stopAnchor;
    if (!anchor || !v.inStop || anchor.eventId === state.raisedFor) return;
    const fix = v.fix!;
    const dwell = fix.ts - anchor.ts;
    if (dwell < ctx.rules.unscheduledStop.minStopMs) return;
    // the place of a stop does not change while it lasts
    if (state.placeFor !== anchor.eventId) {
      state.placeFor = anchor.eventId;
      state.place = placeStop(anchor, ctx);
    }
    const place = state.place!;
    const opened = state.openedIn === anchor.eventId && !place.authorised;
    if (place.excusedBy && dwell < place.excusedForMs && !opened) return;
    state.raisedFor = anchor.eventId;
    const where = place.unplannedPort
      ? `at ${place.unplannedPort.name}, a port the plan does not name (${fmtKm(place.unplannedPort.km)} away)`
      : place.excusedBy && opened
        ? `(${place.excusedBy}), and the door was opened during the stop`
        : place.excusedBy
          ? `in the ${place.excusedBy}, longer than the ${fmtDuration(place.excusedForMs)} a wait there usually takes`
          : `outside every authorised zone${place.nearestPort ? `, nearest port ${place.nearestPort.name} ${fmtKm(place.nearestPort.km)} away` : ''}`;
    ctx.raise({
      severity: place.unplannedPort ? 'high' : 'medium',
      incidentKey: anchor.eventId,
      startedAt: anchor.ts,
      detectedAt: fix.ts,
      location: { lat: anchor.lat, lon: anchor.lon },
      summary: `Stationary for ${fmtDuration(dwell)} ${where}`,
      evidence: [anchor.eventId, fix.eventId],
      details: {
        doorOpened: opened,
        stopMin: Math.round(dwell / 60000),
        nearestPort: place.nearestPort?.name ?? null,
        nearestPortKm: place.nearestPort ? Math.round(place.nearestPort.km * 10) / 10 : null,
        unplannedPortCall: place.unplannedPort !== null,
        waitingArea: place.excusedBy,
      },
    });
  },
});
