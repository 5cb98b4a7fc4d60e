/**
 * A container's recent temperature readings for TEMPERATURE_ANOMALY, kept
 * compact: the readings in time order in a ring (to drop the oldest).
 *
 * Every wire format carries tenths of a degree and millisecond times, and
 * devices report on whole seconds, so a reading is stored as 16-bit words:
 * its tenths and (compact layout) the whole seconds since the reading before
 * it: 4 bytes a reading. A reading that is not a whole number of seconds
 * after the one before it (or more than 18 h after it, or before it) turns
 * the baseline to the narrow layout, the time as a 32-bit offset in
 * milliseconds from a base (rebased on the oldest reading when needed):
 * 6 bytes a reading. A value that is not a whole number of tenths (or a time
 * that is not a whole millisecond, or a baseline spanning more than 49 days)
 * turns it wide: float64 times and values, and the values again in
 * ascending order, the same answers. A baseline only ever moves the one
 * way, compact, narrow, wide.
 *
 * The median and the median absolute deviation of a compact or narrow
 * baseline are taken from its tenths sorted when asked (sortTenths: a
 * counting sort, since a day of one container's temperatures spans a few
 * hundred tenths at most, into a scratch array shared by all baselines);
 * the smallest and largest are kept as readings come (a pass when a reading
 * holding one of them leaves). A sorted copy kept beside the ring
 * cost a third of the slab (2 bytes a reading) and two shifts of it per
 * reading; the count costs a pass or two over a day of readings at the
 * reading that asks.
 *
 * Where the bytes live: every compact or narrow baseline's readings are a
 * block of one slab shared by all baselines of the process (see "The slab"
 * below), and its counters are entries of columns shared the same way; a
 * RollingBaseline object holds only its number in them. So a container's
 * baseline is one small object and no typed array of its own (a typed array
 * and its buffer are some 180 bytes of objects besides their contents).
 *
 * Medians and deviations are computed from the stored values exactly as
 * simple-statistics computes them from the same numbers (type 7 quantile at
 * 0.5: the middle value, or lo + 0.5 x (hi - lo) of the two middle ones), so
 * the results are the same doubles.
 */
const TENTHS_MIN = -32768;
const TENTHS_MAX = 32767;
/** Narrow time offsets are 32-bit unsigned. */
const MAX_OFFSET = 2 ** 32;
/** Compact steps are 16-bit unsigned whole seconds. */
const MAX_STEP_S = 65535;

/** A step between readings the compact layout holds: a whole number of seconds, up to MAX_STEP_S. */
function compactStep(ms: number): boolean {
  return ms >= 0 && ms % 1000 === 0 && ms <= MAX_STEP_S * 1000;
}

/** Scratch for successiveSpread, shared (the engine is single-threaded and the spread is read at once). */
let steps = new Float64Array(64);

/*
 * The slab. `words` holds the compact and narrow baselines' blocks. A block
 * of capacity c (readings) at word o:
 *   compact (2c words): [o + i] reading i's step from the reading before it
 *     in whole seconds (unsigned; the oldest reading's is not read: its time
 *     is bases[id]), [o + c + i] its tenths;
 *   narrow (3c words): [o + 2i, o + 2i + 1] the low and high halves of
 *     reading i's time offset from bases[id], [o + 2c + i] its tenths.
 * Blocks are taken at `top`; a baseline that grows or changes layout takes a
 * new block and leaves its old one a hole. When `top` reaches the end, the
 * baselines no longer referenced are found (a WeakRef each: a container
 * dropped by the engine, or a rule state replaced, frees its block without
 * telling anyone) and the live blocks are slid together, into a larger slab
 * if they fill most of it (or a smaller one if they fill little of it).
 *
 * Per baseline number (column entries): offs (block's first word; -1 for a
 * wide baseline or a number not in use), modes, caps (capacity in
 * readings), ns (readings kept), heads (ring index of the oldest), bases
 * (compact: the oldest reading's time; narrow: the time offsets count
 * from), lasts (compact: the newest reading's time), prevTss and prevCs
 * (the rule's previous reading, setPrevious: numbers of a column rather than
 * two boxed doubles of each rule state), lows and highs (the smallest and
 * largest tenths held, kept as readings come and found again by a pass when
 * a reading holding one leaves; lows > highs when not known).
 */
