import { createHash } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import type { WireReading } from '../../model/reading.js';

/**
 * DCSA Track & Trace 3.0 IoT events (the IoT 1.0.0-Beta-1 extension of T&T
 * 3.0.0-Beta-1, Event Domain 3.1.0 `iotEvent`): each event a `metadata`
 * part (eventID, eventCreatedDateTime, eventType IOT, publisher and role,
 * and `retractedEventID` when it withdraws an earlier event) and a `payload`
 * part (ACT, eventDateTime, DETC, iotEventCode, geoLocation,
 * equipmentReference), no payload on a retraction. Door openings are `DRO`,
 * the code of Event Domain 3.1.0; door closings `DRC` and breadcrumbs of
 * fixes `LOC` are the codes of DCSA's later T&T 3.0 design, which 3.1.0 does
 * not list yet (a consumer held to 3.1.0 asks for ?iotEventCodes=DRO).
 */
export const IOT_EVENT_CODES = ['DRO', 'DRC', 'LOC'] as const;
export type IotEventCode = (typeof IOT_EVENT_CODES)[number];

export interface DcsaPublisher {
  partyName: string;
  carrierCode: string;
  carrierCodeListProvider: 'SMDG' | 'NMFTA';
}

export interface DcsaIotEvent {
  metadata: {
    eventID: string;
    eventCreatedDateTime: string;
    eventType: 'IOT';
    retractedEventID?: string;
    publisher: DcsaPublisher;
    publisherRole: Config['api']['dcsa']['publisherRole'];
  };
  payload?: {
    eventClassifierCode: 'ACT';
    eventDateTime: string;
    iotEventTypeCode: 'DETC';
    iotEventCode: IotEventCode;
    geoLocation?: { latitude: string; longitude: string };
    equipmentReference: string;
  };
}

/** An event as derived, before it is given its id: `key` names what it is about, whatever its id's generation. */
export interface Derived {
  key: string;
  code: IotEventCode;
  event: (eventID: string) => DcsaIotEvent;
  eventDateTime: string;
}

/**
 * How far back what the API holds of a container can judge an event: a
 * breadcrumb from the oldest reading held on; a door event only after the
 * oldest door reading held (whether that one changed the state depends on
 * readings already forgotten).
 */
export interface Horizon {
  fixesFrom: number;
  doorsAfter: number;
}

export function horizonOf(readings: readonly WireReading[]): Horizon {
  const firstDoor = readings.find((r) => r.kind === 'door');
  return { fixesFrom: readings.length ? Date.parse(readings[0]!.measuredAt) : Number.POSITIVE_INFINITY, doorsAfter: firstDoor ? Date.parse(firstDoor.measuredAt) : Number.POSITIVE_INFINITY };
}

/**
 * A stable UUID for a name (the layout of RFC 9562's version 8: SHA-256,
 * version and variant bits set), so the same reading gives the same eventID
 * on every request, in every process.
 */
