import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus, Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { parseWireReading, readingToWire, type Reading, type WireReading } from '../model/reading.js';

export interface Fix {
  at: string;
  lat: number;
  lon: number;
  speedKn: number | null;
  headingDeg: number | null;
  eventId: string;
}

export interface ContainerSummary {
  containerId: string;
  deviceId: string;
  tripId: string | null;
  lastSeenAt: string;
  position: Fix | null;
  door: { open: boolean; at: string } | null;
  temperature: { celsius: number; setpointC: number | null; at: string } | null;
  light: { lux: number; at: string } | null;
}

interface State {
  containerId: string;
  deviceId: string;
  tripId: string | null;
  lastSeen: number;
  position: { ts: number; r: Extract<Reading, { kind: 'location' }> } | null;
  door: { ts: number; open: boolean } | null;
  temperature: { ts: number; celsius: number; setpointC: number | null } | null;
  light: { ts: number; lux: number } | null;
  /** Fixes in measurement order, at most `trackPoints`. */
  track: Reading[];
  /** Readings of every kind in measurement order, at most `evidenceReadings`. */
  readings: Reading[];
}

/**
 * What the dashboard needs of the telemetry: per container its latest
 * position, door, temperature and light (by measurement time, not arrival),
 * a bounded track and a bounded window of readings for evidence timelines.
 * Fed by its own consumer group on the telemetry topic.
 */
export class ContainerView {
  private readonly byId = new Map<string, State>();
  private sub: Subscription | null = null;
  readingsSeen = 0;

  constructor(
    private readonly opts: { trackPoints: number; evidenceReadings: number },
    private readonly log?: Logger,
  ) {}

  async follow(bus: Bus, fromNow: boolean): Promise<void> {
    this.sub = await bus.subscribe({
      groupId: `sealwatch-api-telemetry-${randomUUID()}`,
      topics: [TOPICS.telemetry],
      bulk: true,
      fromBeginning: true,
      fromNow,
      handler: async (batch) => {
        for (const m of batch) {
          try {
            this.add(parseWireReading(m.value.toString('utf8')));
          } catch (err) {
            this.log?.warn({ offset: m.offset, err: (err as Error).message }, 'api.undecodable_telemetry');
          }
        }
      },
    });
  }

  add(r: Reading): void {
    this.readingsSeen++;
    let s = this.byId.get(r.containerId);
    if (!s) {
      s = { containerId: r.containerId, deviceId: r.deviceId, tripId: r.tripId, lastSeen: r.ts, position: null, door: null, temperature: null, light: null, track: [], readings: [] };
      this.byId.set(r.containerId, s);
    }
    if (!insertSorted(s.readings, r, this.opts.evidenceReadings)) return; // a redelivered reading
    if (r.ts >= s.lastSeen) {
      s.lastSeen = r.ts;
      s.deviceId = r.deviceId;
      s.tripId = r.tripId;
    }
    switch (r.kind) {
      case 'location':
        insertSorted(s.track, r, this.opts.trackPoints);
        if (!s.position || r.ts >= s.position.ts) s.position = { ts: r.ts, r };
        break;
      case 'door':
        if (!s.door || r.ts >= s.door.ts) s.door = { ts: r.ts, open: r.open };
        break;
      case 'temperature':
        if (!s.temperature || r.ts >= s.temperature.ts) s.temperature = { ts: r.ts, celsius: r.celsius, setpointC: r.setpointC ?? null };
        break;
      case 'light':
        if (!s.light || r.ts >= s.light.ts) s.light = { ts: r.ts, lux: r.lux };
        break;
    }
  }

  list(): ContainerSummary[] {
    return [...this.byId.values()].sort((a, b) => (a.containerId < b.containerId ? -1 : 1)).map(summary);
  }

  get(containerId: string): ContainerSummary | null {
    const s = this.byId.get(containerId);
    return s ? summary(s) : null;
  }

  /** Fixes with from <= ts < to. */
  track(containerId: string, from: number, to: number, limit: number): Fix[] {
    return window(this.byId.get(containerId)?.track ?? [], from, to)
      .slice(-limit)
      .map((r) => toFix(r as Extract<Reading, { kind: 'location' }>));
  }

  /** Readings of every kind with from <= ts < to, in the telemetry topic's JSON form. */
  readings(containerId: string, from: number, to: number, limit: number): WireReading[] {
    return window(this.byId.get(containerId)?.readings ?? [], from, to)
      .slice(0, limit)
      .map((r) => readingToWire(r));
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}

function summary(s: State): ContainerSummary {
  const iso = (ts: number) => new Date(ts).toISOString();
  return {
    containerId: s.containerId,
    deviceId: s.deviceId,
    tripId: s.tripId,
    lastSeenAt: iso(s.lastSeen),
    position: s.position ? toFix(s.position.r) : null,
    door: s.door ? { open: s.door.open, at: iso(s.door.ts) } : null,
    temperature: s.temperature ? { celsius: s.temperature.celsius, setpointC: s.temperature.setpointC, at: iso(s.temperature.ts) } : null,
    light: s.light ? { lux: s.light.lux, at: iso(s.light.ts) } : null,
  };
}

function toFix(r: Extract<Reading, { kind: 'location' }>): Fix {
  return { at: new Date(r.ts).toISOString(), lat: r.lat, lon: r.lon, speedKn: r.speedKn ?? null, headingDeg: r.headingDeg ?? null, eventId: r.eventId };
}

/** First index whose ts is >= ts. */
function lowerBound(list: readonly Reading[], ts: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function window(list: readonly Reading[], from: number, to: number): Reading[] {
  return list.slice(lowerBound(list, from), lowerBound(list, to));
}

/** Inserts in measurement order, dropping the oldest beyond `cap`; false when the event id is already there. */
function insertSorted(list: Reading[], r: Reading, cap: number): boolean {
  let i = lowerBound(list, r.ts);
  for (let j = i; j < list.length && list[j]!.ts === r.ts; j++) if (list[j]!.eventId === r.eventId) return false;
  while (i < list.length && list[i]!.ts === r.ts) i++;
  if (list.length >= cap && i === 0) return true; // older than everything kept: not kept, but not a duplicate
  list.splice(i, 0, r);
  if (list.length > cap) list.shift();
  return true;
}