const COMPACT = 0;
const NARROW = 1;
const WIDE = 2;
const FREE = 3;
/** makeRoom keys its sort by offset x span + number while span (a power of two above the numbers given out) is at most this: offsets < 2^32, keys < 2^53. */
const MAX_KEYED_SPAN = 2 ** 21;
/** The slab's capacity in words to start with. */
const SLAB_START = 16384;
/**
 * The most bytes the slab grows to in place. Its memory is a resizable
 * ArrayBuffer: growing commits more of one address range (reserved, not
 * used, up to this), so a growing slab is neither copied nor allocated
 * anew, and the collector sees only the bytes added (a new 100 MB array each
 * time it filled started full collections of the whole heap). Past this
 * (a billion words: some 1.5 million containers of full histories) it moves
 * to a new buffer, copied.
 */
const SLAB_MAX_BYTES = 2 ** 31;

type Resizable = ArrayBuffer & { resize(bytes: number): void; readonly maxByteLength: number; readonly resizable: boolean };
const ResizableBuffer = ArrayBuffer as unknown as new (bytes: number, o?: { maxByteLength: number }) => Resizable;

/**
 * A buffer of `size` words that grows in place up to SLAB_MAX_BYTES (or
 * `size`, if more); where that much address space cannot be reserved (a
 * process limited by ulimit -v), a quarter of it, else a plain buffer
 * (copied to grow, as any other).
 */
function newSlab(size: number): Int16Array {
  for (const most of [SLAB_MAX_BYTES, SLAB_MAX_BYTES / 4]) {
    try {
      return new Int16Array(new ResizableBuffer(2 * size, { maxByteLength: Math.max(2 * size, most) }), 0, size);
    } catch {
      // (address space refused: try less)
    }
  }
  return new Int16Array(size);
}

/** The slab as `size` words: resized in place when its buffer allows (the words below `keep` kept), else a new slab holding them. */
function resizeSlab(size: number, keep: number): Int16Array {
  const buffer = words.buffer as Resizable;
  if (buffer.resizable && 2 * size <= buffer.maxByteLength) {
    buffer.resize(2 * size);
    return new Int16Array(buffer, 0, size); // (a view of fixed length: element access as fast as a plain array's, a length-tracking one is not)
  }
  const to = newSlab(size);
  to.set(words.subarray(0, keep));
  return to;
}

let words = newSlab(SLAB_START);
let top = 0;
let offs = new Int32Array(0);
let modes = new Uint8Array(0);
let caps = new Int32Array(0);
let ns = new Int32Array(0);
let heads = new Int32Array(0);
let bases = new Float64Array(0);
let lasts = new Float64Array(0);
let prevTss = new Float64Array(0);
let prevCs = new Float64Array(0);
let lows = new Int16Array(0);
let highs = new Int16Array(0);
const owners: Array<WeakRef<RollingBaseline> | undefined> = [];
const freeIds: number[] = [];

interface Wide {
  ts: Float64Array;
  values: Float64Array;
  sorted: Float64Array;
}
/** Wide baselines' readings by number: times and values in ring order, values ascending. */
const wides = new Map<number, Wide>();

/** Words a block of capacity `cap` takes in layout `mode`. */
function blockWords(mode: number, cap: number): number {
  return (mode === COMPACT ? 2 : 3) * cap;
}

/** Forgets the baselines no longer referenced: their numbers are given out again, their blocks are holes. */
function sweep(): void {
  for (let id = 0; id < owners.length; id++) {
    const w = owners[id];
    if (w === undefined || w.deref() !== undefined) continue;
    owners[id] = undefined;
    offs[id] = -1;
    modes[id] = FREE;
    wides.delete(id);
    freeIds.push(id);
  }
}

function newId(owner: RollingBaseline): number {
  if (freeIds.length === 0 && owners.length === offs.length && offs.length > 0) sweep();
  let id = freeIds.pop();
  if (id === undefined) {
    id = owners.length;
    owners.push(undefined);
    if (id >= offs.length) growColumns(Math.max(64, Math.ceil(offs.length * 1.5)));
  }
  owners[id] = new WeakRef(owner);
  offs[id] = -1;
  modes[id] = COMPACT;
  caps[id] = 0;
  ns[id] = 0;
  heads[id] = 0;
  bases[id] = Number.NaN;
  lasts[id] = Number.NaN;
  prevTss[id] = Number.NaN;
  prevCs[id] = Number.NaN;
  lows[id] = TENTHS_MAX; // (lows > highs: not known)
  highs[id] = TENTHS_MIN;
  return id;
}

function growColumns(size: number): void {
  const grow = <T extends Int32Array | Float64Array | Uint8Array | Int16Array>(a: T, b: T): T => {
    b.set(a);
    return b;
  };
  offs = grow(offs, new Int32Array(size));
  modes = grow(modes, new Uint8Array(size));
  caps = grow(caps, new Int32Array(size));
  ns = grow(ns, new Int32Array(size));
  heads = grow(heads, new Int32Array(size));
  bases = grow(bases, new Float64Array(size));
  lasts = grow(lasts, new Float64Array(size));
  prevTss = grow(prevTss, new Float64Array(size));
  prevCs = grow(prevCs, new Float64Array(size));
  lows = grow(lows, new Int16Array(size));
  highs = grow(highs, new Int16Array(size));
}

