import type { Fix } from '../../rules/rule.js';
import { dur, type ProbeInput } from './probe.js';
import type { Step } from './trace.js';

/** The rule keeps this many recent fix intervals (location-gap.ts). */
const INTERVALS = 9;

type Cfg = ProbeInput['rules']['locationGap'];

/** A silence of every reading, as the rule keeps it to judge (its Silence). */
export interface Silence {
  from: number;
  to: number;
  lastFix: Fix | null;
  lastKn: number | null;
  stopped: boolean;
  door: Step['door'];
  /** History observed before the silence, ms. */
  historyMs: number;
  /** The device's longest quiet before it. */
  longestQuiet: number;
}

/**
 * What LOCATION_GAP knows of the device (its state, rebuilt from the steps of
 * one trip as the rule builds it): fix intervals and the longest quiet, learnt
 * from the yard days on; the last fix and whether it stood in a stop; what
 * came since the last fix.
 */
export interface Device {
  intervals: number[];
  stationaryIntervals: number[];
  lastFix: Fix | null;
  lastKn: number | null;
  lastStopped: boolean;
  othersSinceFix: number;
  quietSinceFix: number;
  firstTs: number;
  lastTs: number;
  lastEventId: string | null;
  lastDoor: Step['door'];
  longestQuiet: number;
  /** The last reading before a silence already dealt with (noticed when it ended, or its timer fired): the rule's raisedSilenceAfter. */
  silencedAfter: string | null;
  /** The last fix whose position gap a silence took up. */
  silencedFix: string | null;
  pending: Silence | null;
  /** The trip's destination reached: the engine fires no more timers. */
  arrived: boolean;
  /** The plan's activeUntil: timers past it do not fire. */
  activeUntil: number;
}

export function newDevice(): Device {
  return {
    intervals: [],
    stationaryIntervals: [],
    lastFix: null,
    lastKn: null,
    lastStopped: false,
    othersSinceFix: 0,
    quietSinceFix: 0,
    firstTs: NaN,
    lastTs: -Infinity,
    lastEventId: null,
    lastDoor: 'unknown',
    longestQuiet: 0,
    silencedAfter: null,
    silencedFix: null,
    pending: null,
    arrived: false,
    activeUntil: Infinity,
  };
}

/** The rule's learn(): the yard days before departure start the device's profile. */
export function learn(d: Device, s: Step): void {
  const ts = s.reading.ts;
  if (Number.isNaN(d.firstTs)) d.firstTs = ts;
  if (Number.isFinite(d.lastTs) && ts - d.lastTs > d.longestQuiet) d.longestQuiet = ts - d.lastTs;
  d.lastTs = ts;
  if (s.reading.kind !== 'location') return;
  const fix = s.fix!;
  if (d.lastFix && fix.ts > d.lastFix.ts) push(d.intervals, fix.ts - d.lastFix.ts);
  d.lastFix = fix;
}

export function push(ring: number[], x: number): void {
  ring.push(x);
  if (ring.length > INTERVALS) ring.shift();
}

/** The rule's median of a ring: the upper median, or with fewer than three the longest (0 with none). */
function median(ring: readonly number[]): number {
  const n = ring.length;
  if (n < 3) return n === 0 ? 0 : Math.max(...ring);
  return [...ring].sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

/** The device kept reporting through a position gap: two other readings or more, and no quiet stretch over half of it. */
export function reportedThrough(d: Device, gap: number): boolean {
  return d.othersSinceFix >= 2 && d.quietSinceFix <= gap / 2;
}

/** max(maxPositionGapMs, gnssDropoutMs + 2 x usual, intervalFactor x usual): the usual interval the median, in a stop the longer of it and the stationary median. */
export function positionGapLimit(d: Device, cfg: Cfg): { ms: number; text: string } {
  const moving = median(d.intervals);
  const standing = median(d.stationaryIntervals);
  const usual = d.lastStopped ? Math.max(moving, standing) : moving;
  const ms = Math.max(cfg.maxPositionGapMs, cfg.gnssDropoutMs + 2 * usual, cfg.intervalFactor * usual);
  const of = d.lastStopped
    ? `usual ${dur(usual)}: in a stop, the longer of the median interval ${dur(moving)} and the stationary ${dur(standing)}`
    : `usual ${dur(usual)}: the median of the last ${d.intervals.length} fix intervals, yard days too`;
  return { ms, text: `${dur(ms)} = max(maxPositionGapMs ${dur(cfg.maxPositionGapMs)}, gnssDropoutMs ${dur(cfg.gnssDropoutMs)} + 2 x usual, intervalFactor ${cfg.intervalFactor} x usual; ${of})` };
}

/** How long without any reading before the rule's timer raises it: 12 h under way, 24 h standing, or intervalFactor x the longest quiet. */
export function timerLimit(d: Device, cfg: Cfg): { ms: number; text: string } {
  const [name, base] = d.lastStopped ? ['maxStationarySilenceMs', cfg.maxStationarySilenceMs] : ['maxUnresumedSilenceMs', cfg.maxUnresumedSilenceMs];
  const ms = Math.max(base, cfg.intervalFactor * d.longestQuiet);
  return { ms, text: `${dur(ms)} = max(${name} ${dur(base)}${d.lastStopped ? ', standing in a stop' : ''}, intervalFactor ${cfg.intervalFactor} x longest quiet ${dur(d.longestQuiet)})` };
}
