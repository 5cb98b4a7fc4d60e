import type { Logger } from 'pino';
import type { Bus } from '../bus/port.js';
import type { Config } from '../config/schema.js';
import { BusAlertSink } from './bus-alerts.js';
import { ConsoleAlertSink } from './console.js';
import { InfluxAlertSink, type InfluxWriter } from './influx.js';
import { NdjsonAlertSink } from './ndjson-file.js';
import { FanOutSink, type AlertSink } from './sink.js';

/** What a command brings besides the configuration. */
export interface SinkParts {
  log: Logger;
  /** Alerts onto the alerts topic of this bus (the pipeline's). */
  bus?: Bus;
  /** Alerts into InfluxDB through this writer (the pipeline's, shared with telemetry). */
  influx?: InfluxWriter | null;
  /** Sinks of the caller's own (the demo's counter, a test's collector). */
  extra?: readonly AlertSink[];
  /** Where `sinks.console` prints (default stdout; replay prints on stderr, its summary goes to stdout). */
  consoleOut?: NodeJS.WritableStream;
  /** Headers on every alert put on the bus (a replay through the stack marks its alerts, so webhooks pass them by). */
  alertHeaders?: Record<string, string>;
}

export interface Sinks {
  /** Every alert sink, written together. */
  sink: FanOutSink;
}

/**
 * The alert sinks of a command, in one place for all of them: the bus and
 * InfluxDB when the caller has them, the caller's own, an NDJSON file
 * (`sinks.alertsFile`) and the console (`sinks.console`). Commands choose by
 * configuration (replay sets `sinks.*` from its flags) and by what they
 * pass. Webhooks are no sink: they read the alerts topic in consumer groups
 * of their own (src/sinks/webhook.ts, started by the pipeline).
 */
export function buildSinks(config: Config, parts: SinkParts): Sinks {
  const sinks: AlertSink[] = [];
  if (parts.bus) sinks.push(new BusAlertSink(parts.bus, parts.alertHeaders));
  sinks.push(...(parts.extra ?? []));
  if (config.sinks.alertsFile) sinks.push(new NdjsonAlertSink(config.sinks.alertsFile));
  if (config.sinks.console) sinks.push(new ConsoleAlertSink(parts.consoleOut));
  if (parts.influx) sinks.push(new InfluxAlertSink(parts.influx));
  return { sink: new FanOutSink(sinks) };
}
