/**
 * A container's recent temperature readings for TEMPERATURE_ANOMALY, kept
 * compact and sorted: the readings in time order in a ring (to drop the
 * oldest) and their values in ascending order (so the median is a lookup and
 * the median absolute deviation a walk outwards from it, not a sort per
 * reading).
 *
 * Every wire format carries tenths of a degree and millisecond times, so a
 * reading is stored as its time since a base (32 bits, rebased on the oldest
 * reading when needed) and its tenths (16 bits), with the sorted values as
 * 16-bit tenths too, all in one Int16Array: 8 bytes a reading instead of two
 * boxed doubles in growing arrays. A value that is not a whole number of
 * tenths (or a time that is not a whole millisecond, or a baseline spanning
 * more than 49 days) turns the baseline wide: float64 times and values, the
 * same answers.
 *
 * Medians and deviations are computed from the stored values exactly as
 * simple-statistics computes them from the same numbers (type 7 quantile at
 * 0.5: the middle value, or lo + 0.5 x (hi - lo) of the two middle ones), so
 * the results are the same doubles.
 */
const TENTHS_MIN = -32768;
const TENTHS_MAX = 32767;
/** Time offsets are 32-bit unsigned. */
const MAX_OFFSET = 2 ** 32;

/** Scratch for successiveSpread, shared (the engine is single-threaded and the spread is read at once). */
let steps = new Float64Array(64);

export class RollingBaseline {
  private n = 0;
  private head = 0;
  private cap: number;
  /** Narrow layout, for capacity c: [2i, 2i+1] the low and high halves of reading i's time offset, [2c + i] its tenths, [3c + j] the sorted tenths. */
  private a: Int16Array | null;
  private base = NaN;
  /** Wide: times and values in ring order, values ascending. */
  private wTs: Float64Array | null = null;
  private wValues: Float64Array | null = null;
  private wSorted: Float64Array | null = null;

