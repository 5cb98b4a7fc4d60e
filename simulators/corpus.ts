import { isUtf8 } from 'node:buffer';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import type { TripPlan } from '../src/trips/schema.js';
import type { Label, SimMessage, SimResult } from './fleet.js';

/**
 * A labelled corpus on disk:
 * - `capture.ndjson.gz`: every message in arrival order (WIRE section 4),
 *   `{"t", "topic", "payload"}`, or `payloadBase64` when the payload is not UTF-8;
 * - `trips/{tripId}.json`: one trip plan per file (WIRE section 2);
 * - `labels.ndjson`: one injected breach per line (WIRE section 5).
 */
export const CAPTURE_FILE = 'capture.ndjson.gz';
export const LABELS_FILE = 'labels.ndjson';
export const TRIPS_DIR = 'trips';

export function captureJson(m: Pick<SimMessage, 't' | 'topic' | 'payload'>): string {
  const t = new Date(m.t).toISOString();
  return isUtf8(m.payload) ? JSON.stringify({ t, topic: m.topic, payload: m.payload.toString('utf8') }) : JSON.stringify({ t, topic: m.topic, payloadBase64: m.payload.toString('base64') });
}

export async function writeCorpus(dir: string, result: SimResult): Promise<void> {
  await mkdir(join(dir, TRIPS_DIR), { recursive: true });
  for (const plan of result.trips) await writeFile(join(dir, TRIPS_DIR, `${plan.tripId}.json`), JSON.stringify(plan, null, 2) + '\n');
  await writeFile(join(dir, LABELS_FILE), result.labels.map((l) => JSON.stringify(l)).join('\n') + (result.labels.length ? '\n' : ''));
  await new Promise<void>((resolve, reject) => {
    const file = createWriteStream(join(dir, CAPTURE_FILE));
    const gz = createGzip();
    gz.on('error', reject);
    file.on('error', reject);
    file.on('finish', () => resolve());
    gz.pipe(file);
    let i = 0;
    const pump = (): void => {
      while (i < result.messages.length) {
        // write in chunks, waiting for the stream to drain, so millions of lines do not pile up in memory
        const end = Math.min(result.messages.length, i + 2000);
        let chunk = '';
        for (; i < end; i++) chunk += captureJson(result.messages[i]!) + '\n';
        if (!gz.write(chunk)) {
          gz.once('drain', pump);
          return;
        }
      }
      gz.end();
    };
    pump();
  });
}

/** Reads a corpus back (for tests, the evaluation and re-publishing). */
export async function readCorpus(dir: string): Promise<{ messages: SimMessage[]; trips: TripPlan[]; labels: Label[] }> {
  const messages: SimMessage[] = [];
  const lines = createInterface({ input: createReadStream(join(dir, CAPTURE_FILE)).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const doc = JSON.parse(line) as { t: string; topic: string; payload?: string; payloadBase64?: string };
    messages.push({ t: Date.parse(doc.t), topic: doc.topic, payload: doc.payload !== undefined ? Buffer.from(doc.payload, 'utf8') : Buffer.from(doc.payloadBase64 ?? '', 'base64') });
  }
  const names = (await readdir(join(dir, TRIPS_DIR))).filter((f) => f.endsWith('.json')).sort();
  const trips: TripPlan[] = [];
  for (const f of names) trips.push(JSON.parse(await readFile(join(dir, TRIPS_DIR, f), 'utf8')) as TripPlan);
  const labelText = await readFile(join(dir, LABELS_FILE), 'utf8');
  const labels = labelText
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Label);
  return { messages, trips, labels };
}
