import { BindingMemo, type BindingMemos } from './device-binding.js';

/**
 * Remembers the last `idsPerDevice` message ids of each device, for at most
 * `maxDevices` devices (least recently heard evicted first): bounded memory,
 * O(1) per message.
 *
 * Every message goes through here, and with thousands of devices interleaved
 * each lookup is a cache miss, so the layout is chosen for few memory touches:
 * one Map lookup per message for the device (re-inserting the key to keep
 * Map order as recency hashed it twice more and left tombstones); recency is
 * a stamp on the window plus an append-only queue of (window, stamp) touches,
 * read from the front only when a device must be evicted (a touch whose stamp
 * is no longer its window's is stale and skipped, so the first live one is
 * exactly the least recently heard device) and compacted when stale touches
 * outnumber devices; each window is a ring of the keys themselves, three
 * numbers each in one typed array (hash and tag, and a numeric key's two
 * numbers) plus the text of text keys. Devices number their messages, so a
 * window's numeric keys mostly arrive in key order (`order`): while the whole
 * ring is in that order the window is *ordered*, and a key after the newest
 * one (kept on the window) is new without touching anything else, any other
 * key is looked for by bisection of the ring. An id out of order (or a text
 * id) gives the window an open-addressing table of (32-bit id hash, ring
 * position) pairs in one typed array (grown as the window fills), dropped
 * again once a whole ring of ids has come in order. A probe reads one cache
 * line of the table; a new id touches the table, one ring entry and (once the
 * ring is full) the entry it replaces. A key is compared only when its hash
 * matches, so a duplicate is always a true duplicate; either way the answer
 * is the same: whether the key is among the window's last ids.
 *
 * The normaliser keeps each id in its shortest exact form (`IdKey`): a csv-v1
 * id as its two numbers (seq and epoch seconds, nothing for the collector to
 * trace), a json-v1 or batch-v1 id as the device's own message id (as two
 * numbers too when it has at most 14 ASCII characters, `packId`); within one
 * device's window that form and the full event id determine each other. The
 * window also carries the device's memoised plan lookups (BindingMemo), so one
 * Map lookup per reading serves both, and the last device looked up is kept
 * (a batch's events come grouped by device).
 */
/**
 * Which form an id is kept in (the `tag` of an id key `(tag, text, a, b)`):
 * the whole event id as text (`isDuplicate`, and csv-v1 ids whose numbers are
 * not written canonically), a json-v1 msgId, a batch-v1 eventId, a csv-v1
 * `{seq}@{epochSeconds}` as the numbers a and b (digits without leading
 * zeros, so the numbers give back the text), or a packed json-v1 msgId or
 * batch-v1 eventId as a and b.
 */
export const ID_TEXT = 0;
export const ID_JSON = 1;
export const ID_BATCH = 2;
export const ID_CSV = 3;
/** A json-v1 msgId or batch-v1 eventId of 1..14 characters in 1..127, as two numbers (`packId`). Tags from ID_CSV up are numeric. */
export const ID_JSON_NUM = 4;
export const ID_BATCH_NUM = 5;

/** The two numbers of the last `packId`. */
export const packed = { a: 0, b: 0 };

/**
 * Packs the id s[from, end) into `packed` when it has 1..14 characters, each
 * in 1..127: seven characters a number, base 128 (below 2^49, exact), the
 * second 0 for an id of up to seven. No character is 0, so the numbers give
 * back the id (a shorter id is a smaller number). False: keep it as text.
 * A function of the id's characters alone, so every decode path keys an id
 * alike.
 */
export function packId(s: string, from: number, end: number): boolean {
  const n = end - from;
  if (n < 1 || n > 14) return false;
  const mid = n > 7 ? from + 7 : end;
  let a = 0;
  for (let i = from; i < mid; i++) {
    const c = s.charCodeAt(i);
    if (c < 1 || c > 127) return false;
    a = a * 128 + c;
  }
  let b = 0;
  for (let i = mid; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 1 || c > 127) return false;
    b = b * 128 + c;
  }
  packed.a = a;
  packed.b = b;
  return true;
}

