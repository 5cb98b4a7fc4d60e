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
 * outnumber devices; each window is an open-addressing table of 32-bit id
 * hashes in a typed array (grown as the window fills) beside a ring of the
 * ids themselves. An id's text is compared only when its hash matches, so a
 * duplicate is always a true duplicate.
 */
class Window {
  /** Hash (never 0) per table slot; 0 = empty. Linear probing, power-of-two size. */
  hashes: Int32Array;
  /** Ring position held by each table slot. */
  slots: Int32Array;
  readonly ring: string[] = [];
  ringHash: Int32Array;
  next = 0;
  /** Clock value of the last touch that recorded an id. */
  stamp = 0;
  constructor(
    readonly key: string,
    capacity: number,
  ) {
    this.hashes = new Int32Array(16);
    this.slots = new Int32Array(16);
    this.ringHash = new Int32Array(Math.min(capacity, 8));
  }
}

/**
 * FNV-1a over the length and the last 32 UTF-16 code units of the id, never 0.
 * Ids of one device share their `{format}:{deviceId}:` head and differ in the
 * tail; a collision costs a string compare, never a wrong answer.
 */
function hashId(s: string): number {
  const n = s.length;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  for (let i = n > 32 ? n - 32 : 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h === 0 ? 1 : h;
}

export class Deduper {
  private readonly devices = new Map<string, Window>();
  private clock = 0;
  /** Touches in clock order: window and the stamp it got then (parallel arrays, front at `front`). */
  private touched: Window[] = [];
  private touchedAt: number[] = [];
  private front = 0;

  constructor(
    private readonly idsPerDevice: number,
    private readonly maxDevices: number,
  ) {}

  /** True when this id is recorded for the device (records nothing). */
  has(deviceKey: string, id: string): boolean {
    const w = this.devices.get(deviceKey);
    return w !== undefined && holds(w, id, hashId(id));
  }

  /** True when this id was already seen for the device; otherwise records it. */
  isDuplicate(deviceKey: string, id: string): boolean {
    const h = hashId(id);
    let w = this.devices.get(deviceKey);
    if (w) {
      if (holds(w, id, h)) return true;
    } else {
      if (this.devices.size >= this.maxDevices) this.evictOldest();
      w = new Window(deviceKey, this.idsPerDevice);
      this.devices.set(deviceKey, w);
    }
    this.touch(w);
    this.record(w, id, h);
    return false;
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

  private record(w: Window, id: string, h: number): void {
    let pos: number;
    if (w.ring.length < this.idsPerDevice) {
      pos = w.ring.length;
      w.ring.push(id);
      if (pos >= w.ringHash.length) {
        const grown = new Int32Array(Math.min(this.idsPerDevice, w.ringHash.length * 2));
        grown.set(w.ringHash);
        w.ringHash = grown;
      }
      // keep the table at most half full
      if (2 * w.ring.length > w.hashes.length) this.grow(w);
    } else {
      pos = w.next;
      removeSlot(w, w.ringHash[pos]!, pos);
      w.ring[pos] = id;
      w.next = pos + 1 === this.idsPerDevice ? 0 : pos + 1;
    }
    w.ringHash[pos] = h;
    insertSlot(w.hashes, w.slots, h, pos);
  }

  private grow(w: Window): void {
    const size = w.hashes.length * 2;
    const hashes = new Int32Array(size);
    const slots = new Int32Array(size);
    for (let i = 0; i < w.hashes.length; i++) if (w.hashes[i] !== 0) insertSlot(hashes, slots, w.hashes[i]!, w.slots[i]!);
    w.hashes = hashes;
    w.slots = slots;
  }
}

/** Whether the window holds `id` (hash h): probe the table, compare the text on a hash match. */
function holds(w: Window, id: string, h: number): boolean {
  const { hashes, slots, ring } = w;
  const mask = hashes.length - 1;
  for (let i = h & mask; hashes[i] !== 0; i = (i + 1) & mask) if (hashes[i] === h && ring[slots[i]!] === id) return true;
  return false;
}

function insertSlot(hashes: Int32Array, slots: Int32Array, h: number, pos: number): void {
  const mask = hashes.length - 1;
  let i = h & mask;
  while (hashes[i] !== 0) i = (i + 1) & mask;
  hashes[i] = h;
  slots[i] = pos;
}

/** Removes the entry of ring position `pos` (hash h), shifting later entries of its probe run back (no tombstones). */
function removeSlot(w: Window, h: number, pos: number): void {
  const { hashes, slots } = w;
  const mask = hashes.length - 1;
  let i = h & mask;
  while (!(hashes[i] === h && slots[i] === pos)) i = (i + 1) & mask;
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (hashes[j] === 0) break;
    const home = hashes[j]! & mask;
    // move j back to i unless its home lies cyclically in (i, j]
    if (i <= j ? home <= i || home > j : home <= i && home > j) {
      hashes[i] = hashes[j]!;
      slots[i] = slots[j]!;
      i = j;
    }
  }
  hashes[i] = 0;
  slots[i] = 0;
}
