/**
 * A scanner for the one JSON shape the hot path sees most: a flat object of
 * known keys whose values are plain ASCII strings (no escapes) or plain
 * numbers. It reads the members in place in the payload's bytes (string
 * values as positions, numbers as doubles), without the payload's text or the
 * document `JSON.parse` would build, and it is
 * sure or it gives up: anything else (an unknown or repeated key, an escape,
 * a character outside printable ASCII, a nested value, true/false/null, an
 * exponent, more than 15 significant digits, a syntax error) answers -1 and
 * the caller parses with `JSON.parse` as before. What it accepts, `JSON.parse`
 * accepts (of the payload as UTF-8 text) with the same members and values
 * (property-tested in test/unit/decode-scan.test.ts). Every byte it reads
 * character by character is ASCII, so there the bytes are the text and the
 * positions its positions; a member it only delimits (`checkedLater`) the
 * caller must check byte by byte.
 *
 * Numbers: at most 15 significant digits make an exact integer mantissa m
 * (below 2^53), and m / 10^f for f <= 22 is one correctly rounded division of
 * two exact doubles, so it is the double nearest the decimal: what
 * `JSON.parse` gives (Clinger's fast path).
 */

/** Where a scan leaves the members it read, indexed by the key's place in the key table. */
export class FlatMembers {
  /** Bit k: key k was present. */
  present = 0;
  /** Bit k: key k's value was a string (else a number). */
  strings = 0;
  /** String values: [start, end) of the bytes inside the quotes. */
  readonly start = new Int32Array(32);
  readonly end = new Int32Array(32);
  /** Number values. */
  readonly num = new Float64Array(32);
}

const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const COLON = 58;
const OPEN = 123;
const CLOSE = 125;
const D0 = 48;

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

export function skipWs(s: Uint8Array, i: number): number {
  for (;;) {
    const c = s[i]!;
    if (c > 32 || (c !== 32 && c !== 10 && c !== 13 && c !== 9)) return i;
    i++;
  }
}

/** 1 for the bytes a string may hold as they are (printable ASCII but the quote and the backslash), else 0. */
const PLAIN = new Uint8Array(256);
for (let c = 32; c < 128; c++) PLAIN[c] = c === QUOTE || c === 92 ? 0 : 1;

/** The closing quote of a string whose text starts at i, or -1 when it holds an escape, a control or non-ASCII character, or does not end. */
export function stringEnd(s: Uint8Array, i: number): number {
  const n = s.length;
  while (i < n && PLAIN[s[i]!] === 1) i++;
  return i < n && s[i] === QUOTE ? i : -1;
}

/** Whether the bytes from a are the ASCII key (the caller checked that it fits). */
export function sameAt(s: Uint8Array, a: number, key: string): boolean {
  const n = key.length;
  for (let j = 0; j < n; j++) if (s[a + j] !== key.charCodeAt(j)) return false;
  return true;
}

/** Whether the bytes from a are `codes` (n of them; the caller checked that they fit). */
export function sameCodes(s: Uint8Array, a: number, codes: Uint8Array, n: number): boolean {
  for (let j = 0; j < n; j++) if (s[a + j] !== codes[j]) return false;
  return true;
}

/** An ASCII text's character codes, to compare with bytes (`sameCodes`): cheaper than its charCodeAt, a string's every read checks its representation. */
export function asciiCodes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** The key tables' codes (`asciiCodes` of each key), made once per table; the last table's kept at hand. */
const tableCodes = new WeakMap<readonly string[], readonly Uint8Array[]>();
let lastTable: readonly string[] | null = null;
let lastCodes: readonly Uint8Array[] = [];
function codesOf(keys: readonly string[]): readonly Uint8Array[] {
  if (keys === lastTable) return lastCodes;
  let codes = tableCodes.get(keys);
  if (codes === undefined) {
    codes = keys.map(asciiCodes);
    tableCodes.set(keys, codes);
  }
  lastTable = keys;
  lastCodes = codes;
  return codes;
}
const NO_KEY = new Uint8Array(0);

/** The first quote from i, -1 for none (a loop: Buffer's indexOf is a call into C++). */
function quoteFrom(s: Uint8Array, i: number): number {
  const n = s.length;
  for (; i < n; i++) if (s[i] === QUOTE) return i;
  return -1;
}

/** The key table's index of the key s[a, a + len), -1 for none. */
function keyIndex(s: Uint8Array, a: number, len: number, codes: readonly Uint8Array[]): number {
  for (let k = 0; k < codes.length; k++) {
    const key = codes[k]!;
    if (key.length === len && sameCodes(s, a, key, len)) return k;
  }
  return -1;
}

