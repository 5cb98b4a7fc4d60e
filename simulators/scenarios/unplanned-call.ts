import type { Breach } from '../container.js';
import type { Rng } from '../rng.js';
import { H, MIN, type PlaceContext } from './scenario.js';

/**
 * The unplanned call both door scenarios share: berthed at a port the plan
 * does not name (made in fleet.ts's makeSailings); the door opens once the
 * box can be reached, 20-60 min after the ship is alongside. A rip-on/rip-off
 * is a bag put in or taken out (10-90 min); the other is part of the cargo
 * unloaded by hand (3.5-6 h).
 */
export function placeCallOpening(r: Rng, kind: 'DOOR_OPEN_UNAUTHORISED_LOCATION' | 'RIP_ON_RIP_OFF', { sailings, special, m, lo, hi, demo }: PlaceContext): Breach | null {
  const stop = sailings[0]!.stopWindows.find((w) => w.tag === 'call');
  if (!stop || special?.kind !== 'call') return null;
  const openAt = Math.round(stop.from + r.uniform(20, 60) * MIN);
  const room = stop.to - 20 * MIN - openAt;
  const open = kind === 'RIP_ON_RIP_OFF' ? r.uniform(10, 90) * MIN : r.uniform(3.5 * H, Math.max(3.5 * H, Math.min(6 * H, room)));
  const closeAt = Math.round(openAt + open);
  if (closeAt > stop.to - 20 * MIN) return null;
  if (stop.from < lo - 0.5 * H || stop.to > m.last - 0.5 * H || (demo && openAt > hi)) return null;
  return { kind, from: openAt, to: closeAt, port: special.port, stoppedAt: Math.round(stop.from), leftAt: Math.round(stop.to) };
}

/** An unplanned call of hours is also an unscheduled stop, from berthed to leaving. */
export function callStopLabel(b: Breach): Array<{ rule: 'UNSCHEDULED_STOP'; from: number; to: number }> {
  return b.kind === 'DOOR_OPEN_UNAUTHORISED_LOCATION' || b.kind === 'RIP_ON_RIP_OFF' ? [{ rule: 'UNSCHEDULED_STOP', from: b.stoppedAt, to: b.leftAt }] : [];
}
