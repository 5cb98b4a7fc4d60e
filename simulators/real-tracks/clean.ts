import { bearingDeg, haversineKm, KM_PER_NM } from '../../src/geo/distance.js';
import type { AisFix } from './source.js';

/**
 * From the raw AIS fixes of one vessel to a track fit to stand for a
 * tracker's GNSS: time-ordered, one fix per timestamp, AIS glitches removed,
 * a speed over ground at each fix. AIS has failure modes a container's GNSS
 * tracker does not (a garbled message decoding to a position far away, two
 * transponders sending under one MMSI); a tracker has its own, which the
 * breach variant and the simulator model separately.
 */
export interface TrackFix extends AisFix {
  /** Speed over ground from the previous fix (kn), when that fix is recent enough to tell; null otherwise. */
  sogKn: number | null;
  /** Course from the previous fix (degrees), when the vessel moved enough to have one. */
  cogDeg: number | null;
}

export type CleanResult = { ok: true; fixes: TrackFix[]; glitches: number; glitchFixes: number } | { ok: false; reason: CleanReject };

export type CleanReject = 'glitchy' | 'two-vessels-one-mmsi' | 'high-speed-craft' | 'too-few-fixes';

/** Faster than any merchant ship and any container on land: a step this fast over more than JUMP_KM is an AIS glitch. */
const GLITCH_KN = 50;
const JUMP_KM = 2;
/** Speeds need a recent previous fix: over longer intervals the straight line is not the path. */
const SOG_MAX_INTERVAL_MS = 15 * 60_000;
const SOG_MIN_INTERVAL_MS = 20_000;
/** A tenth of the moving fixes above this: a high-speed craft (fast ferry, pilot or patrol boat); no cargo ship sails that fast. */
const HIGH_SPEED_KN = 30;
/** More glitches than this share of the fixes (one is always forgiven): a receiver or transponder not to be trusted. */
const MAX_GLITCH_SHARE = 0.01;
/** The longest burst of bad fixes taken for a glitch (AIS garbles a few reports in a row at the edge of a receiver's range). */
const GLITCH_RUN = 5;

const km = (a: AisFix, b: AisFix): number => haversineKm([a.lon, a.lat], [b.lon, b.lat]);
const kn = (a: AisFix, b: AisFix): number => (b.t === a.t ? Infinity : km(a, b) / KM_PER_NM / ((b.t - a.t) / 3_600_000));
const impossible = (a: AisFix, b: AisFix): boolean => km(a, b) > JUMP_KM && kn(a, b) > GLITCH_KN;

export function cleanTrack(raw: readonly AisFix[], minFixes: number): CleanResult {
  const sorted = raw
    .filter((f) => !(f.lat === 0 && f.lon === 0))
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.t - b.f.t || a.i - b.i)
    .map((x) => x.f);
  // one fix per second: AIS often repeats a report through two receivers
  const unique: AisFix[] = [];
  for (const f of sorted) if (unique.length === 0 || f.t !== unique[unique.length - 1]!.t) unique.push(f);
  if (unique.length < minFixes) return { ok: false, reason: 'too-few-fixes' };

  // A glitch: a burst of at most GLITCH_RUN fixes impossible to reach from the last good fix,
  // after which the track carries on from that fix. A jump the next GLITCH_RUN fixes all
  // confirm is two vessels under one MMSI, or a broken receiver: the track cannot be trusted
  // (unless what came before it is the short burst: then the track starts after it).
  let kept: AisFix[] = [unique[0]!];
  let glitches = 0;
  let glitchFixes = 0;
  for (let i = 1; i < unique.length; ) {
    const f = unique[i]!;
    const last = kept[kept.length - 1]!;
    if (!impossible(last, f)) {
      kept.push(f);
      i++;
      continue;
    }
    let back = i + 1;
    while (back < unique.length && back <= i + GLITCH_RUN && impossible(last, unique[back]!)) back++;
    if (back >= unique.length || back > i + GLITCH_RUN) {
      if (kept.length > GLITCH_RUN) return { ok: false, reason: 'two-vessels-one-mmsi' };
      glitches++;
      glitchFixes += kept.length;
      kept = [f];
      i++;
      continue;
    }
    glitches++;
    glitchFixes += back - i;
    i = back;
  }
  if (glitches > Math.max(1, MAX_GLITCH_SHARE * unique.length)) return { ok: false, reason: 'glitchy' };

  const fixes: TrackFix[] = kept.map((f, i) => {
    const prev = i > 0 ? kept[i - 1]! : null;
    const dt = prev ? f.t - prev.t : Infinity;
    const sogKn = prev && dt >= SOG_MIN_INTERVAL_MS && dt <= SOG_MAX_INTERVAL_MS ? kn(prev, f) : null;
    const cogDeg = prev && sogKn !== null && km(prev, f) > 0.05 ? bearingDeg([prev.lon, prev.lat], [f.lon, f.lat]) : null;
    return { t: f.t, lon: f.lon, lat: f.lat, sogKn, cogDeg };
  });
  const moving = fixes
    .map((f) => f.sogKn)
    .filter((s): s is number => s !== null && s > 3)
    .sort((a, b) => a - b);
  if (moving.length >= 10 && moving[Math.floor(0.9 * moving.length)]! > HIGH_SPEED_KN) return { ok: false, reason: 'high-speed-craft' };
  return { ok: true, fixes, glitches, glitchFixes };
}
