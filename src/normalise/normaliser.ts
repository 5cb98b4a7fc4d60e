import { isUtf8 } from 'node:buffer';
import type { Config } from '../config/schema.js';
import type { Reading, WireFormat } from '../model/reading.js';
import { BatchScratch, decodeBatchEnvelope, decodeBatchEvent, safeStringify, scanBatchV1, scannedBatchReading } from './batch-v1.js';
import { checkSkew, type DecodeContext, type DecodeOut, type DecodeResult, type Rejection, type WireFormatDecoder } from './context.js';
import { csvScanned, decodeCsvV1Reference, scanCsvV1 } from './csv-v1.js';
import { deadLetter, type DeadLetter } from './dead-letter.js';
import { Deduper, ID_BATCH, ID_BATCH_NUM, ID_CSV, ID_JSON, ID_JSON_NUM, ID_TEXT, packed, packId } from './dedup.js';
import { type BindingMemo, describeMismatch, findMismatch, pairBoundMemo, planForContainer } from './device-binding.js';
import { decodeJsonV1, isJsonV1Kind, JSON_V1_SPECS, JsonV1Scratch, scanJsonV1Fields, scannedJsonV1Reading, type JsonV1Kind, type JsonV1Spec } from './json-v1.js';
import { decoderFor } from './registry.js';
import { parseTopic, topicPatterns, type Route } from './topic.js';
import type { TripDirectory } from '../trips/directory.js';

export interface NormaliserOptions extends DecodeContext {
  topicRoot: string;
  maxPayloadBytes: Record<WireFormat, number>;
  dedupIdsPerDevice: number;
  dedupMaxDevices: number;
}

/**
 * With `deferRecord`: the ids a result would record as seen, six entries an
 * id (device, event id, and the id key of dedup.ts: tag, text, a, b).
 * Opaque: only the normaliser reads it.
 */
export type PendingIds = Array<string | number>;

export interface NormaliseResult extends DecodeResult {
  duplicates: number;
  /**
   * With `deferRecord`: the ids this result would record as seen; the caller
   * records them with `remember` once the result is delivered, so a message
   * that was not delivered is no duplicate when the broker brings it again,
   * even while the first attempt is still pending.
   */
  unrecorded?: PendingIds;
}

/** Builds the normaliser for a configuration. */
export function buildNormaliser(config: Config, trips: TripDirectory): Normaliser {
  return new Normaliser({
    topicRoot: config.mqtt.topicRoot,
    maxPayloadBytes: config.ingest.maxPayloadBytes,
    dedupIdsPerDevice: config.ingest.dedupIdsPerDevice,
    dedupMaxDevices: config.ingest.dedupMaxDevices,
    limits: { maxBatchEvents: config.ingest.maxBatchEvents, maxFutureSkewMs: config.ingest.maxFutureSkewMs, maxPastAgeMs: config.ingest.maxPastAgeMs },
    trips,
  });
}

/** A topic's route as the normaliser keeps it: parsed once per topic, not per message. */
interface TopicRoute {
  format: WireFormat;
  decoder: WireFormatDecoder;
  route: NonNullable<Route>;
  /** The route's id (device or gateway), kept here to spare a load per message. */
  deviceId: string;
  /** The format's payload size limit (maxPayloadBytes). */
  limit: number;
  /** json-v1: the unknown-reading-type detail for a kind the format does not define, else null. */
  badKind: string | null;
  /** json-v1 of a kind the format defines: how the scanner reads it; else null. */
  json: JsonV1Spec | null;
  /** The event id up to the device's own id: `{format}:{deviceId}:`. */
  eventPrefix: string;
  /** json-v1: the container number of the last payload the scanner took on this topic ('' for none), and its codes (json-v1.ts `KnownContainer`). */
  container: string;
  k0: number;
  k1: number;
  k2: number;
  /** The device's duplicate window as last seen here (Deduper.current), to spare the device lookup. */
  window: BindingMemo | undefined;
}

/** Topics remembered at most (then forgotten all at once: a cache, never an answer). */
const MAX_TOPICS = 65_536;

/**
 * Picks the decoder from the topic (the formats of registry.ts), enforces
 * size and encoding, decodes, and drops duplicates per device. Never throws
 * on input: everything that is not a reading comes back as a dead letter
 * with its reason.
 *
 * Per message: one result, no callbacks. A topic is parsed once and its
 * route kept; the three built-in formats are decoded inline (any other
 * registered format through its WireFormatDecoder); each id goes to the
 * duplicate window in its shortest exact form (dedup.ts: a csv-v1 id as two
 * numbers), and the plan lookups of decoding and of the device-binding check
 * are memoised on the device's window.
 */
