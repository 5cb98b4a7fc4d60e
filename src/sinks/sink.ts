import type { Alert } from '../model/alert.js';

/** Where alerts go. `write` resolves once the alerts are durable in the sink (or printed). */
export interface AlertSink {
  readonly name: string;
  write(alerts: readonly Alert[]): Promise<void>;
  close(): Promise<void>;
}

/** Writes to every sink; resolves when all have written. */
export class FanOutSink implements AlertSink {
  readonly name = 'fan-out';
  constructor(readonly sinks: AlertSink[]) {}
  async write(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length > 0) await Promise.all(this.sinks.map((s) => s.write(alerts)));
  }
  async close(): Promise<void> {
    for (const s of this.sinks) await s.close();
  }
}