/** Reads the number at i into out.num[k]; the index after it, or -1 when it is not one this scanner is sure of. */
function scanNumber(s: Uint8Array, i: number, out: FlatMembers, k: number): number {
  const neg = s[i]! === MINUS;
  if (neg) i++;
  let m = 0;
  let digits = 0;
  let c = s[i]! - D0;
  if (c === 0) {
    i++;
    c = s[i]! - D0;
    if (c >= 0 && c <= 9) return -1; // a leading zero: not JSON
  } else if (c >= 1 && c <= 9) {
    do {
      m = m * 10 + c;
      digits++;
      c = s[++i]! - D0;
    } while (c >= 0 && c <= 9);
  } else return -1;
  let f = 0;
  if (s[i]! === DOT) {
    const f0 = ++i;
    for (c = s[i]! - D0; c >= 0 && c <= 9; c = s[++i]! - D0) m = m * 10 + c;
    f = i - f0;
    if (f === 0) return -1;
    digits += f;
  }
  if (digits > 15) return -1;
  const e = s[i]!;
  if (e === 101 || e === 69) return -1; // an exponent: JSON.parse's to read
  const v = m / POW10[f]!;
  out.num[k] = neg ? -v : v;
  return i;
}

/**
 * Scans the whole of `s` as one flat object whose keys are all in `keys` (at
 * most 31), into `out`. True when it is sure; false: parse it the usual way.
 * Keys are tried in table order first (the order writers use). A string
 * member whose bit is set in `checkedLater` is only delimited (up to the
 * next quote), not read: the caller must refuse it unless it passes a check
 * that admits only printable ASCII without backslashes (a container number,
 * an ISO time); every other string is read character by character.
 */
export function scanFlatObject(s: Uint8Array, keys: readonly string[], checkedLater: number, out: FlatMembers): boolean {
  const end = scanFlatObjectAt(s, skipWs(s, 0), keys, checkedLater, out);
  return end >= 0 && skipWs(s, end) === s.length;
}

/**
 * `scanFlatObject` of the one flat object whose `{` is at i, inside a larger
 * text (a batch's event, say): the index just after its `}`, or -1 when the
 * scanner is not sure of it. What follows the object is not looked at.
 */
export function scanFlatObjectAt(s: Uint8Array, i: number, keys: readonly string[], checkedLater: number, out: FlatMembers): number {
  out.present = 0;
  out.strings = 0;
  if (s[i]! !== OPEN) return -1;
  // (the keys' codes: a key compared as bytes with bytes, not with a string's charCodeAt)
  const codes = codesOf(keys);
  i = skipWs(s, i + 1);
  if (s[i]! === CLOSE) return i + 1;
  let next = 0;
  for (;;) {
    if (s[i]! !== QUOTE) return -1;
    let k: number;
    let keyEnd: number;
    const guess = next < codes.length ? codes[next]! : NO_KEY;
    const len = guess.length;
    if (len !== 0 && s[i + 1 + len]! === QUOTE && sameCodes(s, i + 1, guess, len)) {
      k = next;
      keyEnd = i + 1 + len;
    } else {
      keyEnd = stringEnd(s, i + 1);
      if (keyEnd < 0) return -1;
      k = keyIndex(s, i + 1, keyEnd - i - 1, codes);
      if (k < 0) return -1;
    }
    if ((out.present & (1 << k)) !== 0) return -1;
    out.present |= 1 << k;
    next = k + 1;
    i = keyEnd + 1;
    if (s[i]! <= 32) i = skipWs(s, i);
    if (s[i]! !== COLON) return -1;
    i++;
    if (s[i]! <= 32) i = skipWs(s, i);
    if (s[i]! === QUOTE) {
      const valueEnd = (checkedLater & (1 << k)) !== 0 ? quoteFrom(s, i + 1) : stringEnd(s, i + 1);
      if (valueEnd < 0) return -1;
      out.start[k] = i + 1;
      out.end[k] = valueEnd;
      out.strings |= 1 << k;
      i = valueEnd + 1;
    } else {
      i = scanNumber(s, i, out, k);
      if (i < 0) return -1;
    }
    if (s[i]! <= 32) i = skipWs(s, i);
    const c = s[i]!;
    if (c === CLOSE) return i + 1;
    if (c !== COMMA) return -1;
    i++;
    if (s[i]! <= 32) i = skipWs(s, i);
  }
}

/** The members as `JSON.parse` would give them (for tests): key to string or number. */
export function flatMembersAsObject(s: Uint8Array, keys: readonly string[], out: FlatMembers): Record<string, string | number> {
  const o: Record<string, string | number> = {};
  for (let k = 0; k < keys.length; k++) if (out.present & (1 << k)) o[keys[k]!] = out.strings & (1 << k) ? String.fromCharCode(...s.subarray(out.start[k], out.end[k])) : out.num[k]!;
  return o;
}
