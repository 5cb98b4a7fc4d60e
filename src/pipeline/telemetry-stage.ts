import type { Logger } from 'pino';
import type { Bus, Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { parseWireReading, type Reading } from '../model/reading.js';
import type { InfluxWriter } from '../sinks/influx.js';

/** Readings from the telemetry topic into InfluxDB, in a consumer group of its own. */
export class TelemetryStage {
  private sub: Subscription | null = null;
  written = 0;
  constructor(private readonly bus: Bus, private readonly writer: InfluxWriter, private readonly groupId: string, private readonly log?: Logger, private readonly fromNow = false) {}

  async start(): Promise<void> {
    this.sub = await this.bus.subscribe({
      groupId: this.groupId,
      topics: [TOPICS.telemetry],
      fromBeginning: true,
      fromNow: this.fromNow,
      handler: async (batch) => {
        const readings: Reading[] = [];
        for (const m of batch) {
          try {
            readings.push(parseWireReading(m.value.toString('utf8')));
          } catch (err) {
            this.log?.error({ offset: m.offset, err: (err as Error).message }, 'sinks.undecodable_telemetry');
          }
        }
        this.writer.readings(readings);
        await this.writer.flush();
        this.written += readings.length;
      },
    });
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}
