/**
 * Remembers the last `idsPerDevice` message ids of each device, for at most
 * `maxDevices` devices (least recently heard evicted first): bounded memory,
 * O(1) per message.
 */
interface Window {
  ids: Set<string>;
  ring: string[];
  next: number;
}

export class Deduper {
  private readonly devices = new Map<string, Window>();
  constructor(private readonly idsPerDevice: number, private readonly maxDevices: number) {}

  /** True when this id was already seen for the device; otherwise records it. */
  isDuplicate(deviceKey: string, id: string): boolean {
    let w = this.devices.get(deviceKey);
    if (w) {
      if (w.ids.has(id)) return true;
      this.devices.delete(deviceKey); // re-inserted below: most recently heard last
    } else {
      w = { ids: new Set(), ring: [], next: 0 };
      if (this.devices.size >= this.maxDevices) {
        const oldest = this.devices.keys().next().value as string;
        this.devices.delete(oldest);
      }
    }
    this.devices.set(deviceKey, w);
    if (w.ring.length < this.idsPerDevice) w.ring.push(id);
    else {
      w.ids.delete(w.ring[w.next]!);
      w.ring[w.next] = id;
      w.next = (w.next + 1) % this.idsPerDevice;
    }
    w.ids.add(id);
    return false;
  }

  get deviceCount(): number {
    return this.devices.size;
  }
}
