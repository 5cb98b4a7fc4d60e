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
