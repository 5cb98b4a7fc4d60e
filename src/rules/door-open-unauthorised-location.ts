import { describePlace, fmtDuration, onDoorFixTimer, placedAlert, round1, trackDoorOpenings, type DoorOpeningState, type DoorPlace } from './door-opening.js';
import { defineRule, type RaisedAlert } from './rule.js';

/**
 * DOOR_OPEN_UNAUTHORISED_LOCATION: a door opened while stationary outside
 * every authorised zone; also an opening no fix can place (medium: the
 * analyst should know, but cannot be told where).
 */
function decide(place: DoorPlace, opening: { ts: number; eventId: string }, evidence: string[]): RaisedAlert | null {
  if (place.kind === 'stationary') {
    return placedAlert(place, opening, evidence, 'high', `Door opened while stationary outside every authorised zone, ${describePlace(place)}`, {
      speedKn: place.speedKn === null ? null : round1(place.speedKn),
      distanceToZoneKm: round1(place.zoneKm),
      nearestZone: place.zoneName,
      nearestPort: place.portName,
    });
  }
  if (place.kind === 'unknown') {
    const last = place.lastFix;
    return {
      severity: 'medium',
      incidentKey: opening.eventId,
      startedAt: opening.ts,
      detectedAt: opening.ts,
      location: last ? { lat: last.lat, lon: last.lon } : null,
      summary: last ? `Door opened with no position fix within ${fmtDuration(Math.abs(opening.ts - last.ts))} of it; last known position shown` : 'Door opened and the device has never reported a position on this trip',
      evidence,
      details: { lastFixAgeMin: last ? Math.round((opening.ts - last.ts) / 60000) : null },
    };
  }
  return null;
}

export const doorOpenUnauthorisedLocation = defineRule<DoorOpeningState>({
  id: 'DOOR_OPEN_UNAUTHORISED_LOCATION',
  // no `kinds`: an opening waiting for a fix is given up at any later reading past bracketMaxMs
  initialState: () => ({ pending: null }),
  idle: (s) => s.pending === null,
  // idle (no opening waiting for a fix), only an opening starts anything
  wakes: ['door-opening'],
  onReading: (state, r, ctx) => trackDoorOpenings(state, r, ctx, decide),
  onTimer: (state, _at, _key, ctx) => onDoorFixTimer(state, ctx, decide),
});