/** A block of `need` words; it may move every other block (read offs[] again after). */
function alloc(need: number): number {
  if (top + need > words.length) makeRoom(need);
  const at = top;
  top += need;
  return at;
}

/**
 * Depth of slabBulk calls: while above 0 the slab doubles when it fills
 * (instead of growing by a sixteenth), and the outermost call's end fits it
 * to what it holds.
 */
let bulk = 0;

/**
 * Runs `fill`, which takes many blocks at once (a snapshot restore re-adds
 * every container's readings), with the slab doubling as it fills: a few
 * copies and sweeps instead of one every sixteenth. A slab grown by a
 * sixteenth is copied some 16 times over while it fills, and each new array
 * counts as external memory, which starts full collections. At the end the
 * slab is fitted to its live blocks with a sixteenth to spare, as growth
 * outside this call would leave it.
 */
export function slabBulk<T>(fill: () => T): T {
  bulk++;
  try {
    return fill();
  } finally {
    if (--bulk === 0 && words.length > SLAB_START && top + (top >> 4) < words.length - (words.length >> 4)) makeRoom(0, true);
  }
}

/**
 * Slides the live blocks together, into a slab sized for them and `need`
 * more words with room to spare (in bulk, twice what they need); with `fit`,
 * into one sized for them with a sixteenth to spare whatever its size now.
 */
function makeRoom(need: number, fit = false): void {
  sweep();
  // the live blocks in the order they lie: keyed offset x span + number in a Float64Array and sorted
  // natively (no comparator called per pair); exact while offset x span < 2^53 (offsets < 2^32)
  let span = 1;
  while (span < owners.length) span *= 2;
  let count = 0;
  for (let id = 0; id < owners.length; id++) if (offs[id]! >= 0) count++;
  const live = new Float64Array(count);
  let used = 0;
  count = 0;
  for (let id = 0; id < owners.length; id++) {
    if (offs[id]! < 0) continue;
    live[count++] = span <= MAX_KEYED_SPAN ? offs[id]! * span + id : id;
    used += blockWords(modes[id]!, caps[id]!);
  }
  if (span <= MAX_KEYED_SPAN) live.sort();
  else live.sort((x, y) => offs[x]! - offs[y]!); // more than two million baselines in one process: by comparator
  const size = words.length;
  const want = used + need;
  // grow by a sixteenth at least (a slab filled by growth is copied some 16 times over: cheap
  // next to the readings that filled it; in bulk, double), shrink when less than half would be used
  const fitted = Math.max(SLAB_START, want + (want >> 4));
  const next = fit || want < size >> 1 ? fitted : want > size - (size >> 4) ? (bulk > 0 ? Math.max(2 * size, fitted) : fitted) : size;
  // slid down in place (blocks in offset order: each lands at or below where it was), then resized
  let at = 0;
  for (const key of live) {
    const id = span <= MAX_KEYED_SPAN ? key % span : key;
    const from = offs[id]!;
    const len = blockWords(modes[id]!, caps[id]!);
    if (from !== at) words.copyWithin(at, from, from + len);
    offs[id] = at;
    at += len;
  }
  if (next !== size) words = resizeSlab(next, at);
  top = at;
}

/** The slab's figures, for tests: capacity and top in words, numbers given out and in use, baselines by layout, the live blocks' words. */
export function slabStats(): { capacity: number; top: number; numbers: number; baselines: number; compact: number; narrow: number; wide: number; used: number } {
  const out = { capacity: words.length, top, numbers: owners.length, baselines: 0, compact: 0, narrow: 0, wide: 0, used: 0 };
  for (let id = 0; id < owners.length; id++) {
    const m = modes[id]!;
    if (m === FREE) continue;
    out.baselines++;
    if (m === COMPACT) out.compact++;
    else if (m === NARROW) out.narrow++;
    else out.wide++;
    if (offs[id]! >= 0) out.used += blockWords(m, caps[id]!);
  }
  return out;
}

/**
 * The bytes of the slab that process.memoryUsage() does not count, for memory
 * benches to add: a resizable ArrayBuffer's are counted in neither
 * `arrayBuffers` nor `external` (0 for a plain buffer, which is).
 */
export function slabBytes(): number {
  const buffer = words.buffer as Resizable;
  return buffer.resizable ? buffer.byteLength : 0;
}

/** Forgets unreferenced baselines and compacts the slab now (tests; the slab does it when it fills). */
export function compactSlab(): void {
  makeRoom(0);
}

