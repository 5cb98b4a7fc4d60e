// Types of restore-log.mjs for the TypeScript tests that import it.
export type RestoreEvent =
  | { kind: 'restored'; line: string; at: number | null; partition: number; containers: number; ms: number; offset: string; bytes: number | null; writtenBy: string | null }
  | { kind: 'unusable'; line: string; at: number | null; partition: number; reason: string }
  | { kind: 'none'; line: string; at: number | null; partition: number }
  | { kind: 'running'; line: string; at: number | null }
  | { kind: 'malformed' | 'error'; line: string; at: number | null; reason: string };
export type Restored = Extract<RestoreEvent, { kind: 'restored' }>;
export function restoreEvent(line: string): RestoreEvent | null;
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void };
export function restoreProgress(events: RestoreEvent[], partitions: number): { done: boolean; failure: string | null; restored: Restored[] };
export function restoreTotals(restored: Restored[]): { containers: number; sumMs: number; maxMs: number; lastAt: number | null };
