import { createReadStream, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { z } from 'zod';
import { swError } from '../errors.js';
import { parseIsoTime } from '../model/time.js';

/** One recorded MQTT message (WIRE section 4). */
export interface CapturedMessage {
  t: number;
  topic: string;
  payload: Buffer;
}

const LINE = z.union([z.object({ t: z.string(), topic: z.string().min(1), payload: z.string() }).strict(), z.object({ t: z.string(), topic: z.string().min(1), payloadBase64: z.string() }).strict()]);

export function captureLine(m: CapturedMessage): string {
  const t = new Date(m.t).toISOString();
  return isUtf8(m.payload) ? JSON.stringify({ t, topic: m.topic, payload: m.payload.toString('utf8') }) : JSON.stringify({ t, topic: m.topic, payloadBase64: m.payload.toString('base64') });
}

export function parseCaptureLine(line: string, file: string, lineNo: number): CapturedMessage {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    throw swError('SW_ERR_CAPTURE_LINE', file, lineNo, `invalid JSON: ${(err as Error).message}`);
  }
  const r = LINE.safeParse(doc);
  if (!r.success) throw swError('SW_ERR_CAPTURE_LINE', file, lineNo, 'expected {"t", "topic", "payload" | "payloadBase64"}');
  const t = parseIsoTime(r.data.t);
  if (Number.isNaN(t)) throw swError('SW_ERR_CAPTURE_LINE', file, lineNo, `t ${JSON.stringify(r.data.t)} is not an ISO time ending in Z`);
  const payload = 'payload' in r.data ? Buffer.from(r.data.payload, 'utf8') : Buffer.from(r.data.payloadBase64, 'base64');
  return { t, topic: r.data.topic, payload };
}

/** Reads a capture (`.ndjson` or `.ndjson.gz`) line by line, in file order. */
export async function* readCapture(file: string): AsyncGenerator<CapturedMessage> {
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
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
