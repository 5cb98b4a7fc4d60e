import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InfluxDB } from '@influxdata/influxdb-client';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS, topicSpecs } from '../../../src/bus/topics.js';
import { createLogger } from '../../../src/log.js';
import type { Alert } from '../../../src/model/alert.js';
import { BusAlertSink } from '../../../src/sinks/bus-alerts.js';
import { InfluxAlertSink, InfluxWriter, readingPoint } from '../../../src/sinks/influx.js';
import { readingToWire, type Reading } from '../../../src/model/reading.js';
import { TelemetryStage } from '../../../src/pipeline/telemetry-stage.js';
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

/*
 * Issue 14: InfluxDB writes in requests of up to influx.batchSize (5,000)
 * lines, gzip-compressed, against the real InfluxDB; a recording proxy in
 * front of it sees each request. The telemetry stage gathers the batches of
 * the partitions it consumes at once into such writes.
 */
describe('InfluxDB writes: 5,000-line gzip requests (real InfluxDB)', () => {
  interface Seen {
    encoding: string | undefined;
    lines: number;
    bytes: number;
    status: number;
  }
  /** A proxy to the real InfluxDB that records every write request. */
  async function recordingProxy(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
    const seen: Seen[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const encoding = req.headers['content-encoding'];
        // the headers a write needs, as sent (not the hop-by-hop ones: fetch sets its own framing)
        const headers: Record<string, string> = {};
        for (const k of ['authorization', 'content-type', 'content-encoding', 'accept']) if (typeof req.headers[k] === 'string') headers[k] = req.headers[k] as string;
        void (async () => {
          try {
            const upstream = await fetch(new URL(req.url ?? '/', target), { method: req.method ?? 'POST', headers, ...(body.length > 0 ? { body } : {}) });
            const text = await upstream.text();
            if (req.url?.startsWith('/api/v2/write')) seen.push({ encoding, lines: (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8').split('\n').filter(Boolean).length, bytes: body.length, status: upstream.status });
            res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
            res.end(text);
          } catch (err) {
            res.writeHead(502, { 'content-type': 'text/plain' });
            res.end(`proxy: ${(err as Error).message}`);
          }
        })();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
  }

  const run = randomUUID().slice(0, 6).toUpperCase();
  const start = Date.parse('2026-09-01T00:00:00Z') + (Date.now() % 1000) * 60_000;
  /** n temperature readings of 60 containers of this run's own. */
  const readings = (n: number, offset = 0): Reading[] =>
    Array.from({ length: n }, (_, i) => {
      const k = i + offset;
      return {
        eventId: `json-v1:sw-batch-${run}:${k}`,
        deviceId: `sw-batch-${run}`,
        containerId: `ZZ${run}${String(k % 60).padStart(2, '0')}`,
        tripId: null,
        format: 'json-v1',
        ts: start + k * 1000,
        receivedAt: start + k * 1000 + 10,
        kind: 'temperature',
        celsius: 4 + (k % 7) / 10,
      } as Reading;
    });
  const countPoints = async (config: ReturnType<typeof stackConfig>, prefix: string, from = start - 3_600_000, to = start + 10 * 86_400_000) => {
    const query = new InfluxDB({ url: config.influx.url, token: config.influx.token ?? '' }).getQueryApi(config.influx.org);
    const rows = await query.collectRows<{ _value: number }>(
      `from(bucket: "${config.influx.bucket}") |> range(start: ${new Date(from).toISOString()}, stop: ${new Date(to).toISOString()}) |> filter(fn: (r) => r._measurement == "temperature" and r._field == "celsius" and strings.hasPrefix(v: r.container_id, prefix: "${prefix}")) |> group() |> count()`.replace(
        /^/,
        'import "strings"\n',
      ),
    );
    return Number(rows[0]?._value ?? 0);
  };
  /**
   * Where points are missing, for the failure message: the count per 1,000
   * readings of [fromK, toK) now and again 3 s later (a point InfluxDB
   * acknowledged and then lost, against one it shows late). Two CI runs saw
   * one 2,000-line request's points missing after its 204.
   */
  const whereMissing = async (config: ReturnType<typeof stackConfig>, prefix: string, fromK: number, toK: number) => {
    const per = async () => {
      const out: number[] = [];
      for (let k = fromK; k < toK; k += 1000) out.push(await countPoints(config, prefix, start + k * 1000, start + (k + 1000) * 1000));
      return out.join('/');
    };
    const now = await per();
    await new Promise((r) => setTimeout(r, 3000));
    return `per 1,000 readings from reading ${fromK}: ${now}; 3 s later: ${await per()}`;
  };

  it('12,000 readings: requests of 5,000, 5,000 and 2,000 lines, gzip-compressed, and InfluxDB holds all 12,000', async () => {
    const config = stackConfig();
    const proxy = await recordingProxy(config.influx.url);
    try {
      const writer = new InfluxWriter({ ...config.influx, url: proxy.url }, createLogger('warn'));
      await writer.writeReadings(readings(12_000));
      await writer.close();
      expect(proxy.seen.map((s) => s.lines).sort()).toEqual([2000, 5000, 5000]);
      expect(proxy.seen.every((s) => s.encoding === 'gzip' && s.status === 204)).toBe(true);
      const raw = readings(5000)
        .map((r) => readingPoint(r).toLineProtocol({ convertTime: (t) => String(t) }) ?? '')
        .join('\n').length;
      const gz = proxy.seen.find((s) => s.lines === 5000)!.bytes;
      process.stdout.write(`[influx batches] requests ${proxy.seen.map((s) => `${s.lines} lines/${s.bytes} B ${s.encoding}`).join(', ')}; a 5,000-line body ~${raw} B uncompressed, ${gz} B gzip\n`);
      expect(gz).toBeLessThan(raw / 3);
      const held = await countPoints(config, `ZZ${run}`);
      expect(held, held === 12_000 ? '' : await whereMissing(config, `ZZ${run}`, 0, 12_000)).toBe(12_000);
    } finally {
      await proxy.close();
    }
  });

  it('the telemetry stage over Kafka gathers partitions into writes of up to 5,000 lines and commits after the acknowledgement', async () => {
    const config = stackConfig();
    const proxy = await recordingProxy(config.influx.url);
    const bus = new KafkaBus(config.kafka);
    const writer = new InfluxWriter({ ...config.influx, url: proxy.url }, createLogger('warn'));
    const groupId = `sw-batch-${run}`;
    const stage = new TelemetryStage(bus, writer, groupId, createLogger('warn'), { fromNow: true, batchLines: 5000, lingerMs: config.influx.telemetryLingerMs, concurrency: config.kafka.partitions.telemetry, retryWindowMs: 10_000 });
    try {
      await bus.ensureTopics(topicSpecs(config));
      await stage.start();
      const rs = readings(12_000, 100_000);
      await bus.produce(
        TOPICS.telemetry,
        rs.map((r) => ({ key: r.containerId, value: JSON.stringify(readingToWire(r)) })),
      );
      const deadline = Date.now() + 60_000;
      while (stage.counts.written < rs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(stage.counts.written).toBe(rs.length);
      const lines = proxy.seen.map((s) => s.lines);
      process.stdout.write(`[telemetry stage] ${stage.counts.writes} writes, requests of ${lines.join(', ')} lines\n`);
      expect(Math.max(...lines)).toBeLessThanOrEqual(5000);
      // 12,000 readings over 6 partitions: 2,000 a partition; a larger request holds several partitions' batches
      expect(Math.max(...lines)).toBeGreaterThan(2000);
      // the client compresses a body of gzipThreshold bytes or more; a small tail the linger sent on its own goes plain
      const threshold = config.influx.gzipThreshold ?? Number.MAX_SAFE_INTEGER;
      const plain = proxy.seen.filter((s) => s.encoding !== 'gzip');
      expect(
        plain.every((s) => s.bytes < threshold),
        `plain requests: ${plain.map((s) => `${s.lines} lines/${s.bytes} B`).join(', ')}`,
      ).toBe(true);
      expect(proxy.seen.filter((s) => s.lines > 1000).every((s) => s.encoding === 'gzip')).toBe(true);
      // committed once acknowledged: nothing of the group left to read
      const deadlineLag = Date.now() + 10_000;
      let lag = await bus.lag(groupId, TOPICS.telemetry);
      while (lag > 0 && Date.now() < deadlineLag) {
        await new Promise((r) => setTimeout(r, 200));
        lag = await bus.lag(groupId, TOPICS.telemetry);
      }
      expect(lag).toBe(0);
      const held = await countPoints(config, `ZZ${run}`);
      expect(held, held === 24_000 ? '' : `${await whereMissing(config, `ZZ${run}`, 0, 12_000)}; ${await whereMissing(config, `ZZ${run}`, 100_000, 112_000)}`).toBe(24_000);
    } finally {
      await stage.stop();
      await writer.close();
      await bus.close();
      await proxy.close();
    }
  });
});
