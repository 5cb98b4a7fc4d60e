import { InfluxDB, Point, type WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Alert } from '../model/alert.js';
import type { Reading } from '../model/reading.js';
import type { AlertSink } from './sink.js';

/**
 * InfluxDB v2 writer for the measurements of WIRE section 6. Batches flush on
 * size or every `flushIntervalMs` (not the client's 60 s default); failed
 * writes are retried by the client with backoff, within a bounded buffer.
 * Writing the same alert twice writes the same point: same series, same time.
 */
export class InfluxWriter {
  private readonly api: WriteApi;

  constructor(cfg: Config['influx'], log?: Logger) {
    const client = new InfluxDB({ url: cfg.url, ...(cfg.token ? { token: cfg.token } : {}), timeout: 10_000 });
    this.api = client.getWriteApi(cfg.org, cfg.bucket, 'ms', {
      batchSize: cfg.batchSize,
      flushInterval: cfg.flushIntervalMs,
      maxBufferLines: 200_000,
      maxRetries: 10,
      maxRetryDelay: 15_000,
      minRetryDelay: 500,
      writeFailed: (error, lines, attempt) => {
        log?.warn({ err: error.message, lines: lines.length, attempt }, 'sinks.influx_write_failed');
      },
    });
  }

  readings(readings: readonly Reading[]): void {
    for (const r of readings) this.api.writePoint(readingPoint(r));
  }

  alerts(alerts: readonly Alert[]): void {
    for (const a of alerts) this.api.writePoint(alertPoint(a));
  }

  /** Dead letters as points too (measurement `deadletter`, beyond WIRE), for the dashboard. */
  deadLetters(items: ReadonlyArray<{ reason: string; topic: string; receivedAt: string }>): void {
    for (const d of items) this.api.writePoint(new Point('deadletter').tag('reason', d.reason).intField('count', 1).stringField('topic', d.topic.slice(0, 200)).timestamp(Date.parse(d.receivedAt)));
  }

  flush(): Promise<void> {
    return this.api.flush();
  }

  close(): Promise<void> {
    return this.api.close();
  }
}

export function readingPoint(r: Reading): Point {
  const measurement = r.kind === 'location' ? 'location' : r.kind;
  const p = new Point(measurement).tag('container_id', r.containerId).tag('device_id', r.deviceId).tag('format', r.format);
  if (r.tripId) p.tag('trip_id', r.tripId);
  switch (r.kind) {
    case 'location':
      p.floatField('lat', r.lat).floatField('lon', r.lon);
      if (r.speedKn !== undefined) p.floatField('speed_kn', r.speedKn);
      if (r.headingDeg !== undefined) p.floatField('heading_deg', r.headingDeg);
      break;
    case 'door':
      p.booleanField('open', r.open);
      break;
    case 'light':
      p.floatField('lux', r.lux);
      break;
    case 'temperature':
      p.floatField('celsius', r.celsius);
      if (r.setpointC !== undefined) p.floatField('setpoint_c', r.setpointC);
      break;
  }
  return p.timestamp(r.ts);
}

export function alertPoint(a: Alert): Point {
  const p = new Point('alert').tag('rule', a.rule).tag('severity', a.severity).tag('container_id', a.containerId);
  if (a.tripId) p.tag('trip_id', a.tripId);
  p.stringField('alert_id', a.alertId).stringField('summary', a.summary).stringField('detected_at', a.detectedAt);
  if (a.location) p.floatField('lat', a.location.lat).floatField('lon', a.location.lon);
  return p.timestamp(Date.parse(a.startedAt));
}

export class InfluxAlertSink implements AlertSink {
  readonly name = 'influx';
  constructor(private readonly writer: InfluxWriter) {}
  async write(alerts: readonly Alert[]): Promise<void> {
    this.writer.alerts(alerts);
    await this.writer.flush();
  }
  async close(): Promise<void> {}
}