export class Normaliser {
  private readonly dedup: Deduper;
  private readonly unknownTopic: string;
  private readonly ctx: DecodeContext;
  private readonly topics = new Map<string, TopicRoute>();
  /** Reused by every json-v1 payload the flat scanner reads. */
  private readonly jsonScratch = new JsonV1Scratch();
  /** Reused by every batch-v1 payload the batch scan reads. */
  private readonly batchScratch = new BatchScratch();
  /** The event a scanned batch's reading came from, for its dead letter (`keep`). */
  private readonly scannedEvent = new ScannedEvent();
  /** The numbers of the last csv-v1 id key (`csvKey`). */
  private keyA = 0;
  private keyB = 0;

  constructor(private readonly opts: NormaliserOptions) {
    this.dedup = new Deduper(opts.dedupIdsPerDevice, opts.dedupMaxDevices);
    this.unknownTopic = `expected ${topicPatterns(opts.topicRoot)}`;
    this.ctx = { limits: opts.limits, trips: opts.trips, memos: this.dedup };
  }

  route(topic: string): Route {
    return parseTopic(topic, this.opts.topicRoot);
  }

  normalise(topic: string, payload: Buffer, receivedAt: number, opts?: { deferRecord?: boolean }): NormaliseResult {
    const out: NormaliseResult = { readings: [], deadLetters: [], duplicates: 0 };
    if (opts?.deferRecord) out.unrecorded = [];
    try {
      this.decodeInto(out, topic, payload, receivedAt);
    } catch (err) {
      // A decoder bug must not stop the stream either: keep the message with what went wrong.
      out.deadLetters.push(deadLetter('schema-violation', `decoder error: ${(err as Error).message}`, topic, payload, receivedAt, isUtf8(payload) ? payload.toString('utf8') : null));
    }
    return out;
  }

  private topicRoute(topic: string): TopicRoute | null {
    const known = this.topics.get(topic);
    if (known !== undefined) return known;
    const route = this.route(topic);
    if (!route) return null;
    const badKind = route.format === 'json-v1' && !isJsonV1Kind(route.kind!) ? `kind ${JSON.stringify(route.kind)}: expected door, gps, light or temp` : null;
    const json = route.format === 'json-v1' && badKind === null ? JSON_V1_SPECS[route.kind as JsonV1Kind] : null;
    const t: TopicRoute = {
      format: route.format,
      decoder: decoderFor(route.format),
      route,
      deviceId: route.id,
      limit: this.opts.maxPayloadBytes[route.format],
      badKind,
      json,
      eventPrefix: `${route.format}:${route.id}:`,
      container: '',
      k0: 0,
      k1: 0,
      k2: 0,
      window: undefined,
    };
    if (this.topics.size >= MAX_TOPICS) this.topics.clear();
    this.topics.set(topic, t);
    return t;
  }

  private decodeInto(out: NormaliseResult, topic: string, payload: Buffer, receivedAt: number): void {
    const t = this.topicRoute(topic);
    if (t === null) return void out.deadLetters.push(deadLetter('unknown-topic', this.unknownTopic, topic, payload, receivedAt, isUtf8(payload) ? payload.toString('utf8') : null));
    const limit = t.limit;
    if (payload.length > limit) return void out.deadLetters.push(deadLetter('payload-too-large', `${payload.length} bytes, limit for ${t.format} is ${limit}`, topic, payload, receivedAt, null));
    // The scans answer only for payloads they read character by character as ASCII (so valid UTF-8): no UTF-8 check for those.
    // json-v1's reads the payload's bytes: its text is made only when a dead letter keeps it (or the scan is not sure).
    if (t.format === 'json-v1' && this.jsonScan(out, t, topic, payload, receivedAt)) return;
    if (t.format === 'batch-v1' && this.batchScan(out, t, topic, payload, receivedAt)) return;
    const text = payload.toString(); // UTF-8 (without arguments: no encoding lookup)
    if (t.format === 'csv-v1' && this.csvScan(out, t, topic, text, receivedAt)) return;
    if (!isUtf8(payload)) return void out.deadLetters.push(deadLetter('not-utf8', `${t.format} payloads are UTF-8 text`, topic, payload, receivedAt, null));
    switch (t.format) {
      case 'json-v1':
        return void this.json(out, t, topic, text, receivedAt);
      case 'csv-v1':
        return void this.csv(out, t, topic, text, receivedAt);
      case 'batch-v1':
        return void this.batch(out, t, topic, text, receivedAt);
      default:
        return void this.other(out, t, topic, text, receivedAt);
    }
  }