class Window extends BindingMemo {
  /**
   * The hash table, two int32 a slot: the id's hash (never 0; 0 = empty) and
   * its ring position, side by side so that a probe reads one cache line.
   * Linear probing, a power-of-two number of slots, at most half full. Null
   * while the window is ordered (below): then the ring itself is searched.
   */
  table: Int32Array | null = null;
  /**
   * Per ring position, three numbers side by side: hash * 8 + tag (exact:
   * below 2^35; the hash is 0 for keys recorded while the window was
   * ordered), and (numeric keys) a and b.
   */
  keys: Float64Array;
  /** Per ring position, the text of a text key ('' or unset for a numeric one); made with the first text key. */
  texts: string[] | null = null;
  /** Ids held (up to the window's size), and the ring position the next one replaces once full. */
  count = 0;
  next = 0;
  /** Clock value of the last touch that recorded an id. */
  stamp = 0;
  /** The newest key recorded (when count > 0): its tag (-1: a text key) and numbers. */
  lastTag = -1;
  lastA = 0;
  lastB = 0;
  /**
   * How many of the newest keys, oldest of them first, are numeric and each
   * after the one before in key order (`after`). When that is all of the
   * ring (run >= count) the window is ordered: no table; a key after the
   * newest is new without a probe, any other is looked up by bisection.
   */
  run = 0;
  constructor(
    readonly key: string,
    capacity: number,
  ) {
    super();
    this.keys = new Float64Array(3 * Math.min(capacity, 8));
  }
}

/**
 * The key order of an ordered window, a strict total order on numeric keys:
 * by tag, then a csv-v1 id by epoch seconds (b) and seq (a), since a device's
 * seq wraps but its clock goes on; any other by a, then b. Negative, 0 or
 * positive as (tag, a, b) comes before, is, or comes after (t2, a2, b2).
 */
function order(tag: number, a: number, b: number, t2: number, a2: number, b2: number): number {
  if (tag !== t2) return tag - t2;
  if (tag === ID_CSV) return b !== b2 ? b - b2 : a - a2;
  return a !== a2 ? a - a2 : b - b2;
}

const FNV = 0x01000193;

/**
 * FNV-1a over the tag, the length and the last 32 UTF-16 code units of a text
 * id, never 0. Ids of one device differ in the tail; a collision costs a
 * compare, never a wrong answer.
 */
function hashText(tag: number, s: string): number {
  const n = s.length;
  let h = Math.imul(0x811c9dc5 ^ n ^ (tag << 24), FNV);
  for (let i = n > 32 ? n - 32 : 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV);
  return h === 0 ? 1 : h;
}

/** A numeric key's hash: FNV-1a over the tag and both 32-bit halves of a and b (each below 2^53), then a finalising mix (the table indexes by the low bits), never 0. */
function hashNumbers(tag: number, a: number, b: number): number {
  let h = Math.imul(0x811c9dc5 ^ tag, FNV);
  h = Math.imul(h ^ (a >>> 0), FNV);
  h = Math.imul(h ^ ((a / 4294967296) | 0), FNV);
  h = Math.imul(h ^ (b >>> 0), FNV);
  h = Math.imul(h ^ ((b / 4294967296) | 0), FNV);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h === 0 ? 1 : h;
}

const hashKey = (tag: number, s: string, a: number, b: number): number => (tag >= ID_CSV ? hashNumbers(tag, a, b) : hashText(tag, s));

export class Deduper implements BindingMemos {
  private readonly devices = new Map<string, Window>();
  private clock = 0;
  /** Touches in clock order: window and the stamp it got then (parallel arrays, front at `front`). */
  private touched: Window[] = [];
  private touchedAt: number[] = [];
  private front = 0;
  /** The last device looked up and its window (undefined: none). */
  private lastKey: string | null = null;
  private lastWindow: Window | undefined = undefined;

  constructor(
    private readonly idsPerDevice: number,
    private readonly maxDevices: number,
  ) {}

  /** True when this id is recorded for the device (records nothing). */
  has(deviceKey: string, id: string): boolean {
    return this.hasKey(deviceKey, ID_TEXT, id, 0, 0);
  }

  /** True when this id was already seen for the device; otherwise records it. */
  isDuplicate(deviceKey: string, id: string): boolean {
    return this.seen(deviceKey, ID_TEXT, id, 0, 0);
  }

  /** `has` for an id key. */
  hasKey(deviceKey: string, tag: number, s: string, a: number, b: number): boolean {
    const w = this.lookup(deviceKey);
    return w !== undefined && holds(w, tag, s, a, b);
  }

  /** `isDuplicate` for an id key. */
  seen(deviceKey: string, tag: number, s: string, a: number, b: number): boolean {
    let w = this.lookup(deviceKey);
    // a hashed window's key hash, made once for the probe and the insert (0: not made)
    let h = 0;
    if (w) {
      if (w.count > 0) {
        if (w.table === null) {
          if (tag >= ID_CSV && orderedHolds(w, tag, a, b)) return true;
        } else {
          h = hashKey(tag, s, a, b);
          if (hashedHolds(w, w.table, tag, s, a, b, h)) return true;
        }
      }
    } else {
      if (this.devices.size >= this.maxDevices) this.evictOldest();
      w = new Window(deviceKey, this.idsPerDevice);
      this.devices.set(deviceKey, w);
      this.lastKey = deviceKey;
      this.lastWindow = w;
    }
    this.touch(w);
    this.record(w, tag, s, a, b, h);
    return false;
  }

