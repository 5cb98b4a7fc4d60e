import { createReadStream, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { swError } from '../errors.js';
import { parseIsoTime } from '../model/time.js';

/** One recorded MQTT message (WIRE section 4). */
export interface CapturedMessage {
  t: number;
  topic: string;
  payload: Buffer;
}

const LINE_SHAPE = 'expected {"t", "topic", "payload" | "payloadBase64"}';

/** A capture line's fields: its arrival time (epoch ms), topic, and payload as written (base64 text for payloadBase64). */
export interface CaptureFields {
  t: number;
  topic: string;
  text: string;
  base64: boolean;
}

/**
 * The payload's key when a parsed line is exactly {"t", "topic", "payload"}
 * or {"t", "topic", "payloadBase64"}, all strings, the topic not empty (no
 * other key); else null. Checked by hand, not with a schema library: the
 * capture reader's worker thread (capture-worker.ts) loads this module, and
 * a lighter module starts sooner.
 */
function payloadKey(doc: unknown): 'payload' | 'payloadBase64' | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const o = doc as Record<string, unknown>;
  if (typeof o.t !== 'string' || typeof o.topic !== 'string' || o.topic.length === 0) return null;
  let keys = 0;
  for (const k in o) if (Object.hasOwn(o, k)) keys++;
  if (keys !== 3) return null;
  if (typeof o.payload === 'string') return 'payload';
  if (typeof o.payloadBase64 === 'string') return 'payloadBase64';
  return null;
}

export function captureLine(m: CapturedMessage): string {
  const t = new Date(m.t).toISOString();
  return isUtf8(m.payload) ? JSON.stringify({ t, topic: m.topic, payload: m.payload.toString('utf8') }) : JSON.stringify({ t, topic: m.topic, payloadBase64: m.payload.toString('base64') });
}

/** One capture line's fields (WIRE section 4); a line that is not one throws SW_ERR_CAPTURE_LINE naming the file and line. */
export function parseCaptureFields(line: string, file: string, lineNo: number): CaptureFields {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    throw swError('SW_ERR_CAPTURE_LINE', file, lineNo, `invalid JSON: ${(err as Error).message}`);
  }
  const key = payloadKey(doc);
  if (key === null) throw swError('SW_ERR_CAPTURE_LINE', file, lineNo, LINE_SHAPE);
  const o = doc as Record<string, string>;
  const t = parseIsoTime(o.t);
  if (Number.isNaN(t)) throw swError('SW_ERR_CAPTURE_LINE', file, lineNo, `t ${JSON.stringify(o.t)} is not an ISO time ending in Z`);
  return { t, topic: o.topic!, text: o[key]!, base64: key === 'payloadBase64' };
}

export function parseCaptureLine(line: string, file: string, lineNo: number): CapturedMessage {
  const f = parseCaptureFields(line, file, lineNo);
  return { t: f.t, topic: f.topic, payload: Buffer.from(f.text, f.base64 ? 'base64' : 'utf8') };
}

/** A capture's lines (`.ndjson`, or gunzipped `.ndjson.gz`), blank ones included: line numbers count them. */
export function captureLines(file: string): AsyncIterable<string> {
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  return createInterface({ input, crlfDelay: Infinity });
}

/** Reads a capture (`.ndjson` or `.ndjson.gz`) line by line, in file order. */
export async function* readCapture(file: string): AsyncGenerator<CapturedMessage> {
  let n = 0;
  for await (const line of captureLines(file)) {
    n++;
    if (line.trim() === '') continue;
    yield parseCaptureLine(line, file, n);
  }
}

/** Writes a capture, gzipped when the name ends in `.gz`. */
export class CaptureWriter {
  private readonly out: WriteStream | Gzip;
  private readonly file: WriteStream;
  count = 0;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.file = createWriteStream(path);
    if (path.endsWith('.gz')) {
      const gz = createGzip();
      gz.pipe(this.file);
      this.out = gz;
    } else this.out = this.file;
  }

  write(m: CapturedMessage): void {
    this.count++;
    this.out.write(captureLine(m) + '\n');
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.file.once('finish', resolve);
      this.file.once('error', reject);
      this.out.end();
    });
  }
}