  /**
   * json-v1 through the flat scanner (json-v1.ts `scanJsonV1`, its two steps
   * here with what the topic keeps: the kind's table, the last container
   * number, the event id's prefix, the device's window): false when it is not
   * sure, nothing done.
   */
  private jsonScan(out: NormaliseResult, t: TopicRoute, topic: string, payload: Buffer, receivedAt: number): boolean {
    const spec = t.json;
    if (spec === null) return false;
    const scratch = this.jsonScratch;
    // (the scan updates what the topic keeps of its last container number)
    if (!scanJsonV1Fields(spec, payload, scratch, t)) return false;
    const f = scratch.fields;
    const ts = scratch.ts;
    // fromFields' checks, in its order (the container number was checked by the scan)
    const skew = checkSkew(ts, receivedAt, this.opts.limits);
    if (skew !== null) {
      reject(out, skew.reason, skew.detail, topic, payload.toString(), receivedAt);
      return true;
    }
    const deviceId = t.deviceId;
    this.dedup.resume(t.window);
    const plan = planForContainer(this.opts.trips, this.dedup, deviceId, f.containerId, ts);
    const id = f.msgId;
    const eventId = t.eventPrefix + id;
    const r = scannedJsonV1Reading(eventId, deviceId, spec.kind, scratch, receivedAt, plan ? plan.tripId : null);
    if (packId(id, 0, id.length)) this.keep(out, r, deviceId, eventId, f.containerId, ts, ID_JSON_NUM, '', packed.a, packed.b, topic, receivedAt, payload, null);
    else this.keep(out, r, deviceId, eventId, f.containerId, ts, ID_JSON, id, 0, 0, topic, receivedAt, payload, null);
    t.window = this.dedup.current;
    return true;
  }

  /** csv-v1 through its scan (csv-v1.ts `scanCsvV1`): false when it is not sure, nothing done. */
  private csvScan(out: NormaliseResult, t: TopicRoute, topic: string, text: string, receivedAt: number): boolean {
    const r = scanCsvV1(t.deviceId, text, receivedAt, this.ctx, t.eventPrefix);
    if (r === null) return false;
    // seq and epoch as the scan read them (csvScanned): no second reading of the line for the id key
    const c = csvScanned;
    if (c.seq < 0) reject(out, (r as Rejection).reason, (r as Rejection).detail, topic, text, receivedAt);
    else if (c.canonical) this.keep(out, r as Reading, t.deviceId, c.eventId, null, c.ts, ID_CSV, '', c.seq, c.epoch, topic, receivedAt, text, null);
    else this.keep(out, r as Reading, t.deviceId, c.eventId, null, c.ts, ID_TEXT, c.eventId, 0, 0, topic, receivedAt, text, null);
    return true;
  }

  /**
   * batch-v1 through the batch scan (batch-v1.ts `scanBatchV1`): false when
   * it is not sure of the whole payload, nothing done. Every event is then
   * decoded in order as `batch` decodes it: by the scan's reading
   * (`scannedBatchReading`), or, for an event that gives none (invalid,
   * refused), by `decodeBatchEvent` of the event's JSON (its bytes: ASCII,
   * the text `JSON.parse` reads back as the very event), which says why.
   */
  private batchScan(out: NormaliseResult, t: TopicRoute, topic: string, payload: Buffer, receivedAt: number): boolean {
    const sc = this.batchScratch;
    if (!scanBatchV1(payload, t.deviceId, this.opts.limits.maxBatchEvents, sc)) return false;
    const n = sc.count;
    const ref = this.scannedEvent;
    ref.payload = payload;
    for (let i = 0; i < n; i++) {
      const r = scannedBatchReading(payload, sc, i, receivedAt, this.ctx);
      if (r !== null) {
        ref.start = sc.spanStart(i);
        ref.end = sc.spanEnd(i);
        this.keepId(out, r, ID_BATCH, sc.eventId, topic, receivedAt, null, ref);
        continue;
      }
      const ev: unknown = JSON.parse(payload.toString('latin1', sc.spanStart(i), sc.spanEnd(i)));
      const d = decodeBatchEvent(ev, receivedAt, this.ctx);
      if ('reason' in d) reject(out, d.reason, `events[${i}]: ${d.detail}`, topic, safeStringify(ev), receivedAt);
      else this.keepId(out, d, ID_BATCH, (ev as { eventId: string }).eventId, topic, receivedAt, null, ev);
    }
    ref.payload = null;
    return true;
  }

