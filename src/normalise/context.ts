import type { Reading, WireFormat } from '../model/reading.js';
import type { DeadLetter, DeadLetterReason } from './dead-letter.js';
import type { TripDirectory } from '../trips/directory.js';
import type { BindingMemos } from './device-binding.js';

export interface DecodeLimits {
  maxBatchEvents: number;
  maxFutureSkewMs: number;
  maxPastAgeMs: number;
}

export interface DecodeContext {
  limits: DecodeLimits;
  trips: TripDirectory;
  /** Per-device memos of the plan lookups (the normaliser's duplicate windows); without them every lookup asks `trips`. */
  memos?: BindingMemos;
}

export interface DecodeResult {
  readings: Reading[];
  deadLetters: DeadLetter[];
}

/** A problem with one reading: the decoder turns it into a dead letter. */
export interface Rejection {
  reason: DeadLetterReason;
  detail: string;
}

/** Checks the measurement time against the arrival time; null when plausible. */
export function checkSkew(ts: number, receivedAt: number, limits: DecodeLimits): Rejection | null {
  if (ts - receivedAt > limits.maxFutureSkewMs) {
    return { reason: 'clock-skew', detail: `measured ${new Date(ts).toISOString()}, ${Math.round((ts - receivedAt) / 60000)} min after its arrival (limit ${Math.round(limits.maxFutureSkewMs / 60000)} min)` };
  }
  if (receivedAt - ts > limits.maxPastAgeMs) {
    return { reason: 'clock-skew', detail: `measured ${new Date(ts).toISOString()}, ${((receivedAt - ts) / 86_400_000).toFixed(1)} days before its arrival (limit ${(limits.maxPastAgeMs / 86_400_000).toFixed(1)} days)` };
  }
  return null;
}

/** Where a decoder puts what it made of one payload. */
export interface DecodeOut {
  /** A reading, with the text its dead letter would keep if it is refused after decoding (device binding). */
  keep(reading: Reading, payload: () => string): void;
  /** A rejected payload or event, with the text its dead letter keeps. */
  reject(rejection: Rejection, payload: string): void;
}

/**
 * One wire format: where its messages arrive and how one payload decodes.
 * Registered in registry.ts; the normaliser routes by topic, enforces the
 * format's size limit and UTF-8, deduplicates and checks device bindings.
 */
export interface WireFormatDecoder {
  readonly format: WireFormat;
  /** `{root}/{level}/{id}`, or `{root}/{level}/{id}/{kind}` with `kind`; `id` names the id level in messages (deviceId, gatewayId). */
  readonly topic: { level: string; id: string; kind: boolean };
  /** Decodes one payload (within its size limit, valid UTF-8) received on `{id, kind}`. */
  decode(route: { id: string; kind?: string }, text: string, receivedAt: number, ctx: DecodeContext, out: DecodeOut): void;
}

/** JSON.parse as a decoder wants it: the document, or the invalid-json rejection. */
export function parseJsonPayload(text: string): { doc: unknown } | Rejection {
  try {
    return { doc: JSON.parse(text) as unknown };
  } catch (err) {
    return { reason: 'invalid-json', detail: (err as Error).message.slice(0, 200) };
  }
}
