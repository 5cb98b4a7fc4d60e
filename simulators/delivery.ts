import type { ContainerModel, TrueReading } from './container.js';
import { phaseAt } from './container.js';
import { CsvV1Encoder, encodeBatch, JsonV1Encoder, type BatchEvent } from './encoders.js';
import { hash32, type Rng } from './rng.js';

/**
 * From measurements to MQTT messages as the pipeline receives them: the
 * device clock (skew), the network (latency, reordering), coverage gaps
 * (store-and-forward: the backlog arrives at reconnect, oldest first),
 * duplicates and the odd garbage message (WIRE 1.4).
 */
export interface SimMessage {
  /** Arrival time at the pipeline, ms since the epoch. */
  t: number;
  topic: string;
  payload: Buffer;
  /** Set on messages a fault made: a re-sent duplicate, a deliberately undecodable message, or a store-and-forward backlog. */
  fault?: 'duplicate' | 'garbage' | 'delayed';
}

export interface DeliveryOptions {
  topicRoot: string;
  faults: boolean;
}

interface Gap {
  from: number;
  to: number;
}

const BATCH_WINDOW_MS = 5 * 60_000;

const H = 3_600_000;
const MIN = 60_000;

/**
 * When a link is down inside [from, to]: store-and-forward gaps (out of
 * coverage for 1-5 h; on `share` of the devices or gateways, at most two) and
 * communication outages (5-75 min; on half of them, one every 1-3 days on
 * average). Either way nothing arrives while the link is down and the
 * backlog goes out when it is back. Not overlapping, an hour apart at least.
 */
export function drawGaps(rng: Rng, from: number, to: number, share: number): Gap[] {
  const gaps: Gap[] = [];
  const fits = (g: Gap): boolean => g.from > from && g.to < to && gaps.every((o) => g.to + H < o.from || g.from > o.to + H);
  const sf = rng.fork('store-and-forward');
  if (sf.chance(share) && to - from >= 10 * H) {
    const n = sf.chance(0.3) ? 2 : 1;
    for (let i = 0; i < n; i++) {
      const len = sf.uniform(1, 5) * H;
      const start = sf.uniform(from + 2 * H, to - 2 * H - len);
      const g = { from: Math.round(start), to: Math.round(start + len) };
      if (fits(g)) gaps.push(g);
    }
  }
  const out = rng.fork('outages');
  if (out.chance(0.5)) {
    const meanMs = out.uniform(24, 72) * H;
    for (let t = from + -Math.log(1 - out.next()) * meanMs; t < to; t += -Math.log(1 - out.next()) * meanMs) {
      const g = { from: Math.round(t), to: Math.round(t + out.uniform(5, 75) * MIN) };
      if (fits(g)) gaps.push(g);
    }
  }
  return gaps.sort((a, b) => a.from - b.from);
}

/** The drawn gaps and the forced ones (a breach's backlog), drawn ones within an hour of a forced one left out. */
function withForced(drawn: Gap[], forced: readonly Gap[]): Gap[] {
  if (forced.length === 0) return drawn;
  const kept = drawn.filter((g) => forced.every((f) => g.to + 3_600_000 < f.from || g.from > f.to + 3_600_000));
  const all = [...kept];
  for (const f of [...forced].sort((a, b) => a.from - b.from)) if (all.every((g) => f.to < g.from || f.from > g.to)) all.push(f);
  return all.sort((a, b) => a.from - b.from);
}

function gapAt(gaps: readonly Gap[], t: number): Gap | null {
  for (const g of gaps) if (t >= g.from && t < g.to) return g;
  return null;
}

