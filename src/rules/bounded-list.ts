/**
 * Appends `x` to a list that keeps its last `max` entries, and returns the
 * list to keep (assign it back: it is a new array once, when the list first
 * fills).
 *
 * Pushing then shifting would keep the backing store that push grew (about
 * twice `max` for a short list, and it never shrinks back), for every
 * container. Here the list is copied once to a store of exactly `max` when it
 * first fills, and a full list moves its entries down one in place, so it
 * holds `max` numbers and no more. The entries and their order are those of
 * push-then-shift.
 */
export function pushBounded<T>(list: T[], x: T, max: number): T[] {
  if (list.length < max) {
    list.push(x);
    return list.length === max ? list.slice() : list;
  }
  const last = list.length - 1;
  for (let i = 0; i < last; i++) list[i] = list[i + 1]!;
  list[last] = x;
  return list;
}

/** The cells a bounded list may be kept in: a rule's cells or its 32-bit cells (Rule.cells, Rule.cells32). */
export type CellArray = Float64Array | Uint32Array;

/** The largest number a 32-bit cell holds. */
export const U32_MAX = 0xffffffff;

/**
 * `x` as a 32-bit cell keeps it: at most U32_MAX (a longer interval in
 * milliseconds, over 49.7 days, is kept as 49.7 days), at least 0. A
 * Uint32Array would wrap it instead.
 */
export function clampU32(x: number): number {
  return Math.min(Math.max(x, 0), U32_MAX);
}

/**
 * The same list kept in a rule's cells (Rule.cells or Rule.cells32): `c[at]`
 * holds how many entries there are, `c[at + 1]` on up to `max` of them,
 * oldest first. Appends `x`; a full list moves its entries down one, as
 * pushBounded does.
 */
export function pushBoundedCells(c: CellArray, at: number, x: number, max: number): void {
  const n = c[at]!;
  const first = at + 1;
  if (n < max) {
    c[first + n] = x;
    c[at] = n + 1;
    return;
  }
  for (let i = 0; i < max - 1; i++) c[first + i] = c[first + i + 1]!;
  c[first + max - 1] = x;
}

/**
 * The entries of a pushBoundedCells list in ascending order: copied into
 * `scratch` (as long as the bound at least) and sorted there; returns how
 * many there are (scratch[0] to scratch[n - 1]).
 */
export function sortedCells(c: CellArray, at: number, scratch: CellArray): number {
  const n = c[at]!;
  for (let i = 0; i < n; i++) scratch[i] = c[at + 1 + i]!;
  sortPrefix(scratch, n);
  return n;
}

/**
 * Sorts a[0] to a[n - 1] ascending in place, in the order a typed array's
 * own sort gives (-0 before 0; no NaN expected). The rules sort a few
 * entries per reading: by insertion, without the view object that
 * `a.subarray(0, n).sort()` makes each time; past 32 entries natively.
 */
export function sortPrefix(a: CellArray, n: number): void {
  if (n > 32) {
    a.subarray(0, n).sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const x = a[i]!;
    let j = i - 1;
    for (; j >= 0; j--) {
      const y = a[j]!;
      // (1 / x < 1 / y: x is -0 and y is 0)
      if (!(y > x || (y === x && x === 0 && 1 / x < 1 / y))) break;
      a[j + 1] = y;
    }
    a[j + 1] = x;
  }
}
