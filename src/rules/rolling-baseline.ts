/**
 * A container's recent temperature readings for TEMPERATURE_ANOMALY, kept
 * compact and sorted: the readings in time order in a ring (to drop the
 * oldest) and their values in ascending order (so the median is a lookup and
 * the median absolute deviation a walk outwards from it, not a sort per
 * reading).
 *
 * Every wire format carries tenths of a degree and millisecond times, so a
 * reading is stored as its time since the baseline's first reading and its
 * tenths, packed into one float64 (exact: integers below 2^53), and the
 * sorted values as int16 tenths: 10 bytes a reading instead of two boxed
 * doubles in growing arrays. A value that is not a whole number of tenths (or
 * a time that is not a whole millisecond, or too far from the first) turns
 * the baseline wide: float64 times and values, the same answers.
 *
 * Medians and deviations are computed from the stored values exactly as
 * simple-statistics computes them from the same numbers (type 7 quantile at
 * 0.5: the middle value, or lo + 0.5 x (hi - lo) of the two middle ones), so
 * the results are the same doubles.
 */
const PACK = 65536;
const TENTHS_OFFSET = 32768;
/** Offsets up to 2^36 ms (2.2 years) keep offset x 65536 + tenths exact in a double. */
const MAX_OFFSET = 2 ** 36;

export class RollingBaseline {
  private n = 0;
  private head = 0;
  /** Narrow: offset x PACK + tenths + TENTHS_OFFSET. Wide: the time. */
  private ring: Float64Array;
  /** Wide only: the values in ring order. */
  private ringValues: Float64Array | null = null;
  /** Narrow: tenths; wide: degrees; ascending, first n. */
  private sorted: Int16Array | Float64Array;
  private base = NaN;
  private wide = false;

  constructor(capacity = 16) {
    [this.ring, this.sorted] = narrowArrays(capacity);
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
    if (!this.wide && !this.fitsNarrow(ts, celsius)) this.widen();
    if (this.n === this.ring.length) this.grow();
    const i = (this.head + this.n) % this.ring.length;
    if (this.wide) {
      this.ring[i] = ts;
      this.ringValues![i] = celsius;
      this.insertSorted(celsius);
    } else {
      if (this.n === 0) this.base = ts;
      const tenths = Math.round(celsius * 10);
      this.ring[i] = (ts - this.base) * PACK + tenths + TENTHS_OFFSET;
      this.insertSorted(tenths);
    }
    this.n++;
  }

  /** The median of the values (size > 0). */
  median(): number {
    const n = this.n;
    const idx = (n - 1) * 0.5;
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

  private valueAt(i: number): number {
    return this.wide ? this.sorted[i]! : this.sorted[i]! / 10;
  }

  /** Index of the first sorted value >= x. */
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

  private tsAt(i: number): number {
    const e = this.ring[i]!;
    return this.wide ? e : this.base + Math.floor(e / PACK);
  }

  private valueInRing(i: number): number {
    // narrow: tenths; wide: degrees (the unit of `sorted`)
    return this.wide ? this.ringValues![i]! : (this.ring[i]! % PACK) - TENTHS_OFFSET;
  }

  private dropOldest(): void {
    const v = this.valueInRing(this.head);
    this.head = (this.head + 1) % this.ring.length;
    this.n--;
    // remove one copy of v from the sorted values
    const s = this.sorted;
    let lo = 0;
    let hi = this.n; // n + 1 values before the drop
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    s.copyWithin(lo, lo + 1, this.n + 1);
  }

  private insertSorted(v: number): void {
    const s = this.sorted;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    s.copyWithin(lo + 1, lo, this.n);
    s[lo] = v;
  }

  private fitsNarrow(ts: number, celsius: number): boolean {
    const tenths = Math.round(celsius * 10);
    if (tenths / 10 !== celsius || Object.is(celsius, -0) || tenths < -TENTHS_OFFSET || tenths >= TENTHS_OFFSET) return false;
    if (!Number.isInteger(ts)) return false;
    if (this.n === 0) return true;
    const off = ts - this.base;
    if (off >= 0 && off < MAX_OFFSET) return true;
    // rebase on the oldest kept reading, if that brings it in range
    const oldest = this.tsAt(this.head);
    const off2 = ts - oldest;
    if (off2 < 0 || off2 >= MAX_OFFSET) return false;
    this.rebase(oldest);
    return true;
  }

  private rebase(newBase: number): void {
    const len = this.ring.length;
    const shift = (newBase - this.base) * PACK;
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) % len;
      this.ring[i] = this.ring[i]! - shift;
    }
    this.base = newBase;
  }

  private widen(): void {
    const len = this.ring.length;
    const ring = new Float64Array(len);
    const values = new Float64Array(len);
    const sorted = new Float64Array(len);
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) % len;
      ring[k] = this.tsAt(i);
      values[k] = this.valueInRing(i) / 10;
      sorted[k] = this.sorted[k]! / 10;
    }
    this.ring = ring;
    this.ringValues = values;
    this.sorted = sorted;
    this.head = 0;
    this.wide = true;
  }

  private grow(): void {
    const len = this.ring.length;
    const cap = len + Math.max(8, len >> 2);
    let ring: Float64Array = new Float64Array(cap);
    const values = this.wide ? new Float64Array(cap) : null;
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) % len;
      ring[k] = this.ring[i]!;
      if (values) values[k] = this.ringValues![i]!;
    }
    let sorted: Int16Array | Float64Array;
    if (this.wide) sorted = new Float64Array(cap);
    else {
      let narrowRing: Float64Array;
      [narrowRing, sorted] = narrowArrays(cap);
      narrowRing.set(ring);
      ring = narrowRing;
    }
    sorted.set(this.sorted.subarray(0, this.n));
    this.ring = ring;
    this.ringValues = values;
    this.sorted = sorted;
    this.head = 0;
  }
}

/** A narrow baseline's ring and sorted values in one buffer (one allocation, one backing store). */
function narrowArrays(capacity: number): [Float64Array, Int16Array] {
  const buf = new ArrayBuffer(capacity * 10);
  return [new Float64Array(buf, 0, capacity), new Int16Array(buf, capacity * 8, capacity)];
}
