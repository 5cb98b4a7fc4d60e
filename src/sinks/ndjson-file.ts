import { appendFileSync, mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Alert } from '../model/alert.js';
import type { AlertSink } from './sink.js';

/**
 * Appends alerts as NDJSON, each alert id once per process. The file exists
 * from the start (empty when nothing is raised: "no alerts" is an answer a
 * replay or an evaluation reads), and what it already holds is kept.
 */
export class NdjsonAlertSink implements AlertSink {
  readonly name = 'ndjson-file';
  private readonly seen = new Set<string>();
  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, '');
  }
  async write(alerts: readonly Alert[]): Promise<void> {
    const fresh = alerts.filter((a) => !this.seen.has(a.alertId));
    if (fresh.length === 0) return;
    for (const a of fresh) this.seen.add(a.alertId);
    await appendFile(this.file, fresh.map((a) => JSON.stringify(a)).join('\n') + '\n');
  }
  async close(): Promise<void> {}
}
