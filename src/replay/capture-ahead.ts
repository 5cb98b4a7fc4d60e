import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ERRORS, type ErrorCode, SealwatchError } from '../errors.js';

/** What the reader hands its worker (capture-worker.ts). */
export interface AheadData {
  file: string;
  batchMessages: number;
  batchBytes: number;
  credits: number;
}

/** What the worker posts: a batch of messages, or the error that ended its reading. */
export type AheadMessage =
  | { kind: 'batch'; count: number; times: Float64Array; ends: Uint32Array; topicOf: Uint16Array; topics: string[]; bytes: ArrayBuffer; last: boolean }
  | { kind: 'error'; name: string; message: string; fields: Record<string, string | number> };

/**
 * Consecutive messages of a capture, in file order: message i's arrival time
 * `times[i]` (epoch ms), its topic `topic(i)` and its payload `payload(i)`
 * (a view of the batch's bytes: copy it to keep it past the batch).
 */
export class CaptureBatch {
  constructor(
    readonly length: number,
    readonly times: Float64Array,
    private readonly topicOf: Uint16Array,
    private readonly topics: readonly string[],
    private readonly bytes: Buffer,
    private readonly ends: Uint32Array,
  ) {}

  topic(i: number): string {
    return this.topics[this.topicOf[i]!]!;
  }

  payload(i: number): Buffer {
    return this.bytes.subarray(i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!);
  }
}

export interface AheadOptions {
  /** Messages per batch (default 1024, at most 65,536). */
  batchMessages?: number;
  /** Payload bytes a batch holds before it is sent (default 1 MiB; a larger payload gets a batch of its own). */
  batchBytes?: number;
  /** Batches the worker may read ahead of the caller (default 4). */
  credits?: number;
}

/**
 * The worker's module: beside this one when built; the test runner runs the
 * TypeScript sources, which a worker thread cannot load, so there it is the
 * compiled one under dist/ (`npm test` builds before it runs the tests).
 */
function workerUrl(): URL {
  const here = new URL('./capture-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../../dist/src/replay/capture-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`capture reader worker not found at ${fileURLToPath(here)} or ${fileURLToPath(built)}: run npm run build`);
}

/** The worker's error as this thread's: a SealwatchError keeps its code (a bad capture line stays SW_ERR_CAPTURE_LINE), a system error its code, errno, syscall and path. */
function rebuild(m: Extract<AheadMessage, { kind: 'error' }>): Error {
  const code = m.fields.code;
  if (m.name === 'SealwatchError' && typeof code === 'string' && code in ERRORS) {
    const e = new SealwatchError(code as ErrorCode, []);
    e.message = m.message;
    return e;
  }
  const e = new Error(m.message) as Error & Record<string, unknown>;
  e.name = m.name;
  Object.assign(e, m.fields);
  return e;
}

/**
 * Reads a capture as readCapture does (the same messages, in the same order,
 * the same errors), but in a worker thread that gunzips, splits and parses
 * ahead of the caller, handing over batches: the caller's thread spends its
 * time on what it does with the messages, and waits only when the worker
 * has fallen behind. Leaving the loop early (break, an error) stops the worker.
 */
export async function* readCaptureAhead(file: string, opts: AheadOptions = {}): AsyncGenerator<CaptureBatch> {
  const data: AheadData = { file, batchMessages: Math.min(opts.batchMessages ?? 1024, 65_536), batchBytes: opts.batchBytes ?? 1 << 20, credits: opts.credits ?? 4 };
  const worker = new Worker(workerUrl(), { workerData: data });
  const queue: AheadMessage[] = [];
  let failure: Error | null = null;
  let exited = false;
  let wake: (() => void) | null = null;
  const nudge = (): void => {
    if (wake !== null) {
      const w = wake;
      wake = null;
      w();
    }
  };
  worker.on('message', (m: AheadMessage) => {
    queue.push(m);
    nudge();
  });
  worker.on('error', (err) => {
    failure = err;
    nudge();
  });
  worker.on('exit', () => {
    exited = true;
    nudge();
  });
  let head = 0;
  try {
    for (;;) {
      while (head === queue.length) {
        if (failure !== null) throw failure;
        if (exited) throw new Error(`capture reader for ${file} stopped before the end of the capture`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const m = queue[head++]!;
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      }
      if (m.kind === 'error') throw rebuild(m);
      if (!m.last) worker.postMessage(1);
      yield new CaptureBatch(m.count, m.times, m.topicOf, m.topics, Buffer.from(m.bytes), m.ends);
      if (m.last) return;
    }
  } finally {
    if (!exited) await worker.terminate();
  }
}
