import { describePlace, onDoorFixTimer, placedAlert, round1, trackDoorOpenings, type DoorOpeningState, type DoorPlace } from './door-opening.js';
import { defineRule, type RaisedAlert } from './rule.js';

/** DOOR_OPEN_IN_TRANSIT: a door opened while moving or at sea, outside every authorised zone. */
function decide(place: DoorPlace, opening: { ts: number; eventId: string }, evidence: string[]): RaisedAlert | null {
  if (place.kind !== 'transit') return null;
  const what = place.atSea ? 'Door opened at sea' : 'Door opened while moving';
  return placedAlert(place, opening, evidence, 'critical', `${what}, ${describePlace(place)}`, {
    speedKn: place.speedKn === null ? null : round1(place.speedKn),
    atSea: place.atSea,
    distanceToZoneKm: round1(place.zoneKm),
    nearestZone: place.zoneName,
    nearestPort: place.portName,
    nearestPortKm: place.portKm === null ? null : round1(place.portKm),
  });
}

export const doorOpenInTransit = defineRule<DoorOpeningState>({
  id: 'DOOR_OPEN_IN_TRANSIT',
  // no `kinds`: an opening waiting for a fix is given up at any later reading past bracketMaxMs
  initialState: () => ({ pending: null }),
  idle: (s) => s.pending === null,
  // idle (no opening waiting for a fix), only an opening starts anything
  wakes: ['door-opening'],
  onReading: (state, r, ctx) => trackDoorOpenings(state, r, ctx, decide),
  onTimer: (state, _at, _key, ctx) => onDoorFixTimer(state, ctx, decide),
});