export function stableUuid(name: string): string {
  const b = createHash('sha256').update(`sealwatch-dcsa\u0000${name}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** DCSA's geo coordinates are strings of at most 10 and 11 characters: signed, five decimals (about a metre). */
function coordinate(x: number): string {
  return `${x < 0 ? '-' : '+'}${Math.abs(x).toFixed(5)}`;
}

export interface DeriveOptions {
  containerId: string;
  publisher: DcsaPublisher;
  publisherRole: DcsaIotEvent['metadata']['publisherRole'];
  /** A door event is placed by the fix nearest in time within this (rules.doorOpen.fixMaxAgeMs); farther, it has no geoLocation. */
  placeWithinMs: number;
}

/**
 * The events a container's readings make: a breadcrumb per fix, and a door
 * event per change of the door's state in measurement order (a door first
 * seen open counts as opened; first seen closed, as nothing). The readings
 * are in measurement order. Everything comes from the data: the event time is
 * the measurement time, the creation time is when sealwatch received it.
 */
export function deriveIotEvents(readings: readonly WireReading[], o: DeriveOptions): Derived[] {
  const fixes = readings.filter((r): r is Extract<WireReading, { kind: 'location' }> => r.kind === 'location');
  const metadata = (eventID: string, created: string): DcsaIotEvent['metadata'] => ({ eventID, eventCreatedDateTime: created, eventType: 'IOT', publisher: o.publisher, publisherRole: o.publisherRole });
  const make = (r: WireReading, code: IotEventCode, at: { lat: number; lon: number } | null): Derived => ({
    key: `${code}:${r.eventId}`,
    code,
    eventDateTime: r.measuredAt,
    event: (eventID) => ({
      metadata: metadata(eventID, r.receivedAt),
      payload: {
        eventClassifierCode: 'ACT',
        eventDateTime: r.measuredAt,
        iotEventTypeCode: 'DETC',
        iotEventCode: code,
        ...(at ? { geoLocation: { latitude: coordinate(at.lat), longitude: coordinate(at.lon) } } : {}),
        equipmentReference: o.containerId,
      },
    }),
  });
  const out: Derived[] = [];
  let door: 'open' | 'closed' | 'unknown' = 'unknown';
  for (const r of readings) {
    if (r.kind === 'location') out.push(make(r, 'LOC', r));
    else if (r.kind === 'door') {
      const next = r.open ? 'open' : 'closed';
      if (next !== door && (door !== 'unknown' || r.open)) out.push(make(r, r.open ? 'DRO' : 'DRC', nearestFix(fixes, Date.parse(r.measuredAt), o.placeWithinMs)));
      door = next;
    }
  }
  return out;
}

function nearestFix(fixes: ReadonlyArray<{ measuredAt: string; lat: number; lon: number }>, t: number, within: number): { lat: number; lon: number } | null {
  let best: { lat: number; lon: number } | null = null;
  let bestD = within;
  for (const f of fixes) {
    const d = Math.abs(Date.parse(f.measuredAt) - t);
    if (d <= bestD) {
      best = f;
      bestD = d;
    }
  }
  return best;
}

interface Published {
  eventID: string;
  code: IotEventCode;
  eventDateTime: number;
}

interface Feed {
  /** What the feed has published and not withdrawn, by what it is about. */
  published: Map<string, Published>;
  /** Generation of each key's id: bumped when its event is withdrawn, so one published again gets a new eventID. */
  generations: Map<string, number>;
  /** Retractions issued, with the code of the event each withdrew (for a feed read with ?iotEventCodes=). */
  retractions: Array<{ code: IotEventCode; event: DcsaIotEvent }>;
}

const MAX_RETRACTIONS_PER_FEED = 10_000;

/**
 * What each feed (a container's, a trip's) has published, so that an event a
 * re-evaluation withdraws is retracted rather than silently missing: a late
 * reading that changes which reading changed the door's state, or a plan
 * whose new dates leave readings outside its trip. A retraction is an event
 * of its own (a new eventID, created when sealwatch noticed) whose
 * `retractedEventID` names the withdrawn one, without payload. An event
 * beyond the horizon of what the API still holds of the container has not
 * been withdrawn, only forgotten: it is dropped from the record without a
 * retraction. Kept in memory, for `maxFeeds` feeds (least recently read go).
 */
export class DcsaLedger {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly maxFeeds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The feed's events now: what the readings make, and every retraction the feed has issued, oldest created first; only `codes` when given. */
  reconcile(feedKey: string, derived: readonly Derived[], horizon: Horizon, meta: Omit<DcsaIotEvent['metadata'], 'eventID' | 'eventCreatedDateTime' | 'eventType' | 'retractedEventID'>, codes?: ReadonlySet<IotEventCode>): DcsaIotEvent[] {
    let feed = this.feeds.get(feedKey);
    if (feed) this.feeds.delete(feedKey);
    else feed = { published: new Map(), generations: new Map(), retractions: [] };
    this.feeds.set(feedKey, feed); // most recently read last
    while (this.feeds.size > this.maxFeeds) this.feeds.delete(this.feeds.keys().next().value!);
    const current = new Map<string, DcsaIotEvent>();
    for (const d of derived) {
      const gen = feed.generations.get(d.key) ?? 0;
      const eventID = stableUuid(`${d.key}#${gen}`);
      current.set(d.key, d.event(eventID));
    }
    const created = new Date(this.now()).toISOString();
    for (const [key, p] of feed.published) {
      if (current.has(key)) continue;
      feed.published.delete(key);
      if (p.code === 'LOC' ? p.eventDateTime < horizon.fixesFrom : p.eventDateTime <= horizon.doorsAfter) continue; // forgotten, not withdrawn
      feed.generations.set(key, (feed.generations.get(key) ?? 0) + 1);
      feed.retractions.push({ code: p.code, event: { metadata: { eventID: stableUuid(`retract:${p.eventID}`), eventCreatedDateTime: created, eventType: 'IOT', retractedEventID: p.eventID, ...meta } } });
      if (feed.retractions.length > MAX_RETRACTIONS_PER_FEED) feed.retractions.shift();
    }
    for (const d of derived) feed.published.set(d.key, { eventID: current.get(d.key)!.metadata.eventID, code: d.code, eventDateTime: Date.parse(d.eventDateTime) });
    const wanted = (code: IotEventCode | undefined) => !codes || (code !== undefined && codes.has(code));
    return [...[...current.values()].filter((e) => wanted(e.payload?.iotEventCode)), ...feed.retractions.filter((r) => wanted(r.code)).map((r) => r.event)].sort(byCreation);
  }
}

/** DCSA's order: by eventCreatedDateTime, ascending (then event time and id, for a stable order). */
function byCreation(a: DcsaIotEvent, b: DcsaIotEvent): number {
  const x = a.metadata.eventCreatedDateTime;
  const y = b.metadata.eventCreatedDateTime;
  if (x !== y) return x < y ? -1 : 1;
  const ex = a.payload?.eventDateTime ?? '';
  const ey = b.payload?.eventDateTime ?? '';
  if (ex !== ey) return ex < ey ? -1 : 1;
  return a.metadata.eventID < b.metadata.eventID ? -1 : a.metadata.eventID > b.metadata.eventID ? 1 : 0;
}
