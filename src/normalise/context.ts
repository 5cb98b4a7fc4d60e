import type { Reading } from '../model/reading.js';
import type { DeadLetter, DeadLetterReason } from './dead-letter.js';
import type { TripDirectory } from '../trips/directory.js';

export interface DecodeLimits {
  maxBatchEvents: number;
  maxFutureSkewMs: number;
  maxPastAgeMs: number;
}

export interface DecodeContext {
  limits: DecodeLimits;
  trips: TripDirectory;
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
