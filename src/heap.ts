/** What both heaps share: the items in heap order and their order; `less` must be a strict total order for deterministic pops. */
abstract class BinaryHeap<T> {
  protected readonly items: T[] = [];
  constructor(protected readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The queued items, in heap (not pop) order. */
  contents(): readonly T[] {
    return this.items;
  }

  peek(): T | undefined {
    return this.items[0];
  }
}

/** A binary min-heap. */
export class Heap<T> extends BinaryHeap<T> {
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** What an IndexedHeap keeps in each item: the item's place in the heap, -1 when not queued. */
export interface HeapPlace {
  heapIndex: number;
}

/**
 * A binary min-heap of objects that know their place in it, so an item's key
 * can change while queued (`update`: up or down, as the key moved) and an item
 * can leave from anywhere (`remove`). An item is in at most one such heap at
 * a time; `less` must be a strict total order for deterministic pops.
 */
export class IndexedHeap<T extends HeapPlace> extends BinaryHeap<T> {
  /** Whether `item` is queued in this heap. */
  has(item: T): boolean {
    const i = item.heapIndex;
    return i >= 0 && this.items[i] === item;
  }

  push(item: T): void {
    this.items.push(item);
    this.up(item, this.items.length - 1);
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) this.down(last, 0);
    top.heapIndex = -1;
    return top;
  }

  /** Puts a queued item back in order after its key changed (either way). */
  update(item: T): void {
    const i = item.heapIndex;
    if (i > 0 && this.less(item, this.items[(i - 1) >> 1]!)) this.up(item, i);
    else this.down(item, i);
  }

  /** Takes a queued item out of the heap. */
  remove(item: T): void {
    const a = this.items;
    const i = item.heapIndex;
    const last = a.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    // the last item fills the hole, then moves whichever way its key says
    if (i > 0 && this.less(last, a[(i - 1) >> 1]!)) this.up(last, i);
    else this.down(last, i);
  }

  /** Forgets every item (each is left not queued). */
  clear(): void {
    for (const item of this.items) item.heapIndex = -1;
    this.items.length = 0;
  }

  /** Places `item` at hole `i` or above, moving larger parents down. */
  private up(item: T, i: number): void {
    const a = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!this.less(item, parent)) break;
      a[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    a[i] = item;
    item.heapIndex = i;
  }

  /** Places `item` at hole `i` or below, moving smaller children up. */
  private down(item: T, i: number): void {
    const a = this.items;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      let child = a[l]!;
      const r = l + 1;
      if (r < n) {
        const right = a[r]!;
        if (this.less(right, child)) {
          c = r;
          child = right;
        }
      }
      if (!this.less(child, item)) break;
      a[i] = child;
      child.heapIndex = i;
      i = c;
    }
    a[i] = item;
    item.heapIndex = i;
  }
}
