import type { Scenario } from './scenario.js';
import { callStopLabel, placeCallOpening } from './unplanned-call.js';

/** An unplanned call where the box is opened and partly unloaded for hours (3.5-6 h). */
export const doorOpenUnauthorisedLocation: Scenario = {
  kind: 'DOOR_OPEN_UNAUTHORISED_LOCATION',
  ownShip: true,
  place: (r, ctx) => placeCallOpening(r, 'DOOR_OPEN_UNAUTHORISED_LOCATION', ctx),
  alsoLabels: callStopLabel,
};
