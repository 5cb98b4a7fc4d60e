import { TOPICS } from '../bus/topics.js';
import type { Bus } from '../bus/port.js';
import type { Alert } from '../model/alert.js';
import type { AlertSink } from './sink.js';

/** Alerts onto `sealwatch.alerts.v1`, keyed by container id (WIRE section 6), each with `headers` when given (a replay's mark). */
export class BusAlertSink implements AlertSink {
  readonly name = 'bus';
  constructor(
    private readonly bus: Bus,
    private readonly headers?: Record<string, string>,
  ) {}
  async write(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length)
      await this.bus.produce(
        TOPICS.alerts,
        alerts.map((a) => ({ key: a.containerId, value: JSON.stringify(a), ...(this.headers ? { headers: this.headers } : {}) })),
      );
  }
  async close(): Promise<void> {}
}