/**
 * A baseline as snapshots hold it, its readings in ring order, oldest first:
 * compact or narrow, the first time, the steps from each reading to the next
 * in milliseconds and the tenths; wide, the times, the values and the sorted
 * values (as they are: zeros of both signs compare equal, so their order is
 * the pushes' and drops').
 */
export type SavedBaseline = ({ t0: number; dt: Float64Array; v: Int16Array } | { ts: Float64Array; v: Float64Array; s: Float64Array }) & { prevTs: number; prevC: number };

export class RollingBaseline {
  /** Its number in the columns; -1 until it holds something (a rule state made for a container that never reports a temperature takes none). */
  private id = -1;

  /** An empty baseline: its number and block are taken at its first push (capacity 16), or at once with the capacity given. */
  constructor(capacity?: number) {
    if (capacity !== undefined) this.take(capacity);
  }

  private take(capacity: number): number {
    const id = newId(this);
    this.id = id;
    caps[id] = capacity;
    offs[id] = alloc(blockWords(COMPACT, capacity));
    stamp++;
    return id;
  }

  get size(): number {
    return this.id < 0 ? 0 : ns[this.id]!;
  }

  /** Measurement time of the oldest reading (size > 0). */
  oldestTs(): number {
    return this.tsAt(heads[this.id]!);
  }

  /** Drops the oldest readings while they are older than `minTs` or more than `max` are kept (as the rule's trim did). */
  trim(minTs: number, max: number): void {
    const id = this.id;
    if (id < 0) return;
    while (ns[id]! > 0 && (this.tsAt(heads[id]!) < minTs || ns[id]! > max)) this.dropOldest();
  }

  push(ts: number, celsius: number): void {
    const id = this.id < 0 ? this.take(16) : this.id;
    const tenths = Math.round(celsius * 10);
    if (modes[id] !== WIDE) {
      if (tenths / 10 !== celsius || Object.is(celsius, -0) || !(tenths >= TENTHS_MIN && tenths <= TENTHS_MAX) || !Number.isInteger(ts)) this.widen();
      else if (modes[id] === COMPACT && !this.fitsCompact(ts)) {
        // (a compact baseline's steps may add up to more than narrow offsets hold)
        if (lasts[id]! - bases[id]! < MAX_OFFSET) this.relayout(NARROW, caps[id]!);
        else this.widen();
      }
      if (modes[id] === NARROW && !this.fitsNarrow(ts)) this.widen();
    }
    if (ns[id] === caps[id]) this.grow();
    const cap = caps[id]!;
    const n = ns[id]!;
    const i = (heads[id]! + n) % cap;
    const o = offs[id]!;
    const a = words;
    const mode = modes[id];
    if (mode === COMPACT) {
      if (n === 0) bases[id] = ts;
      a[o + i] = (ts - (n === 0 ? ts : lasts[id]!)) / 1000;
      lasts[id] = ts;
      a[o + cap + i] = tenths;
      noteTenths(id, n, tenths);
    } else if (mode === NARROW) {
      if (n === 0) bases[id] = ts;
      const off = ts - bases[id]!;
      a[o + 2 * i] = off % 65536;
      a[o + 2 * i + 1] = Math.floor(off / 65536);
      a[o + 2 * cap + i] = tenths;
      noteTenths(id, n, tenths);
    } else {
      const wd = wides.get(id)!;
      wd.ts[i] = ts;
      wd.values[i] = celsius;
      insertSorted(wd.sorted, 0, n, celsius);
    }
    ns[id] = n + 1;
    stamp++;
  }

  /** The smallest and the largest value (size > 0). */
  min(): number {
    const id = this.id;
    if (modes[id] === WIDE) return wides.get(id)!.sorted[0]!;
    extremes(id);
    return lows[id]! / 10;
  }

  max(): number {
    const id = this.id;
    if (modes[id] === WIDE) return wides.get(id)!.sorted[ns[id]! - 1]!;
    extremes(id);
    return highs[id]! / 10;
  }

  /** The median of the values (size > 0). */
  median(): number {
    const id = this.id;
    return modes[id] === WIDE ? medianOf(wides.get(id)!.sorted, 0, ns[id]!, 1) : medianOf(sortTenths(id), 0, ns[id]!, 10);
  }

  /** The median of |value - med| over the values, med being their median (size > 0). */
  medianAbsoluteDeviation(med: number): number {
    const id = this.id;
    return modes[id] === WIDE ? madOf(wides.get(id)!.sorted, 0, ns[id]!, med, 1) : madOf(sortTenths(id), 0, ns[id]!, med, 10);
  }