/** Messages of json-v1 and csv-v1 devices: one per reading. */
export function deliverDevice(m: ContainerModel, readings: readonly TrueReading[], opts: DeliveryOptions, rng: Rng, out: SimMessage[]): void {
  const fmt = m.device.format;
  const gaps = opts.faults ? withForced(drawGaps(rng, m.first, m.last, 0.2), m.backlog ? [m.backlog] : []) : [];
  const json = fmt === 'json-v1' ? new JsonV1Encoder(opts.topicRoot, m.deviceId, m.containerId, (hash32(m.deviceId) & 0xffff).toString(16).padStart(4, '0'), rng.int(1, 5000)) : null;
  const csv = fmt === 'csv-v1' ? new CsvV1Encoder(opts.topicRoot, m.deviceId, rng.int(0, 65535)) : null;
  let cursor = 0;
  let lastGap: Gap | null = null;
  const dup = rng.fork('duplicates');
  for (const r of readings) {
    const enc = (json ?? csv)!.encode(r);
    // cellular json devices answer in a second or two, satellite csv links take longer
    let t = r.tt + (csv ? rng.uniform(3_000, 15_000) : rng.uniform(200, 2_500));
    if (opts.faults) t += rng.uniform(0, 25_000);
    const gap = gapAt(gaps, r.tt);
    let fault: SimMessage['fault'];
    if (gap) {
      if (gap !== lastGap) {
        lastGap = gap;
        cursor = gap.to + 2_000;
      }
      // the backlog goes out oldest first, back to back (a satellite modem a message every second or few),
      // while what is measured after the link is back goes out live between them
      cursor += csv ? rng.uniform(500, 3_000) : rng.uniform(40, 120);
      t = cursor;
      fault = 'delayed';
    }
    const msg: SimMessage = { t: Math.round(t), topic: enc.topic, payload: enc.payload };
    if (fault) msg.fault = fault;
    out.push(msg);
    // a device that missed the acknowledgement sends the same message again
    if (dup.chance(m.device.duplicateShare)) out.push({ t: Math.round(t + dup.uniform(2_000, 120_000)), topic: enc.topic, payload: enc.payload, fault: 'duplicate' });
  }
}

export interface GatewayEvent {
  tt: number;
  gatewayId: string;
  event: BatchEvent;
}

/** The gateway events of one batch-v1 device: each reading goes through the gateway of the ship or terminal it is at. */
export function gatewayEvents(m: ContainerModel, readings: readonly TrueReading[], out: GatewayEvent[]): void {
  let n = 0;
  for (const r of readings) {
    const ph = phaseAt(m, r.tt);
    const gatewayId = ph.kind === 'ship' ? ph.sailing.gatewayId : `TRM-${ph.port.locode}`;
    n++;
    out.push({ tt: r.tt, gatewayId, event: { eventId: `${m.deviceId}-${String(n).padStart(6, '0')}`, deviceId: m.deviceId, containerId: m.containerId, reading: r } });
  }
}

/** Gateways batch what they heard every 5 minutes; a ship's gateway may lose its satellite link for a while. */
export function deliverBatches(events: GatewayEvent[], gatewayWindows: ReadonlyMap<string, { from: number; to: number }>, opts: DeliveryOptions, rng: Rng, out: SimMessage[], forced: ReadonlyMap<string, readonly Gap[]> = new Map()): void {
  const byGateway = new Map<string, GatewayEvent[]>();
  for (const e of events) {
    let list = byGateway.get(e.gatewayId);
    if (!list) byGateway.set(e.gatewayId, (list = []));
    list.push(e);
  }
  const ids = [...byGateway.keys()].sort();
  for (const id of ids) {
    const list = byGateway
      .get(id)!
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.tt - b.e.tt || a.i - b.i)
      .map((x) => x.e);
    const grng = rng.fork(`gateway:${id}`);
    const w = gatewayWindows.get(id);
    const gaps = opts.faults ? withForced(w && id.startsWith('VSL-') ? drawGaps(grng, w.from, w.to, 0.25) : [], forced.get(id) ?? []) : [];
    let i = 0;
    let cursor = 0;
    let lastGap: Gap | null = null;
    while (i < list.length) {
      const win = Math.floor(list[i]!.tt / BATCH_WINDOW_MS);
      const batch: BatchEvent[] = [];
      while (i < list.length && Math.floor(list[i]!.tt / BATCH_WINDOW_MS) === win) batch.push(list[i++]!.event);
      let sentAt = (win + 1) * BATCH_WINDOW_MS + grng.uniform(0, 8_000);
      const gap = gapAt(gaps, sentAt);
      let fault: SimMessage['fault'];
      if (gap) {
        if (gap !== lastGap) {
          lastGap = gap;
          cursor = gap.to + 2_000;
        }
        cursor += grng.uniform(100, 300);
        sentAt = cursor;
        fault = 'delayed';
      }
      sentAt = Math.round(sentAt);
      let t = sentAt + grng.uniform(300, 2_000);
      if (opts.faults && !gap) t += grng.uniform(0, 20_000);
      const enc = encodeBatch(opts.topicRoot, id, sentAt, batch);
      const msg: SimMessage = { t: Math.round(t), topic: enc.topic, payload: enc.payload };
      if (fault) msg.fault = fault;
      out.push(msg);
    }
  }
}

