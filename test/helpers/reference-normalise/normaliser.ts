import { isUtf8 } from 'node:buffer';
import type { Config } from '../../../src/config/schema.js';
import { oneShape, type Reading, type WireFormat } from '../../../src/model/reading.js';
import type { DecodeContext, DecodeOut, DecodeResult, Rejection } from './context.js';
import { deadLetter, type DeadLetter } from '../../../src/normalise/dead-letter.js';
import { Deduper } from './dedup.js';
import { describeMismatch, findMismatch } from './device-binding.js';
import { decoderFor } from './registry.js';
import { parseTopic, topicPatterns, type Route } from './topic.js';
import type { TripDirectory } from '../../../src/trips/directory.js';

export interface NormaliserOptions extends DecodeContext {
  topicRoot: string;
  maxPayloadBytes: Record<WireFormat, number>;
  dedupIdsPerDevice: number;
  dedupMaxDevices: number;
}

export interface NormaliseResult extends DecodeResult {
  duplicates: number;
  /**
   * With `deferRecord`: the (device, id) pairs this result would record as
   * seen; the caller records them with `remember` once the result is
   * delivered, so a message that was not delivered is no duplicate when the
   * broker brings it again, even while the first attempt is still pending.
   */
  unrecorded?: Array<[deviceId: string, eventId: string]>;
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

/**
 * Picks the decoder from the topic (the formats of registry.ts), enforces
 * size and encoding, decodes, and drops duplicates per device. Never throws
 * on input: everything that is not a reading comes back as a dead letter
 * with its reason.
 */
export class Normaliser {
  private readonly dedup: Deduper;
  private readonly unknownTopic: string;

  constructor(private readonly opts: NormaliserOptions) {
    this.dedup = new Deduper(opts.dedupIdsPerDevice, opts.dedupMaxDevices);
    this.unknownTopic = `expected ${topicPatterns(opts.topicRoot)}`;
  }

  route(topic: string): Route {
    return parseTopic(topic, this.opts.topicRoot);
  }

  normalise(topic: string, payload: Buffer, receivedAt: number, opts: { deferRecord?: boolean } = {}): NormaliseResult {
    const out: NormaliseResult = { readings: [], deadLetters: [], duplicates: 0 };
    if (opts.deferRecord) out.unrecorded = [];
    try {
      this.decodeInto(out, topic, payload, receivedAt);
    } catch (err) {
      // A decoder bug must not stop the stream either: keep the message with what went wrong.
      out.deadLetters.push(deadLetter('schema-violation', `decoder error: ${(err as Error).message}`, topic, payload, receivedAt, isUtf8(payload) ? payload.toString('utf8') : null));
    }
    return out;
  }

  private decodeInto(out: NormaliseResult, topic: string, payload: Buffer, receivedAt: number): void {
    const route = this.route(topic);
    const fail = (r: Rejection, text: string | null) => out.deadLetters.push(deadLetter(r.reason, r.detail, topic, payload, receivedAt, text));
    if (!route) return void fail({ reason: 'unknown-topic', detail: this.unknownTopic }, isUtf8(payload) ? payload.toString('utf8') : null);
    const limit = this.opts.maxPayloadBytes[route.format];
    if (payload.length > limit) return void fail({ reason: 'payload-too-large', detail: `${payload.length} bytes, limit for ${route.format} is ${limit}` }, null);
    if (!isUtf8(payload)) return void fail({ reason: 'not-utf8', detail: `${route.format} payloads are UTF-8 text` }, null);
    const decoded: DecodeOut = {
      keep: (r, text) => this.keep(out, r, topic, text, receivedAt),
      reject: (r, text) => void out.deadLetters.push(deadLetter(r.reason, r.detail, topic, text, receivedAt)),
    };
    decoderFor(route.format).decode(route, payload.toString('utf8'), receivedAt, this.opts, decoded);
  }

  /** Records the ids of a result normalised with `deferRecord`, once it was delivered. */
  remember(result: NormaliseResult): void {
    for (const [device, id] of result.unrecorded ?? []) this.dedup.isDuplicate(device, id);
  }

  private keep(out: NormaliseResult, r: Reading, topic: string, payload: () => string, receivedAt: number): void {
    const pending = out.unrecorded;
    if (pending) {
      // a duplicate inside one message (a batch) is caught by scanning what this message already kept
      if (this.dedup.has(r.deviceId, r.eventId) || (pending.length > 0 && isPending(pending, r))) return void out.duplicates++;
      pending.push([r.deviceId, r.eventId]);
    } else if (this.dedup.isDuplicate(r.deviceId, r.eventId)) return void out.duplicates++;
    // A reading for a container its device is not planned on never reaches the rules: dead-lettered, and alerted by the caller.
    const mismatch = findMismatch(r, this.opts.trips);
    if (mismatch) out.deadLetters.push({ ...deadLetter('device-container-mismatch', describeMismatch(mismatch), topic, payload(), receivedAt), mismatch });
    // (the values as this reference decoded them, in the one shape every reading has since: model/reading.ts)
    else out.readings.push(oneShape(r));
  }
}

function isPending(pending: Array<[string, string]>, r: Reading): boolean {
  if (pending.length < 32) return pending.some(([d, id]) => id === r.eventId && d === r.deviceId);
  const keys = pendingKeys.get(pending) ?? new Set(pending.map(([d, id]) => `${d}\u0000${id}`));
  pendingKeys.set(pending, keys);
  const key = `${r.deviceId}\u0000${r.eventId}`;
  if (keys.has(key)) return true;
  keys.add(key); // the caller pushes it next
  return false;
}
const pendingKeys = new WeakMap<Array<[string, string]>, Set<string>>();

export type { DeadLetter };
