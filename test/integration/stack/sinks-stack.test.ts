import { InfluxDB } from '@influxdata/influxdb-client';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS, topicSpecs } from '../../../src/bus/topics.js';
import { createLogger } from '../../../src/log.js';
import type { Alert } from '../../../src/model/alert.js';
import { BusAlertSink } from '../../../src/sinks/bus-alerts.js';
import { InfluxAlertSink, InfluxWriter } from '../../../src/sinks/influx.js';
import { sinkContract } from '../../contract/sink-contract.js';
import { stackConfig } from '../../helpers/stack.js';

// The alert sink contract the unit tests run for the file, console and memory bus, against the real services.

sinkContract(
  'influx',
  async () => {
    const config = stackConfig();
    const writer = new InfluxWriter(config.influx, createLogger('warn'));
    const query = new InfluxDB({ url: config.influx.url, token: config.influx.token ?? '' }).getQueryApi(config.influx.org);
    // one row per alert point: a point written again (same measurement, tags and time) replaces itself
    const held = async (written: readonly Alert[]) => {
      const set = written.map((a) => JSON.stringify(a.containerId)).join(', ');
      const rows = await query.collectRows<{ _value: string }>(
        `from(bucket: "${config.influx.bucket}") |> range(start: -7d) |> filter(fn: (r) => r._measurement == "alert" and r._field == "alert_id" and contains(value: r.container_id, set: [${set}]))`,
      );
      return rows.map((r) => ({ id: r._value }));
    };
    return { sink: new InfluxAlertSink(writer), held, stop: () => writer.close() };
  },
  { durableOnWrite: true, timeoutMs: 30_000 },
);

sinkContract(
  'bus (kafka)',
  async () => {
    const config = stackConfig();
    const bus = new KafkaBus(config.kafka);
    await bus.ensureTopics(topicSpecs(config));
    const from = await bus.endOffsets(TOPICS.alerts);
    const held = async (written: readonly Alert[]) => {
      const ids = new Set(written.map((a) => a.alertId));
      return (await bus.readAll(TOPICS.alerts, from))
        .map((m) => JSON.parse(m.value.toString('utf8')) as Alert)
        .filter((a) => ids.has(a.alertId))
        .map((a) => ({ id: a.alertId, alert: a }));
    };
    return { sink: new BusAlertSink(bus), held, stop: () => bus.close() };
  },
  { durableOnWrite: true, timeoutMs: 30_000 },
);
