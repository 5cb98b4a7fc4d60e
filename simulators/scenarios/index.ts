import type { ScenarioKind } from '../container.js';
import { doorOpenInTransit } from './door-open-in-transit.js';
import { doorOpenUnauthorisedLocation } from './door-open-unauthorised-location.js';
import { lightWithDoorClosed } from './light-with-door-closed.js';
import { locationGap } from './location-gap.js';
import { locationJump } from './location-jump.js';
import { ripOnRipOff } from './rip-on-rip-off.js';
import { routeDeviation } from './route-deviation.js';
import type { Scenario } from './scenario.js';
import { temperatureAnomaly } from './temperature-anomaly.js';
import { temperatureExcursion } from './temperature-excursion.js';
import { unscheduledStop } from './unscheduled-stop.js';

export type { PlaceContext, Scenario, Special } from './scenario.js';

/** Every scenario by the rule it exercises. */
export const SCENARIOS: Readonly<Record<ScenarioKind, Scenario>> = {
  DOOR_OPEN_IN_TRANSIT: doorOpenInTransit,
  DOOR_OPEN_UNAUTHORISED_LOCATION: doorOpenUnauthorisedLocation,
  LIGHT_WITH_DOOR_CLOSED: lightWithDoorClosed,
  TEMPERATURE_EXCURSION: temperatureExcursion,
  LOCATION_JUMP: locationJump,
  ROUTE_DEVIATION: routeDeviation,
  UNSCHEDULED_STOP: unscheduledStop,
  RIP_ON_RIP_OFF: ripOnRipOff,
  LOCATION_GAP: locationGap,
  TEMPERATURE_ANOMALY: temperatureAnomaly,
};

/** The breach changes the ship's voyage: the container sails on a ship of its own. */
export function ownShip(kind: ScenarioKind | null): boolean {
  return kind !== null && SCENARIOS[kind].ownShip;
}