  /**
   * The lower median of |v[i+1] - v[i]| over the readings in time order: how
   * far one reading usually lies from the next (size > 1). Robust to a defrost
   * spike, which makes only two large steps.
   */
  successiveSpread(): number {
    const id = this.id;
    const m = ns[id]! - 1;
    const head = heads[id]!;
    const cap = caps[id]!;
    if (steps.length < m) steps = new Float64Array(Math.max(m, 2 * steps.length));
    let prev = this.ringValue(head);
    for (let k = 1; k <= m; k++) {
      const v = this.ringValue((head + k) % cap);
      steps[k - 1] = Math.abs(v - prev);
      prev = v;
    }
    const sorted = steps.subarray(0, m).sort();
    return sorted[(m - 1) >> 1]!;
  }

  /**
   * The time and value of the rule's previous reading (NaN until set), kept
   * here for TEMPERATURE_ANOMALY's dry boxes (how fast the air changed): not
   * part of the baseline's readings, and not changed by push or trim.
   */
  get prevTs(): number {
    return this.id < 0 ? Number.NaN : prevTss[this.id]!;
  }

  get prevC(): number {
    return this.id < 0 ? Number.NaN : prevCs[this.id]!;
  }

  setPrevious(ts: number, c: number): void {
    const id = this.id < 0 ? this.take(16) : this.id;
    prevTss[id] = ts;
    prevCs[id] = c;
  }

  /** How a baseline keeps its readings, for tests: its layout, capacity (readings) and the bytes of its block or arrays. */
  static layout(b: RollingBaseline): { layout: 'compact' | 'narrow' | 'wide'; capacity: number; bytes: number } {
    if (b.id < 0) return { layout: 'compact', capacity: 0, bytes: 0 };
    const mode = modes[b.id]!;
    const capacity = caps[b.id]!;
    if (mode === WIDE) return { layout: 'wide', capacity, bytes: 24 * capacity };
    return { layout: mode === COMPACT ? 'compact' : 'narrow', capacity, bytes: 2 * blockWords(mode, capacity) };
  }

  /** The readings as a snapshot holds them (snapshot-codec.ts: a registered class's save). */
  static save(b: RollingBaseline): SavedBaseline {
    const id = b.id;
    if (id < 0) return { t0: 0, dt: new Float64Array(0), v: new Int16Array(0), prevTs: Number.NaN, prevC: Number.NaN };
    const n = ns[id]!;
    if (modes[id] === WIDE) {
      const wd = wides.get(id)!;
      const ts = new Float64Array(n);
      const v = new Float64Array(n);
      const cap = caps[id]!;
      for (let k = 0; k < n; k++) {
        const i = (heads[id]! + k) % cap;
        ts[k] = wd.ts[i]!;
        v[k] = wd.values[i]!;
      }
      return { ts, v, s: wd.sorted.slice(0, n), prevTs: prevTss[id]!, prevC: prevCs[id]! };
    }
    const ts = b.ringTimes();
    const dt = new Float64Array(Math.max(0, n - 1));
    for (let k = 1; k < n; k++) dt[k - 1] = ts[k]! - ts[k - 1]!; // whole milliseconds: exact
    return { t0: n > 0 ? ts[0]! : 0, dt, v: b.ringTenths(), prevTs: prevTss[id]!, prevC: prevCs[id]! };
  }

  /** A baseline holding what save gave. */
  static load(saved: SavedBaseline): RollingBaseline {
    const b = new RollingBaseline();
    RollingBaseline.restore(b, saved);
    return b;
  }

  /** Puts what save gave into an empty baseline (one just made: a subclass's load). */
  static restore(b: RollingBaseline, saved: SavedBaseline): void {
    const n = saved.v.length;
    if (n === 0 && Number.isNaN(saved.prevTs) && Number.isNaN(saved.prevC)) return; // nothing held: none taken
    b.take(Math.max(16, n + ((4 - (n % 4)) % 4)));
    if ('ts' in saved) {
      const id = b.id;
      const cap = caps[id]!;
      const wd: Wide = { ts: new Float64Array(cap), values: new Float64Array(cap), sorted: new Float64Array(cap) };
      wd.ts.set(saved.ts);
      wd.values.set(saved.v);
      wd.sorted.set(saved.s);
      offs[id] = -1; // the block is a hole now
      modes[id] = WIDE;
      wides.set(id, wd);
      ns[id] = n;
    } else if (RollingBaseline.fillCompact(b, saved)) {
      // (every step a whole second: written as push would write it)
    } else {
      // whole tenths and whole milliseconds: pushed again, they make the same readings
      let t = saved.t0;
      for (let k = 0; k < n; k++) {
        if (k > 0) t += saved.dt[k - 1]!;
        b.push(t, saved.v[k]! / 10);
      }
    }
    b.setPrevious(saved.prevTs, saved.prevC);
  }

