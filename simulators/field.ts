import type { Breach, ContainerModel } from './container.js';
import type { Rng } from './rng.js';

/**
 * A container's normal field character: the things real boxes do that look
 * like trouble to a naive eye, drawn once per container.
 *
 * - Reefer defrost: every 6-12 h the unit heats its evaporator coil for
 *   20-40 min to melt the ice; the air it blows lifts 2-6 C and comes back.
 * - Vents and door seals: a dry box with vents (or a worn gasket) lets a few
 *   lux in by day, single digits, when the sun can reach it (in a yard or on
 *   deck; nothing below deck).
 * - Stowage: below deck, or deep in a stack, the GNSS antenna loses the sky
 *   now and then (15 min to about 2 h) while the other sensors go on; a box
 *   on top of a deck stack hardly ever does.
 * - Multipath: among cranes, steel stacks and quay walls a GNSS receiver's
 *   fix is pulled hundreds of metres off for a few fixes at a time, with a
 *   high dilution of precision (how often: once every 3-12 h in port).
 */
export interface FieldCharacter {
  /** Highest daylight lux leaking into the closed box; 0: tight. */
  ventLeakLux: number;
  belowDeck: boolean;
  /** Windows without a GNSS fix (true time), sorted. */
  gnssDropouts: Array<{ from: number; to: number }>;
  /** Mean time between multipath bursts while in port, ms. */
  multipathEveryMs: number;
}

const H = 3_600_000;
const MIN = 60_000;

export function drawField(r: Rng, first: number, last: number): FieldCharacter {
  const belowDeck = r.chance(0.5);
  const ventLeakLux = r.chance(0.4) ? r.uniform(2, 9.4) : 0;
  const gnssDropouts: FieldCharacter['gnssDropouts'] = [];
  // below deck: one every 6-30 h on average; on deck: one in two days at most, and a quarter of boxes never
  const meanGapH = belowDeck ? r.uniform(6, 30) : r.chance(0.25) ? Infinity : r.uniform(30, 60);
  if (Number.isFinite(meanGapH)) {
    for (let t = first + -Math.log(1 - r.next()) * meanGapH * H; t < last; ) {
      // mostly short; a few close to two hours
      const len = (15 + 105 * r.next() ** 1.5) * MIN;
      gnssDropouts.push({ from: Math.round(t), to: Math.round(t + len) });
      // between two dropouts the box sees the sky for a while (a dropout is a short one, not a long one in pieces)
      t += len + 2 * H + -Math.log(1 - r.next()) * meanGapH * H;
    }
  }
  return { ventLeakLux, belowDeck, gnssDropouts, multipathEveryMs: r.uniform(3, 12) * H };
}

/** Defrost cycles of a reefer over its reporting window (none across an injected excursion, to keep that one's shape). */
export function drawDefrosts(r: Rng, first: number, last: number, breach: Breach | null): ContainerModel['defrosts'] {
  const period = r.uniform(6, 12) * H;
  const out: ContainerModel['defrosts'] = [];
  const avoid = breach && breach.kind === 'TEMPERATURE_EXCURSION' ? { from: breach.start - H, to: breach.start + breach.rise + breach.plateau + breach.fall + H } : null;
  for (let t = first - r.uniform(0, period); t < last; t += period * r.uniform(0.9, 1.1)) {
    const dur = r.uniform(20, 40) * MIN;
    if (avoid && t + dur > avoid.from && t < avoid.to) continue;
    out.push({ start: Math.round(t), dur, amp: r.uniform(2, 6) });
  }
  return out;
}

/** Inside a GNSS dropout at true time t. */
export function inDropout(f: FieldCharacter, t: number): boolean {
  for (const d of f.gnssDropouts) {
    if (t < d.from) return false;
    if (t < d.to) return true;
  }
  return false;
}