  constructor(capacity = 16) {
    this.cap = capacity;
    this.a = new Int16Array(4 * capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Measurement time of the oldest reading (size > 0). */
  oldestTs(): number {
    return this.tsAt(this.head);
  }

  /** Drops the oldest readings while they are older than `minTs` or more than `max` are kept (as the rule's trim did). */
  trim(minTs: number, max: number): void {
    while (this.n > 0 && (this.tsAt(this.head) < minTs || this.n > max)) this.dropOldest();
  }

  push(ts: number, celsius: number): void {
    if (this.a && !this.fitsNarrow(ts, celsius)) this.widen();
    if (this.n === this.cap) this.grow();
    const i = (this.head + this.n) % this.cap;
    const a = this.a;
    if (a) {
      if (this.n === 0) this.base = ts;
      const off = ts - this.base;
      const tenths = Math.round(celsius * 10);
      a[2 * i] = off % 65536;
      a[2 * i + 1] = Math.floor(off / 65536);
      a[2 * this.cap + i] = tenths;
      this.insertSorted(tenths);
    } else {
      this.wTs![i] = ts;
      this.wValues![i] = celsius;
      this.insertSorted(celsius);
    }
    this.n++;
  }

  /** The smallest and the largest value (size > 0). */
  min(): number {
    return this.valueAt(0);
  }

  max(): number {
    return this.valueAt(this.n - 1);
  }

  /** The median of the values (size > 0). */
  median(): number {
    const idx = (this.n - 1) * 0.5;
    if (idx % 1 === 0) return this.valueAt(idx);
    const lo = Math.floor(idx);
    const x = this.valueAt(lo);
    return x + 0.5 * (this.valueAt(lo + 1) - x);
  }

  /** The median of |value - med| over the values, med being their median (size > 0). */
  medianAbsoluteDeviation(med: number): number {
    const n = this.n;
    const idx = (n - 1) * 0.5;
    const lo = Math.floor(idx);
    const want = idx % 1 === 0 ? lo : lo + 1; // the last order statistic needed
    // deviations grow outwards from the median on both sides: merge the two runs
    let right = this.firstAtLeast(med);
    let left = right - 1;
    let dLo = 0;
    let d = 0;
    for (let k = 0; k <= want; k++) {
      const dl = left >= 0 ? Math.abs(this.valueAt(left) - med) : Infinity;
      const dr = right < n ? Math.abs(this.valueAt(right) - med) : Infinity;
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

  /**
   * The lower median of |v[i+1] - v[i]| over the readings in time order: how
   * far one reading usually lies from the next (size > 1). Robust to a defrost
   * spike, which makes only two large steps.
   */
  successiveSpread(): number {
    const m = this.n - 1;
    if (steps.length < m) steps = new Float64Array(Math.max(m, 2 * steps.length));
    let prev = this.ringValue(this.head);
    for (let k = 1; k <= m; k++) {
      const v = this.ringValue((this.head + k) % this.cap);
      steps[k - 1] = Math.abs(v - prev);
      prev = v;
    }
    const sorted = steps.subarray(0, m).sort();
    return sorted[(m - 1) >> 1]!;
  }

  private ringValue(i: number): number {
    const a = this.a;
    return a ? a[2 * this.cap + i]! / 10 : this.wValues![i]!;
  }

  /** The j-th smallest value in degrees. */
  private valueAt(j: number): number {
    const a = this.a;
    return a ? a[3 * this.cap + j]! / 10 : this.wSorted![j]!;
  }

  /** Index of the first sorted value >= x (degrees). */
  private firstAtLeast(x: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.valueAt(mid) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private offsetAt(i: number): number {
    const a = this.a!;
    return (a[2 * i + 1]! & 0xffff) * 65536 + (a[2 * i]! & 0xffff);
  }

  private tsAt(i: number): number {
    return this.a ? this.base + this.offsetAt(i) : this.wTs![i]!;
  }

  private dropOldest(): void {
    const a = this.a;
    // the value in the unit of the sorted values: tenths (narrow) or degrees (wide)
    const v = a ? a[2 * this.cap + this.head]! : this.wValues![this.head]!;
    this.head = (this.head + 1) % this.cap;
    this.n--;
    // remove one copy of v from the sorted values (n + 1 of them before the drop)
    const s: Int16Array | Float64Array = a ?? this.wSorted!;
    const from = a ? 3 * this.cap : 0;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[from + mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    s.copyWithin(from + lo, from + lo + 1, from + this.n + 1);
  }

  private insertSorted(v: number): void {
    const s: Int16Array | Float64Array = this.a ?? this.wSorted!;
    const from = this.a ? 3 * this.cap : 0;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[from + mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    s.copyWithin(from + lo + 1, from + lo, from + this.n);
    s[from + lo] = v;
  }

  private fitsNarrow(ts: number, celsius: number): boolean {
    const tenths = Math.round(celsius * 10);
    if (tenths / 10 !== celsius || Object.is(celsius, -0) || !(tenths >= TENTHS_MIN && tenths <= TENTHS_MAX)) return false;
    if (!Number.isInteger(ts)) return false;
    if (this.n === 0) return true;
    const off = ts - this.base;
    if (off >= 0 && off < MAX_OFFSET) return true;
    // rebase on the earliest kept reading, if that brings it in range
    let earliest = Infinity;
    for (let k = 0; k < this.n; k++) earliest = Math.min(earliest, this.tsAt((this.head + k) % this.cap));
    const off2 = ts - earliest;
    if (off2 < 0 || off2 >= MAX_OFFSET) return false;
    this.rebase(earliest);
    return true;
  }

  private rebase(newBase: number): void {
    const a = this.a!;
    const shift = newBase - this.base;
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) % this.cap;
      const off = this.offsetAt(i) - shift;
      a[2 * i] = off % 65536;
      a[2 * i + 1] = Math.floor(off / 65536);
    }
    this.base = newBase;
  }

  private widen(): void {
    const cap = this.cap;
    const ts = new Float64Array(cap);
    const values = new Float64Array(cap);
    const sorted = new Float64Array(cap);
    const a = this.a!;
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) % cap;
      ts[k] = this.tsAt(i);
      values[k] = a[2 * cap + i]! / 10;
      sorted[k] = a[3 * cap + k]! / 10;
    }
    this.a = null;
    this.wTs = ts;
    this.wValues = values;
    this.wSorted = sorted;
    this.head = 0;
  }

  private grow(): void {
    const cap = this.cap;
    // doubling while small, then four readings at a time: a full day's baseline (105 readings at a
    // quarter-hourly rate) leaves at most three slots unused (8 bytes each)
    const next = cap < 64 ? cap * 2 : cap + 4;
    const a = this.a;
    if (a) {
      const b = new Int16Array(4 * next);
      for (let k = 0; k < this.n; k++) {
        const i = (this.head + k) % cap;
        b[2 * k] = a[2 * i]!;
        b[2 * k + 1] = a[2 * i + 1]!;
        b[2 * next + k] = a[2 * cap + i]!;
      }
      b.set(a.subarray(3 * cap, 3 * cap + this.n), 3 * next);
      this.a = b;
    } else {
      const ts = new Float64Array(next);
      const values = new Float64Array(next);
      for (let k = 0; k < this.n; k++) {
        const i = (this.head + k) % cap;
        ts[k] = this.wTs![i]!;
        values[k] = this.wValues![i]!;
      }
      const sorted = new Float64Array(next);
      sorted.set(this.wSorted!.subarray(0, this.n));
      this.wTs = ts;
      this.wValues = values;
      this.wSorted = sorted;
    }
    this.cap = next;
    this.head = 0;
  }
}
