/**
 * The worker thread of readCaptureAhead (capture-ahead.ts): reads and parses
 * a capture with readCapture and posts its messages to the replaying thread
 * in batches, in file order, each batch's numbers and payload bytes in
 * transferred buffers (no copy between the threads). It runs at most
 * `credits` batches ahead of the reader, who gives one back per batch taken.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readCapture } from './capture.js';
import type { AheadData, AheadMessage } from './capture-ahead.js';

const port = parentPort!;
const { file, batchMessages, batchBytes, credits: firstCredits } = workerData as AheadData;
let credits = firstCredits;
let wake: (() => void) | null = null;
port.on('message', (more: number) => {
  credits += more;
  if (wake !== null) {
    const w = wake;
    wake = null;
    w();
  }
});

let times = new Float64Array(batchMessages);
let ends = new Uint32Array(batchMessages);
let topicOf = new Uint16Array(batchMessages);
/** The batch's distinct topics (a device's topic repeats: sent once a batch, and the reader's route cache then hashes each once). */
let topics: string[] = [];
let topicAt = new Map<string, number>();
let bytes = Buffer.allocUnsafeSlow(batchBytes);
let used = 0;
let count = 0;

async function post(last: boolean): Promise<void> {
  while (credits <= 0) await new Promise<void>((resolve) => (wake = resolve));
  credits--;
  // the batch's own store (allocUnsafeSlow: never a slice of a shared pool), moved to the reader
  const store = bytes.buffer as ArrayBuffer;
  const msg: AheadMessage = { kind: 'batch', count, times, ends, topicOf, topics, bytes: store, last };
  port.postMessage(msg, [times.buffer, ends.buffer, topicOf.buffer, store]);
  times = new Float64Array(batchMessages);
  ends = new Uint32Array(batchMessages);
  topicOf = new Uint16Array(batchMessages);
  topics = [];
  topicAt = new Map();
  bytes = Buffer.allocUnsafeSlow(batchBytes);
  used = 0;
  count = 0;
}

try {
  for await (const m of readCapture(file)) {
    const size = m.payload.length;
    if (count > 0 && used + size > bytes.length) await post(false);
    // a payload larger than a batch travels in a batch of its own, sized for it
    if (size > bytes.length) bytes = Buffer.allocUnsafeSlow(size);
    times[count] = m.t;
    let k = topicAt.get(m.topic);
    if (k === undefined) {
      k = topics.push(m.topic) - 1;
      topicAt.set(m.topic, k);
    }
    topicOf[count] = k;
    m.payload.copy(bytes, used);
    used += size;
    ends[count++] = used;
    if (count === batchMessages) await post(false);
  }
  await post(true);
} catch (err) {
  const e = err as Error & Record<string, unknown>;
  const fields: Record<string, string | number> = {};
  for (const k of ['code', 'errno', 'syscall', 'path']) if (typeof e[k] === 'string' || typeof e[k] === 'number') fields[k] = e[k] as string | number;
  const msg: AheadMessage = { kind: 'error', name: e.name, message: e.message, fields };
  port.postMessage(msg);
}