  /** The device's window as its plan-lookup memo (BindingMemos); undefined before the device's first recorded id. */
  memoOf(deviceKey: string): BindingMemo | undefined {
    return this.lookup(deviceKey);
  }

  /** The window of the device looked up last (undefined: none), for a caller to keep and `resume`. */
  get current(): BindingMemo | undefined {
    return this.lastWindow;
  }

  /**
   * Makes a window kept from `current` the answer to the next lookups of its
   * device, unless it was evicted since (then the device is looked up as
   * usual): spares a Map lookup for a caller that knows the device's window.
   */
  resume(memo: BindingMemo | undefined): void {
    const w = memo as Window | undefined;
    if (w !== undefined && w.stamp !== -1) {
      this.lastKey = w.key;
      this.lastWindow = w;
    }
  }

  private lookup(deviceKey: string): Window | undefined {
    if (deviceKey === this.lastKey) return this.lastWindow;
    const w = this.devices.get(deviceKey);
    this.lastKey = deviceKey;
    this.lastWindow = w;
    return w;
  }

  /** Whether the device's window is ordered (searched without a table; for tests). */
  isOrdered(deviceKey: string): boolean {
    const w = this.devices.get(deviceKey);
    return w !== undefined && w.table === null;
  }

  get deviceCount(): number {
    return this.devices.size;
  }

  /** Device keys, least recently heard first (for tests). */
  keys(): string[] {
    const out: string[] = [];
    for (let i = this.front; i < this.touched.length; i++) if (this.touched[i]!.stamp === this.touchedAt[i]) out.push(this.touched[i]!.key);
    return out;
  }

  private touch(w: Window): void {
    w.stamp = ++this.clock;
    this.touched.push(w);
    this.touchedAt.push(w.stamp);
    if (this.touched.length > 2 * this.devices.size + 1024) this.compact();
  }

  /**
   * Drops stale touches (and evicted windows' ones), in place: the queue stays
   * within about twice the device count. A touch is live exactly when its
   * stamp is still its window's: an evicted window's stamp is -1 and a touch's
   * at least 1, and only eviction takes a window out of the device map.
   */
  private compact(): void {
    const ws = this.touched;
    const at = this.touchedAt;
    let n = 0;
    for (let i = this.front; i < ws.length; i++) {
      const w = ws[i]!;
      const stamp = at[i]!;
      if (w.stamp === stamp) {
        ws[n] = w;
        at[n] = stamp;
        n++;
      }
    }
    ws.length = n;
    at.length = n;
    this.front = 0;
  }

  private evictOldest(): void {
    this.lastKey = null;
    this.lastWindow = undefined;
    while (this.front < this.touched.length) {
      const w = this.touched[this.front]!;
      const live = w.stamp === this.touchedAt[this.front];
      this.front++;
      if (live && this.devices.get(w.key) === w) {
        this.devices.delete(w.key);
        w.stamp = -1; // any later touch record of it is stale
        return;
      }
    }
  }

  /** Records the key; `h`: its hash when the caller made it (for the table the window has), else 0. */
  private record(w: Window, tag: number, s: string, a: number, b: number, h: number): void {
    let pos: number;
    let keys = w.keys;
    const table = w.table;
    if (w.count < this.idsPerDevice) {
      pos = w.count++;
      if (3 * pos >= keys.length) {
        const grown = new Float64Array(3 * Math.min(this.idsPerDevice, (2 * keys.length) / 3));
        grown.set(keys);
        w.keys = keys = grown;
      }
      // keep the table at most half full
      if (table !== null && 4 * w.count > table.length) this.grow(w, table);
    } else {
      pos = w.next;
      const old = keys[3 * pos]!;
      const oldTag = old & 7;
      if (table !== null) removeSlot(table, (old - oldTag) / 8, pos);
      // the text of a replaced text id is let go
      if (oldTag < ID_CSV) w.texts![pos] = '';
      w.next = pos + 1 === this.idsPerDevice ? 0 : pos + 1;
    }
    // the run of keys in order that ends with this one
    if (tag < ID_CSV) {
      w.run = 0;
      w.lastTag = -1;
    } else {
      w.run = w.lastTag >= 0 && order(tag, a, b, w.lastTag, w.lastA, w.lastB) > 0 ? w.run + 1 : 1;
      w.lastTag = tag;
      w.lastA = a;
      w.lastB = b;
    }
    keys[3 * pos + 1] = a;
    keys[3 * pos + 2] = b;
    if (tag < ID_CSV) (w.texts ??= [])[pos] = s;
    if (w.table !== null) {
      if (h === 0) h = hashKey(tag, s, a, b);
      keys[3 * pos] = h * 8 + tag;
      insertSlot(w.table, h, pos);
      // the whole ring in key order again: bisection serves, the table goes
      if (w.run >= w.count) w.table = null;
    } else {
      keys[3 * pos] = tag;
      // out of order (or a text key): the window needs its table
      if (w.run < w.count) index(w);
    }
  }

