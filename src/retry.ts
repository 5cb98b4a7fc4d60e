/**
 * The one retry helper for adapters: jittered exponential backoff, bounded in
 * attempts; only errors that say they are retriable (`retriable: true`, as
 * kafkajs and SealwatchError mark them) are tried again, never programmer
 * errors.
 */
export interface RetryOptions {
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  isRetriable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export function isMarkedRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

export async function retry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const retriable = o.isRetriable ?? isMarkedRetriable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= o.attempts || !retriable(err)) throw err;
      const ceiling = Math.min(o.maxDelayMs, o.minDelayMs * 2 ** (attempt - 1));
      const delay = ceiling / 2 + Math.random() * (ceiling / 2);
      o.onRetry?.(err, attempt, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
