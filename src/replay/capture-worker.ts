/**
 * The worker thread of readCaptureAhead (capture-ahead.ts): reads and parses
 * a capture as readCapture does and posts its messages to the replaying thread
 * in batches, in file order, each batch's numbers and payload bytes in
 * transferred buffers (no copy between the threads). It runs at most
 * `credits` batches ahead of the reader, who gives one back per batch taken.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { captureLines, parseCaptureFields } from './capture.js';
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
/** Messages the batch being filled takes: the first batches are small, so the reader can start while this thread is still warming up, then double up to batchMessages. */
let limit = Math.min(64, batchMessages);

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
  limit = Math.min(2 * limit, batchMessages);
}

try {
  let n = 0;
  for await (const line of captureLines(file)) {
    n++;
    if (line.trim() === '') continue;
    const f = parseCaptureFields(line, file, n);
    // the payload written straight into the batch (readCapture makes a Buffer of it first)
    const encoding = f.base64 ? 'base64' : 'utf8';
    const size = Buffer.byteLength(f.text, encoding);
    if (count > 0 && used + size > bytes.length) await post(false);
    // a payload larger than a batch travels in a batch of its own, sized for it
    if (size > bytes.length) bytes = Buffer.allocUnsafeSlow(size);
    times[count] = f.t;
    let k = topicAt.get(f.topic);
    if (k === undefined) {
      k = topics.push(f.topic) - 1;
      topicAt.set(f.topic, k);
    }
    topicOf[count] = k;
    used += bytes.write(f.text, used, size, encoding);
    ends[count++] = used;
    if (count === limit) await post(false);
  }
  await post(true);
} catch (err) {
  const e = err as Error & Record<string, unknown>;
  const fields: Record<string, string | number> = {};
  for (const k of ['code', 'errno', 'syscall', 'path']) if (typeof e[k] === 'string' || typeof e[k] === 'number') fields[k] = e[k] as string | number;
  const msg: AheadMessage = { kind: 'error', name: e.name, message: e.message, fields };
  port.postMessage(msg);
}