  /** json-v1 (jsonV1.decode inline): the kind is checked before the payload is parsed. */
  private json(out: NormaliseResult, t: TopicRoute, topic: string, text: string, receivedAt: number): void {
    if (t.badKind !== null) return void reject(out, 'unknown-reading-type', t.badKind, topic, text, receivedAt);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return void reject(out, 'invalid-json', (err as Error).message.slice(0, 200), topic, text, receivedAt);
    }
    const r = decodeJsonV1(t.route.id, t.route.kind as JsonV1Kind, doc, receivedAt, this.ctx);
    if ('reason' in r) return void reject(out, r.reason, r.detail, topic, text, receivedAt);
    // a reading means the document passed validation: its msgId is the string the event id ends in
    this.keepId(out, r, ID_JSON, (doc as { msgId: string }).msgId, topic, receivedAt, text, null);
  }

  /** csv-v1 lines the scan was not sure of, by the reference decoder (csvV1.decode inline), the id keyed by its seq and epoch. */
  private csv(out: NormaliseResult, t: TopicRoute, topic: string, text: string, receivedAt: number): void {
    this.csvResult(out, decodeCsvV1Reference(t.route.id, text, receivedAt, this.ctx), topic, text, receivedAt);
  }

  private csvResult(out: NormaliseResult, r: Reading | Rejection, topic: string, text: string, receivedAt: number): void {
    if ('reason' in r) return void reject(out, r.reason, r.detail, topic, text, receivedAt);
    if (this.csvKey(text)) this.keep(out, r, r.deviceId, r.eventId, null, r.ts, ID_CSV, '', this.keyA, this.keyB, topic, receivedAt, text, null);
    else this.keep(out, r, r.deviceId, r.eventId, null, r.ts, ID_TEXT, r.eventId, 0, 0, topic, receivedAt, text, null);
  }

  /**
   * The seq and epoch seconds of an accepted csv-v1 line (its first and third
   * fields: the type between is one letter) into keyA and keyB; false when
   * either has a leading zero, so the numbers would not give back the text of
   * the event id (`csv-v1:{deviceId}:{seq}@{epoch}`).
   */
  private csvKey(line: string): boolean {
    const s1 = line.indexOf(';');
    const e0 = s1 + 3;
    const s3 = line.indexOf(';', e0);
    if ((s1 > 1 && line.charCodeAt(0) === 48) || (s3 - e0 > 1 && line.charCodeAt(e0) === 48)) return false;
    let a = 0;
    for (let i = 0; i < s1; i++) a = a * 10 + (line.charCodeAt(i) - 48);
    let b = 0;
    for (let i = e0; i < s3; i++) b = b * 10 + (line.charCodeAt(i) - 48);
    this.keyA = a;
    this.keyB = b;
    return true;
  }

  /** batch-v1 (batchV1.decode inline): a bad envelope rejects the message, a bad event only itself (kept as its own JSON). */
  private batch(out: NormaliseResult, t: TopicRoute, topic: string, text: string, receivedAt: number): void {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return void reject(out, 'invalid-json', (err as Error).message.slice(0, 200), topic, text, receivedAt);
    }
    const env = decodeBatchEnvelope(t.route.id, doc, this.ctx);
    if ('reason' in env) return void reject(out, env.reason, env.detail, topic, text, receivedAt);
    const events = env.events;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const r = decodeBatchEvent(ev, receivedAt, this.ctx);
      if ('reason' in r) reject(out, r.reason, `events[${i}]: ${r.detail}`, topic, safeStringify(ev), receivedAt);
      else this.keepId(out, r, ID_BATCH, (ev as { eventId: string }).eventId, topic, receivedAt, null, ev);
    }
  }

  /** A format registered beyond the built-in three, through its WireFormatDecoder. */
  private other(out: NormaliseResult, t: TopicRoute, topic: string, text: string, receivedAt: number): void {
    const decoded: DecodeOut = {
      keep: (r, payload) => this.keep(out, r, r.deviceId, r.eventId, r.format === 'csv-v1' ? null : r.containerId, r.ts, ID_TEXT, r.eventId, 0, 0, topic, receivedAt, payload(), null),
      reject: (r, payload) => reject(out, r.reason, r.detail, topic, payload, receivedAt),
    };
    t.decoder.decode(t.route, text, receivedAt, this.ctx, decoded);
  }

  /** Records the ids of a result normalised with `deferRecord`, once it was delivered. */
  remember(result: NormaliseResult): void {
    const p = result.unrecorded;
    if (p) for (let i = 0; i < p.length; i += 6) this.dedup.seen(p[i] as string, p[i + 2] as number, p[i + 3] as string, p[i + 4] as number, p[i + 5] as number);
  }

  /** `keep` for a json-v1 msgId (ID_JSON) or batch-v1 eventId (ID_BATCH): as two numbers when it packs (dedup.ts `packId`), else as text. */
  private keepId(out: NormaliseResult, r: Reading, tag: typeof ID_JSON | typeof ID_BATCH, id: string, topic: string, receivedAt: number, text: string | null, ev: unknown): void {
    if (packId(id, 0, id.length)) this.keep(out, r, r.deviceId, r.eventId, r.containerId, r.ts, tag === ID_JSON ? ID_JSON_NUM : ID_BATCH_NUM, '', packed.a, packed.b, topic, receivedAt, text, ev);
    else this.keep(out, r, r.deviceId, r.eventId, r.containerId, r.ts, tag, id, 0, 0, topic, receivedAt, text, ev);
  }

  /**
   * A decoded reading (of `deviceId`, with `eventId`), with its id key
   * (dedup.ts) and what its dead letter would keep if the binding check
   * refuses it: the payload text (or the payload, its text made only then),
   * or (a batch event) the event's own JSON, made only then. `containerId`: the container the reading names, checked
   * against the plans; null for a csv-v1 reading, whose container is its
   * device's plan's.
   */
  private keep(
    out: NormaliseResult,
    r: Reading,
    deviceId: string,
    eventId: string,
    containerId: string | null,
    ts: number,
    tag: number,
    s: string,
    a: number,
    b: number,
    topic: string,
    receivedAt: number,
    text: string | Buffer | null,
    ev: unknown,
  ): void {
    const pending = out.unrecorded;
    if (pending) {
      // a duplicate inside one message (a batch) is caught by scanning what this message already kept
      if (this.dedup.hasKey(deviceId, tag, s, a, b) || (pending.length > 0 && isPending(pending, deviceId, eventId))) return void out.duplicates++;
      pending.push(deviceId, eventId, tag, s, a, b);
    } else if (this.dedup.seen(deviceId, tag, s, a, b)) return void out.duplicates++;
    // A reading for a container its device is not planned on never reaches the rules: dead-lettered, and alerted by the caller.
    const mismatch = containerId === null || pairBoundMemo(this.opts.trips, this.dedup, deviceId, containerId, ts) ? null : findMismatch(r, this.opts.trips);
    if (mismatch) out.deadLetters.push({ ...deadLetter('device-container-mismatch', describeMismatch(mismatch), topic, keptText(text, ev), receivedAt), mismatch });
    // most messages hold one reading: a one-element array, not the first push's room for sixteen
    else if (out.readings.length === 0) out.readings = [r];
    else out.readings.push(r);
  }
}