  private grow(w: Window, old: Int32Array): void {
    const table = new Int32Array(2 * old.length);
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) insertSlot(table, old[i]!, old[i + 1]!);
    w.table = table;
  }
}

/** Gives an ordered window its table: every key of the ring hashed (its slot hash * 8 + tag) and put in a table at most half full. */
function index(w: Window): void {
  let size = 32;
  while (size < 4 * w.count) size *= 2;
  const table = new Int32Array(size);
  const keys = w.keys;
  for (let p = 0; p < w.count; p++) {
    const tag = keys[3 * p]! & 7;
    const h = tag >= ID_CSV ? hashNumbers(tag, keys[3 * p + 1]!, keys[3 * p + 2]!) : hashText(tag, w.texts![p]!);
    keys[3 * p] = h * 8 + tag;
    insertSlot(table, h, p);
  }
  w.table = table;
}

/** Whether the window holds the id key: bisect an ordered window's ring, else probe the table. */
function holds(w: Window, tag: number, s: string, a: number, b: number): boolean {
  if (w.count === 0) return false;
  if (w.table === null) return tag >= ID_CSV && orderedHolds(w, tag, a, b);
  return hashedHolds(w, w.table, tag, s, a, b, hashKey(tag, s, a, b));
}

/**
 * An ordered window (all its keys numeric, oldest to newest in key order):
 * a key after the newest is not there (the usual case, answered from the
 * window alone); any other is looked for by bisection of the ring, oldest
 * (ring position `next`) to newest.
 */
function orderedHolds(w: Window, tag: number, a: number, b: number): boolean {
  const c = order(tag, a, b, w.lastTag, w.lastA, w.lastB);
  if (c >= 0) return c === 0;
  const keys = w.keys;
  const n = w.count;
  const first = w.next; // 0 until the ring is full, then the oldest
  let lo = 0;
  let hi = n - 2;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = first + mid < n ? first + mid : first + mid - n;
    const o = 3 * p;
    const d = order(tag, a, b, keys[o]! & 7, keys[o + 1]!, keys[o + 2]!);
    if (d === 0) return true;
    if (d < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return false;
}

/** Whether the table holds the id key (hash h): probe, compare the key on a hash match. */
function hashedHolds(w: Window, table: Int32Array, tag: number, s: string, a: number, b: number, h: number): boolean {
  const mask = table.length - 1;
  for (let i = (2 * h) & mask; table[i] !== 0; i = (i + 2) & mask) {
    if (table[i] !== h) continue;
    const p = table[i + 1]!;
    const keys = w.keys;
    if (keys[3 * p] !== h * 8 + tag) continue;
    if (tag >= ID_CSV ? keys[3 * p + 1] === a && keys[3 * p + 2] === b : w.texts![p] === s) return true;
  }
  return false;
}

/** Puts (h, pos) in the first free slot from h's home. */
function insertSlot(table: Int32Array, h: number, pos: number): void {
  const mask = table.length - 1;
  let i = (2 * h) & mask;
  while (table[i] !== 0) i = (i + 2) & mask;
  table[i] = h;
  table[i + 1] = pos;
}

/** Removes the entry of ring position `pos` (hash h), shifting later entries of its probe run back (no tombstones). */
function removeSlot(table: Int32Array, h: number, pos: number): void {
  const mask = table.length - 1;
  let i = (2 * h) & mask;
  while (!(table[i] === h && table[i + 1] === pos)) i = (i + 2) & mask;
  let j = i;
  for (;;) {
    j = (j + 2) & mask;
    if (table[j] === 0) break;
    const home = (2 * table[j]!) & mask;
    // move j back to i unless its home lies cyclically in (i, j]
    if (i <= j ? home <= i || home > j : home <= i && home > j) {
      table[i] = table[j]!;
      table[i + 1] = table[j + 1]!;
      i = j;
    }
  }
  table[i] = 0;
  table[i + 1] = 0;
}
