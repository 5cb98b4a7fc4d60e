import type { Scenario } from './scenario.js';
import { callStopLabel, placeCallOpening, sailToCall } from './unplanned-call.js';

/** An unplanned call where the door is opened for 10-90 min and closed again. */
export const ripOnRipOff: Scenario = {
  kind: 'RIP_ON_RIP_OFF',
  ownShip: true,
  sail: (r, ctx) => sailToCall(r, ctx, 'RIP_ON_RIP_OFF'),
  place: (r, ctx) => placeCallOpening(r, 'RIP_ON_RIP_OFF', ctx),
  alsoLabels: callStopLabel,
};
