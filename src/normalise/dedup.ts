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
 * outnumber devices; each window is an open-addressing table of (32-bit id
 * hash, ring position) pairs in one typed array (grown as the window fills),
 * beside a ring of the keys themselves, three numbers each in one typed array
 * (hash and tag, and a numeric key's two numbers) plus the text of text keys.
 * A probe reads one cache line of the table; a new id touches the table, one
 * ring entry and (once the ring is full) the entry it replaces. A key is
 * compared only when its hash matches, so a duplicate is always a true
 * duplicate.
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
   * Linear probing, a power-of-two number of slots, at most half full.
   */
  table = new Int32Array(32);
  /** Per ring position, three numbers side by side: hash * 8 + tag (exact: below 2^35), and (numeric keys) a and b. */
  keys: Float64Array;
  /** Per ring position, the text of a text key ('' or unset for a numeric one); made with the first text key. */
  texts: string[] | null = null;
  /** Ids held (up to the window's size), and the ring position the next one replaces once full. */
  count = 0;
  next = 0;
  /** Clock value of the last touch that recorded an id. */
  stamp = 0;
  constructor(
    readonly key: string,
    capacity: number,
  ) {
    super();
    this.keys = new Float64Array(3 * Math.min(capacity, 8));
  }
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
    return w !== undefined && holds(w, tag, s, a, b, hashKey(tag, s, a, b));
  }

  /** `isDuplicate` for an id key. */
  seen(deviceKey: string, tag: number, s: string, a: number, b: number): boolean {
    const h = hashKey(tag, s, a, b);
    let w = this.lookup(deviceKey);
    if (w) {
      if (holds(w, tag, s, a, b, h)) return true;
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

  private lookup(deviceKey: string): Window | undefined {
    if (deviceKey === this.lastKey) return this.lastWindow;
    const w = this.devices.get(deviceKey);
    this.lastKey = deviceKey;
    this.lastWindow = w;
    return w;
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

  /** Drops stale touches (and evicted windows' ones): the queue stays within about twice the device count. */
  private compact(): void {
    const ws: Window[] = [];
    const at: number[] = [];
    for (let i = this.front; i < this.touched.length; i++) {
      const w = this.touched[i]!;
      if (w.stamp === this.touchedAt[i] && this.devices.get(w.key) === w) {
        ws.push(w);
        at.push(w.stamp);
      }
    }
    this.touched = ws;
    this.touchedAt = at;
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

  private record(w: Window, tag: number, s: string, a: number, b: number, h: number): void {
    let pos: number;
    let keys = w.keys;
    if (w.count < this.idsPerDevice) {
      pos = w.count++;
      if (3 * pos >= keys.length) {
        const grown = new Float64Array(3 * Math.min(this.idsPerDevice, (2 * keys.length) / 3));
        grown.set(keys);
        w.keys = keys = grown;
      }
      // keep the table at most half full
      if (4 * w.count > w.table.length) this.grow(w);
    } else {
      pos = w.next;
      const old = keys[3 * pos]!;
      const oldTag = old & 7;
      removeSlot(w.table, (old - oldTag) / 8, pos);
      // the text of a replaced text id is let go
      if (oldTag < ID_CSV) w.texts![pos] = '';
      w.next = pos + 1 === this.idsPerDevice ? 0 : pos + 1;
    }
    keys[3 * pos] = h * 8 + tag;
    keys[3 * pos + 1] = a;
    keys[3 * pos + 2] = b;
    if (tag < ID_CSV) (w.texts ??= [])[pos] = s;
    insertSlot(w.table, h, pos);
  }

  private grow(w: Window): void {
    const old = w.table;
    const table = new Int32Array(2 * old.length);
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) insertSlot(table, old[i]!, old[i + 1]!);
    w.table = table;
  }
}

/** Whether the window holds the id key (hash h): probe the table, compare the key on a hash match. */
function holds(w: Window, tag: number, s: string, a: number, b: number, h: number): boolean {
  const table = w.table;
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