  /**
   * Restores a saved narrow-or-compact baseline whose steps all fit the
   * compact layout straight into its block (just taken, empty, capacity at
   * least its readings): the ring as n pushes would leave it, in two copies
   * rather than a push per reading (a 100,000-container restore re-adds some
   * ten million readings). False, nothing written, when a step does not fit.
   */
  private static fillCompact(b: RollingBaseline, saved: { t0: number; dt: Float64Array; v: Int16Array }): boolean {
    const n = saved.v.length;
    const dt = saved.dt;
    if (n === 0 || !Number.isInteger(saved.t0)) return false;
    for (let k = 0; k < n - 1; k++) if (!compactStep(dt[k]!)) return false;
    const id = b.id;
    const cap = caps[id]!;
    const o = offs[id]!;
    let t = saved.t0;
    words[o] = 0;
    for (let k = 1; k < n; k++) {
      words[o + k] = dt[k - 1]! / 1000;
      t += dt[k - 1]!;
    }
    words.set(saved.v, o + cap);
    stamp++; // (its smallest and largest: not known since take)
    bases[id] = saved.t0;
    lasts[id] = t;
    heads[id] = 0;
    ns[id] = n;
    return true;
  }

  private ringValue(i: number): number {
    const id = this.id;
    const mode = modes[id];
    if (mode === WIDE) return wides.get(id)!.values[i]!;
    return words[offs[id]! + (mode === COMPACT ? 1 : 2) * caps[id]! + i]! / 10;
  }

  /** Reading i's time: any reading if narrow or wide, the oldest if compact. */
  private tsAt(i: number): number {
    const id = this.id;
    const mode = modes[id];
    if (mode === COMPACT) return bases[id]!;
    if (mode === NARROW) return bases[id]! + offsetAt(offs[id]!, i);
    return wides.get(id)!.ts[i]!;
  }

  /** The times of the readings in ring order (compact or narrow). */
  private ringTimes(): Float64Array {
    const id = this.id;
    const n = ns[id]!;
    const head = heads[id]!;
    const cap = caps[id]!;
    const o = offs[id]!;
    const out = new Float64Array(n);
    if (modes[id] === COMPACT) {
      let t = bases[id]!;
      for (let k = 0; k < n; k++) {
        const i = (head + k) % cap;
        if (k > 0) t += (words[o + i]! & 0xffff) * 1000;
        out[k] = t;
      }
    } else for (let k = 0; k < n; k++) out[k] = bases[id]! + offsetAt(o, (head + k) % cap);
    return out;
  }

  /** The tenths of the readings in ring order (compact or narrow). */
  private ringTenths(): Int16Array {
    return ringTenthsInto(this.id, new Int16Array(ns[this.id]!));
  }

  private dropOldest(): void {
    const id = this.id;
    const mode = modes[id];
    const cap = caps[id]!;
    const head = heads[id]!;
    const n = ns[id]! - 1;
    const next = (head + 1) % cap;
    heads[id] = next;
    ns[id] = n;
    stamp++;
    if (mode !== WIDE) {
      // the reading leaving held the smallest or largest tenths: found again by a pass when asked
      const gone = words[offs[id]! + (mode === COMPACT ? 1 : 2) * cap + head]!;
      if (gone === lows[id] || gone === highs[id]) {
        lows[id] = TENTHS_MAX;
        highs[id] = TENTHS_MIN;
      }
    }
    if (mode === COMPACT) {
      if (n > 0) bases[id] = bases[id]! + (words[offs[id]! + next]! & 0xffff) * 1000;
    } else if (mode === WIDE) {
      const wd = wides.get(id)!;
      removeSorted(wd.sorted, 0, n, wd.values[head]!);
    }
  }

  /** A whole number of seconds, up to MAX_STEP_S, after the newest reading. */
  private fitsCompact(ts: number): boolean {
    const id = this.id;
    if (ns[id] === 0) return true;
    return compactStep(ts - lasts[id]!);
  }

  private fitsNarrow(ts: number): boolean {
    const id = this.id;
    const n = ns[id]!;
    if (n === 0) return true;
    const off = ts - bases[id]!;
    if (off >= 0 && off < MAX_OFFSET) return true;
    // rebase on the earliest kept reading, if that brings it in range
    const head = heads[id]!;
    const cap = caps[id]!;
    let earliest = Infinity;
    for (let k = 0; k < n; k++) earliest = Math.min(earliest, this.tsAt((head + k) % cap));
    const off2 = ts - earliest;
    if (off2 < 0 || off2 >= MAX_OFFSET) return false;
    this.rebase(earliest);
    return true;
  }

