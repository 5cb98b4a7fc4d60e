import type { Breach } from '../container.js';
import type { Rng } from '../rng.js';
import { H, MIN, type PlaceContext, type Scenario } from './scenario.js';
import { sailToStop } from './stop-at-sea.js';
import { callStopLabel, placeCallOpening, sailToCall } from './unplanned-call.js';

/**
 * A door opened while stationary outside every authorised zone: half of the
 * time at an unplanned call, the box opened and partly unloaded for hours
 * (3.5-6 h); otherwise at a stop off a planned port (25-70 km, 8-15 h) or at
 * sea (more than 60 km from every planned port, 4.5-12 h), where a boat
 * comes alongside and the door is open for 30 min to 3 h. Either way the
 * stop is an unscheduled stop too (a second label).
 */
export const doorOpenUnauthorisedLocation: Scenario = {
  kind: 'DOOR_OPEN_UNAUTHORISED_LOCATION',
  ownShip: true,
  sail(r, ctx) {
    // (the demo shows each rule at work on its plainest case: the call)
    const where = ctx.demo
      ? 'call'
      : r.weighted([
          ['call', 2],
          ['offPort', 1],
          ['sea', 1],
        ] as const);
    if (where === 'call') return sailToCall(r, ctx, 'DOOR_OPEN_UNAUTHORISED_LOCATION');
    return sailToStop(r, ctx, where === 'offPort', { sea: [4.5, 12], offPort: [8, 15] });
  },
  place: (r, ctx) => (ctx.special?.kind === 'seaStop' ? placeStopOpening(r, ctx) : placeCallOpening(r, 'DOOR_OPEN_UNAUTHORISED_LOCATION', ctx)),
  alsoLabels: callStopLabel,
};

/** The door opens once the ship has been at rest for 30 min or more, and closes 30 min before it gets under way at the latest. */
function placeStopOpening(r: Rng, { sailings, m, lo, hi, demo }: PlaceContext): Breach | null {
  const stop = sailings[0]!.stopWindows.find((w) => w.tag === 'unscheduled');
  if (!stop) return null;
  const open = r.uniform(30 * MIN, 3 * H);
  const room = stop.to - stop.from - open - 60 * MIN;
  if (room <= 0) return null;
  const from = Math.round(stop.from + 30 * MIN + r.uniform(0, room));
  const to = Math.round(from + open);
  if (stop.from < lo - 0.5 * H || stop.to > m.last - 0.5 * H || (demo && from > hi)) return null;
  return { kind: 'DOOR_OPEN_UNAUTHORISED_LOCATION', from, to, port: null, stoppedAt: Math.round(stop.from), leftAt: Math.round(stop.to) };
}