/** A scanned batch's event as `keep` takes it: its JSON is made only for a dead letter. */
class ScannedEvent {
  payload: Buffer | null = null;
  start = 0;
  end = 0;
  /** The event's JSON as `batch` keeps it: `safeStringify` of what `JSON.parse` gives of its bytes. */
  json(): string {
    return safeStringify(JSON.parse(this.payload!.toString('latin1', this.start, this.end)));
  }
}

/** What a reading's dead letter keeps: the payload's text, or a batch event's JSON. */
function keptText(text: string | Buffer | null, ev: unknown): string {
  if (typeof text === 'string') return text;
  if (text !== null) return text.toString();
  return ev instanceof ScannedEvent ? ev.json() : safeStringify(ev);
}

function reject(out: NormaliseResult, reason: Rejection['reason'], detail: string, topic: string, text: string, receivedAt: number): void {
  out.deadLetters.push(deadLetter(reason, detail, topic, text, receivedAt));
}

function isPending(pending: PendingIds, deviceId: string, eventId: string): boolean {
  if (pending.length < 6 * 32) {
    for (let i = 0; i < pending.length; i += 6) if (pending[i + 1] === eventId && pending[i] === deviceId) return true;
    return false;
  }
  let keys = pendingKeys.get(pending);
  if (!keys) {
    keys = new Set();
    for (let i = 0; i < pending.length; i += 6) keys.add(`${pending[i]}\u0000${pending[i + 1]}`);
    pendingKeys.set(pending, keys);
  }
  const key = `${deviceId}\u0000${eventId}`;
  if (keys.has(key)) return true;
  keys.add(key); // the caller pushes it next
  return false;
}
const pendingKeys = new WeakMap<PendingIds, Set<string>>();

export type { DeadLetter };