  private rebase(newBase: number): void {
    const id = this.id;
    const o = offs[id]!;
    const a = words;
    const shift = newBase - bases[id]!;
    const n = ns[id]!;
    const head = heads[id]!;
    const cap = caps[id]!;
    for (let k = 0; k < n; k++) {
      const i = (head + k) % cap;
      const off = offsetAt(o, i) - shift;
      a[o + 2 * i] = off % 65536;
      a[o + 2 * i + 1] = Math.floor(off / 65536);
    }
    bases[id] = newBase;
  }

  private widen(): void {
    const id = this.id;
    const cap = caps[id]!;
    const n = ns[id]!;
    const wd: Wide = { ts: new Float64Array(cap), values: new Float64Array(cap), sorted: new Float64Array(cap) };
    wd.ts.set(this.ringTimes());
    const tenths = this.ringTenths();
    const sorted = n > 0 ? sortTenths(id) : tenths;
    for (let k = 0; k < n; k++) {
      wd.values[k] = tenths[k]! / 10;
      wd.sorted[k] = sorted[k]! / 10;
    }
    offs[id] = -1; // the block is a hole now
    modes[id] = WIDE;
    wides.set(id, wd);
    heads[id] = 0;
  }

  /** Moves the readings of a compact or narrow baseline to a new block of the given layout and capacity, oldest first. */
  private relayout(mode: number, cap: number): void {
    const id = this.id;
    const n = ns[id]!;
    const ts = this.ringTimes();
    const tenths = this.ringTenths();
    const at = alloc(blockWords(mode, cap)); // may move the old block
    const a = words;
    if (mode === COMPACT) {
      for (let k = 0; k < n; k++) {
        a[at + k] = k === 0 ? 0 : (ts[k]! - ts[k - 1]!) / 1000;
        a[at + cap + k] = tenths[k]!;
      }
    } else {
      // offsets from the base the narrow layout counts from (the oldest reading's time, coming from compact)
      if (modes[id] === COMPACT) bases[id] = n > 0 ? ts[0]! : Number.NaN;
      for (let k = 0; k < n; k++) {
        const off = ts[k]! - bases[id]!;
        a[at + 2 * k] = off % 65536;
        a[at + 2 * k + 1] = Math.floor(off / 65536);
        a[at + 2 * cap + k] = tenths[k]!;
      }
    }
    offs[id] = at; // the old block is a hole now
    modes[id] = mode;
    caps[id] = cap;
    heads[id] = 0;
  }

  private grow(): void {
    const id = this.id;
    const cap = caps[id]!;
    // doubling while small, then four readings at a time: a full day's baseline (105 readings at a
    // quarter-hourly rate) leaves at most three slots unused
    const next = cap < 64 ? cap * 2 : cap + 4;
    if (modes[id] !== WIDE) {
      this.relayout(modes[id]!, next);
      return;
    }
    const n = ns[id]!;
    const head = heads[id]!;
    const wd = wides.get(id)!;
    const ts = new Float64Array(next);
    const values = new Float64Array(next);
    for (let k = 0; k < n; k++) {
      const i = (head + k) % cap;
      ts[k] = wd.ts[i]!;
      values[k] = wd.values[i]!;
    }
    const sorted = new Float64Array(next);
    sorted.set(wd.sorted.subarray(0, n));
    wides.set(id, { ts, values, sorted });
    caps[id] = next;
    heads[id] = 0;
  }
}

/*
 * The order statistics of a compact or narrow baseline, computed when asked
 * into scratch shared by every baseline (the engine is single-threaded and
 * reads them at once): valid for baseline sortedId while no baseline's
 * readings changed since (stamp, bumped by every push, drop and restore).
 * The smallest and largest tenths are kept per baseline (lows, highs) as
 * readings come, and found again by a pass only when a reading holding one
 * of them leaves.
 */
let stamp = 0;
/** Tenths spanning fewer buckets than this are counted; a wider span (some 200 degrees) is sorted natively. */
const COUNT_SPAN = 2048;
const counts = new Int32Array(COUNT_SPAN);
let sortedScratch = new Int16Array(128);
let sortedId = -1;
let sortedStamp = -1;

/** A compact or narrow baseline that held n readings has taken one of `tenths`: its smallest and largest, if known (or its first). */
function noteTenths(id: number, n: number, tenths: number): void {
  if (n === 0) {
    lows[id] = tenths;
    highs[id] = tenths;
  } else if (lows[id]! <= highs[id]!) {
    if (tenths < lows[id]!) lows[id] = tenths;
    if (tenths > highs[id]!) highs[id] = tenths;
  }
}