/** ~1% re-sent duplicates (a few seconds later) and ~0.2% garbage messages. */
export function addFieldFaults(messages: SimMessage[], topicRoot: string, rng: Rng): void {
  const n = messages.length;
  const extra: SimMessage[] = [];
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.01)) {
      const m = messages[i]!;
      extra.push({ t: Math.round(m.t + rng.uniform(1_000, 8_000)), topic: m.topic, payload: m.payload, fault: 'duplicate' });
    }
  }
  const garbage = n === 0 ? 0 : Math.max(1, Math.round(n * 0.002));
  for (let g = 0; g < garbage; g++) {
    const src = messages[rng.int(0, n - 1)]!;
    extra.push({ ...makeGarbage(src, topicRoot, rng), t: Math.round(src.t + rng.uniform(200, 5_000)), fault: 'garbage' });
  }
  for (const e of extra) messages.push(e);
}

/** Breaks the check digit of a valid ISO 6346 number (only one digit is right, so any other is wrong). */
export function wrongCheckDigit(containerId: string): string {
  const d = containerId.charCodeAt(10) - 48;
  return containerId.slice(0, 10) + String((d + 1) % 10);
}

function makeGarbage(src: SimMessage, root: string, rng: Rng): { topic: string; payload: Buffer } {
  const text = src.payload.toString('utf8');
  const levels = src.topic.slice(root.length + 1).split('/');
  const format = levels[0];
  const id = levels[1] ?? 'unknown';
  const pick = rng.int(0, 3);
  if (pick === 0) {
    // bytes that are not UTF-8 at all (a corrupted frame)
    const bytes = Buffer.alloc(rng.int(8, 40));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255);
    bytes[0] = 0xff;
    bytes[1] = 0xfe;
    return { topic: src.topic, payload: bytes };
  }
  if (pick === 1) {
    // a topic nobody decodes
    return rng.chance(0.5) ? { topic: `${root}/xml/${id}`, payload: Buffer.from(`<reading device="${id}"/>`) } : { topic: `${root}/json/${id}/humidity`, payload: Buffer.from('{"rh":71}') };
  }
  if (format === 'csv') {
    // truncated inside the first three fields: seq;type;epoch
    const cut = text.indexOf(';', text.indexOf(';') + 1);
    return { topic: src.topic, payload: Buffer.from(text.slice(0, Math.max(1, cut + rng.int(1, 5)))) };
  }
  if (pick === 2) {
    // truncated JSON
    return { topic: src.topic, payload: Buffer.from(text.slice(0, rng.int(1, Math.max(2, text.length - 2)))) };
  }
  // a valid document with a wrong check digit (json-v1: a fresh msgId so it is not taken for a duplicate)
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { topic: src.topic, payload: Buffer.from(text.slice(0, Math.max(1, text.length >> 1))) };
  }
  if (format === 'json' && typeof doc.containerId === 'string') {
    doc.containerId = wrongCheckDigit(doc.containerId);
    doc.msgId = `${String(doc.msgId)}-r`;
  } else if (format === 'batch' && Array.isArray(doc.events) && doc.events.length > 0) {
    const ev = doc.events[0] as Record<string, unknown>;
    ev.equipmentReference = wrongCheckDigit(String(ev.equipmentReference));
    ev.eventId = `${String(ev.eventId)}-r`;
  }
  return { topic: src.topic, payload: Buffer.from(JSON.stringify(doc)) };
}
