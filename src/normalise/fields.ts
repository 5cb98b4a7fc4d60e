import type { ContainerNumberProblem } from '../model/iso6346.js';
import { parseIsoTime } from '../model/time.js';

/**
 * Hot-path versions of the model's field checks, for the decoders: the same
 * answers as `parseIsoTime` and `checkContainerNumber` (property-tested in
 * test/unit/decode-props.test.ts) without a regular expression, a
 * string scan by Date.parse or a per-character object lookup.
 */

const D0 = 48;
const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - D0;
  return c >= 0 && c <= 9 ? c : -1;
};

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * `parseIsoTime` for strings: RFC 3339 UTC (`Z`, optional fraction of 1-9
 * digits, truncated to ms) to ms since the epoch, NaN when it is not one.
 * Dates outside the plain ranges (day 29-31, hour 24, leap seconds) go to
 * `parseIsoTime`, so its (V8's) answer stays the answer.
 */
export function isoTimeMs(s: unknown): number {
  return typeof s === 'string' ? isoTimeMsAt(s, 0, s.length) : Number.NaN;
}

/** `isoTimeMs` of the characters [a, end) of `s`, read in place (a payload scanned without slicing its fields). */
export function isoTimeMsAt(s: string, a: number, end: number): number {
  const len = end - a;
  if (len < 20 || len > 30 || s.charCodeAt(end - 1) !== 90 /* Z */) return Number.NaN;
  if (s.charCodeAt(a + 4) !== 45 || s.charCodeAt(a + 7) !== 45 || s.charCodeAt(a + 10) !== 84 || s.charCodeAt(a + 13) !== 58 || s.charCodeAt(a + 16) !== 58) return Number.NaN;
  // the fourteen digits read in place (end <= s.length: every position is a character); a digit d is 0..9, so d | (9 - d) is negative exactly when one is not a digit
  const y0 = s.charCodeAt(a) - D0;
  const y1 = s.charCodeAt(a + 1) - D0;
  const y2 = s.charCodeAt(a + 2) - D0;
  const y3 = s.charCodeAt(a + 3) - D0;
  const mo0 = s.charCodeAt(a + 5) - D0;
  const mo1 = s.charCodeAt(a + 6) - D0;
  const d0 = s.charCodeAt(a + 8) - D0;
  const d1 = s.charCodeAt(a + 9) - D0;
  const h0 = s.charCodeAt(a + 11) - D0;
  const h1 = s.charCodeAt(a + 12) - D0;
  const mi0 = s.charCodeAt(a + 14) - D0;
  const mi1 = s.charCodeAt(a + 15) - D0;
  const s0 = s.charCodeAt(a + 17) - D0;
  const s1 = s.charCodeAt(a + 18) - D0;
  const any = y0 | y1 | y2 | y3 | mo0 | mo1 | d0 | d1 | h0 | h1 | mi0 | mi1 | s0 | s1;
  const nines = (9 - y0) | (9 - y1) | (9 - y2) | (9 - y3) | (9 - mo0) | (9 - mo1) | (9 - d0) | (9 - d1) | (9 - h0) | (9 - h1) | (9 - mi0) | (9 - mi1) | (9 - s0) | (9 - s1);
  if ((any | nines) < 0) return Number.NaN;
  let ms = 0;
  if (len > 20) {
    if (s.charCodeAt(a + 19) !== 46 /* . */ || len === 21) return Number.NaN;
    for (let i = a + 20; i < end - 1; i++) {
      const c = digit(s, i);
      if (c < 0) return Number.NaN;
      if (i < a + 23) ms = ms * 10 + c;
    }
    if (len === 22) ms *= 100;
    else if (len === 23) ms *= 10;
  }
  const t = plainCivilMs(y0 * 1000 + y1 * 100 + y2 * 10 + y3, mo0 * 10 + mo1, d0 * 10 + d1, h0 * 10 + h1, mi0 * 10 + mi1, s0 * 10 + s1, ms);
  return Number.isNaN(t) ? parseIsoTime(a === 0 && end === s.length ? s : s.slice(a, end)) : t;
}

/**
 * `isoTimeMsAt` of a payload's bytes [a, end) (`end` within it): its
 * character by character twin, each character a byte (an ISO time is ASCII,
 * so a byte above 127 fails it as the character it begins would).
 */
export function isoTimeMsBytes(s: Uint8Array, a: number, end: number): number {
  const len = end - a;
  if (len < 20 || len > 30 || s[end - 1]! !== 90 /* Z */) return Number.NaN;
  if (s[a + 4]! !== 45 || s[a + 7]! !== 45 || s[a + 10]! !== 84 || s[a + 13]! !== 58 || s[a + 16]! !== 58) return Number.NaN;
  // the fourteen digits read in place (end <= s.length: every position is a character); a digit d is 0..9, so d | (9 - d) is negative exactly when one is not a digit
  const y0 = s[a]! - D0;
  const y1 = s[a + 1]! - D0;
  const y2 = s[a + 2]! - D0;
  const y3 = s[a + 3]! - D0;
  const mo0 = s[a + 5]! - D0;
  const mo1 = s[a + 6]! - D0;
  const d0 = s[a + 8]! - D0;
  const d1 = s[a + 9]! - D0;
  const h0 = s[a + 11]! - D0;
  const h1 = s[a + 12]! - D0;
  const mi0 = s[a + 14]! - D0;
  const mi1 = s[a + 15]! - D0;
  const s0 = s[a + 17]! - D0;
  const s1 = s[a + 18]! - D0;
  const any = y0 | y1 | y2 | y3 | mo0 | mo1 | d0 | d1 | h0 | h1 | mi0 | mi1 | s0 | s1;
  const nines = (9 - y0) | (9 - y1) | (9 - y2) | (9 - y3) | (9 - mo0) | (9 - mo1) | (9 - d0) | (9 - d1) | (9 - h0) | (9 - h1) | (9 - mi0) | (9 - mi1) | (9 - s0) | (9 - s1);
  if ((any | nines) < 0) return Number.NaN;
  let ms = 0;
  if (len > 20) {
    if (s[a + 19]! !== 46 /* . */ || len === 21) return Number.NaN;
    for (let i = a + 20; i < end - 1; i++) {
      const c = s[i]! - D0;
      if (c < 0 || c > 9) return Number.NaN;
      if (i < a + 23) ms = ms * 10 + c;
    }
    if (len === 22) ms *= 100;
    else if (len === 23) ms *= 10;
  }
  const t = plainCivilMs(y0 * 1000 + y1 * 100 + y2 * 10 + y3, mo0 * 10 + mo1, d0 * 10 + d1, h0 * 10 + h1, mi0 * 10 + mi1, s0 * 10 + s1, ms);
  return Number.isNaN(t) ? parseIsoTime(String.fromCharCode(...s.subarray(a, end))) : t;
}

/**
 * Milliseconds since the epoch of a UTC date and time whose fields are in
 * the plain ranges (month 1-12, day 1-28, hour 0-23, minute and second
 * 0-59); NaN outside them, where the caller asks `parseIsoTime` instead.
 */
function plainCivilMs(y: number, mo: number, d: number, h: number, mi: number, sec: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 28 || h > 23 || mi > 59 || sec > 59) return Number.NaN;
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms;
}

// Letters take the values 10..38, skipping multiples of 11 (ISO 6346).
const LETTER = new Int8Array(91).fill(-1);
for (let c = 65, v = 10; c <= 90; c++, v++) {
  if (v % 11 === 0) v++;
  LETTER[c] = v;
}

/** `checkContainerNumber`: null when valid, else 'shape' or 'check-digit'. */
export function containerProblem(s: string): ContainerNumberProblem | null {
  if (s.length !== 11) return 'shape';
  let sum = 0;
  for (let i = 0; i < 3; i++) {
    const c = s.charCodeAt(i);
    if (c < 65 || c > 90) return 'shape';
    sum += LETTER[c]! << i;
  }
  const cat = s.charCodeAt(3);
  if (cat !== 85 && cat !== 74 && cat !== 90) return 'shape';
  sum += LETTER[cat]! << 3;
  for (let i = 4; i < 11; i++) {
    const c = digit(s, i);
    if (c < 0) return 'shape';
    if (i < 10) sum += c << i;
  }
  return (sum % 11) % 10 === s.charCodeAt(10) - D0 ? null : 'check-digit';
}