/** Makes lows[id] and highs[id] the smallest and largest tenths of baseline id (compact or narrow, size > 0), by a pass if not known. */
function extremes(id: number): void {
  if (lows[id]! <= highs[id]!) return;
  const cap = caps[id]!;
  const head = heads[id]!;
  const at = offs[id]! + (modes[id] === COMPACT ? 1 : 2) * cap;
  const end = head + ns[id]!; // the ring's entries: [head, min(end, cap)) and, wrapped, [0, end - cap)
  const a = words;
  let lo = TENTHS_MAX;
  let hi = TENTHS_MIN;
  for (let i = at + head, stop = at + Math.min(end, cap); i < stop; i++) {
    const v = a[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  for (let i = at, stop = at + end - cap; i < stop; i++) {
    const v = a[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  lows[id] = lo;
  highs[id] = hi;
}

/** Copies baseline id's tenths (compact or narrow) into `out` in ring order, oldest first; returns out. */
function ringTenthsInto(id: number, out: Int16Array): Int16Array {
  const cap = caps[id]!;
  const head = heads[id]!;
  const at = offs[id]! + (modes[id] === COMPACT ? 1 : 2) * cap;
  const end = head + ns[id]!; // the ring's entries: [head, min(end, cap)) and, wrapped, [0, end - cap)
  const first = Math.min(end, cap) - head;
  out.set(words.subarray(at + head, at + head + first));
  if (end > cap) out.set(words.subarray(at, at + end - cap), first);
  return out;
}

/** Baseline id's tenths (compact or narrow, size > 0) in ascending order: the first ns[id] entries of the array returned (scratch, valid until the next call). */
function sortTenths(id: number): Int16Array {
  if (sortedId === id && sortedStamp === stamp) return sortedScratch;
  const n = ns[id]!;
  if (sortedScratch.length < n) sortedScratch = new Int16Array(Math.max(n, 2 * sortedScratch.length));
  const out = ringTenthsInto(id, sortedScratch);
  extremes(id);
  const lo = lows[id]!;
  const span = highs[id]! - lo + 1;
  if (span <= COUNT_SPAN) {
    // counted, then written back over the copy in ascending order
    counts.fill(0, 0, span);
    for (let i = 0; i < n; i++) counts[out[i]! - lo]!++;
    let k = 0;
    for (let b = 0; b < span; b++) for (let m = counts[b]!; m > 0; m--) out[k++] = b + lo;
  } else out.subarray(0, n).sort();
  sortedId = id;
  sortedStamp = stamp;
  return out;
}

/*
 * The statistics over n ascending values at s[from...], in degrees after
 * dividing by div (tenths: 10; wide: 1, which changes no double).
 */

function medianOf(s: Int16Array | Float64Array, from: number, n: number, div: number): number {
  const idx = (n - 1) * 0.5;
  if (idx % 1 === 0) return s[from + idx]! / div;
  const lo = Math.floor(idx);
  const x = s[from + lo]! / div;
  return x + 0.5 * (s[from + lo + 1]! / div - x);
}

function madOf(s: Int16Array | Float64Array, from: number, n: number, med: number, div: number): number {
  const idx = (n - 1) * 0.5;
  const lo = Math.floor(idx);
  const want = idx % 1 === 0 ? lo : lo + 1; // the last order statistic needed
  // deviations grow outwards from the median on both sides: merge the two runs, from the first value >= med
  let right = 0;
  let hi = n;
  while (right < hi) {
    const mid = (right + hi) >> 1;
    if (s[from + mid]! / div < med) right = mid + 1;
    else hi = mid;
  }
  let left = right - 1;
  let dLo = 0;
  let d = 0;
  for (let k = 0; k <= want; k++) {
    const dl = left >= 0 ? Math.abs(s[from + left]! / div - med) : Infinity;
    const dr = right < n ? Math.abs(s[from + right]! / div - med) : Infinity;
    if (dl <= dr) {
      d = dl;
      left--;
    } else {
      d = dr;
      right++;
    }
    if (k === lo) dLo = d;
  }
  return want === lo ? dLo : dLo + 0.5 * (d - dLo);
}

/** Reading i's time offset in the narrow block at word o. */
function offsetAt(o: number, i: number): number {
  const a = words;
  return (a[o + 2 * i + 1]! & 0xffff) * 65536 + (a[o + 2 * i]! & 0xffff);
}

/** Inserts v among the n ascending values at s[from...]. */
function insertSorted(s: Float64Array, from: number, n: number, v: number): void {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[from + mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  s.copyWithin(from + lo + 1, from + lo, from + n);
  s[from + lo] = v;
}

/** Removes one copy of v from the n + 1 ascending values at s[from...]. */
function removeSorted(s: Float64Array, from: number, n: number, v: number): void {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[from + mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  s.copyWithin(from + lo, from + lo + 1, from + n + 1);
}
