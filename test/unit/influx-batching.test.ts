import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage, SubscribeOptions } from '../../src/bus/port.js';
import { readingToWire, type Reading } from '../../src/model/reading.js';
import { TelemetryStage } from '../../src/pipeline/telemetry-stage.js';
import { InfluxWriter } from '../../src/sinks/influx.js';
import { reading, T0, testConfig } from '../helpers/fixtures.js';

/*
 * Issue 14: InfluxDB writes of up to `influx.batchSize` lines, gzip-compressed
 * above `influx.gzipThreshold` bytes; the telemetry stage gathers concurrent
 * batches into such writes and still resolves each batch's handler only once
 * InfluxDB has acknowledged the write holding its readings.
 */

interface Request {
  encoding: string | undefined;
  lines: number;
}

/** A stand-in for InfluxDB's /api/v2/write: records each request, answers 204 (or what `answer` says). */
async function fakeInflux(answer: () => number = () => 204): Promise<{ url: string; requests: Request[]; server: Server }> {
  const requests: Request[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      const text = (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8');
      requests.push({ encoding, lines: text.split('\n').filter(Boolean).length });
      res.statusCode = answer();
      res.end(res.statusCode >= 400 ? JSON.stringify({ code: 'internal error', message: 'down' }) : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const readings = (n: number): Reading[] => Array.from({ length: n }, (_, i) => reading(T0 + i * 1000, { kind: 'temperature', celsius: 4 + (i % 10) / 10 }, { containerId: `MSCU${String(1_000_000 + (i % 50)).slice(1)}` }));

describe('InfluxDB writes: batches and gzip', () => {
  it('defaults: 5,000 lines per request, bodies over 1,000 bytes gzip-compressed', () => {
    const c = testConfig();
    expect(c.influx.batchSize).toBe(5000);
    expect(c.influx.gzipThreshold).toBe(1000);
  });

  it('12,000 readings go in requests of 5,000, 5,000 and 2,000 lines, each gzip-compressed', async () => {
    const influx = await fakeInflux();
    servers.push(influx.server);
    const writer = new InfluxWriter(testConfig([`influx.url=${influx.url}`]).influx);
    await writer.writeReadings(readings(12_000));
    await writer.close();
    expect(influx.requests.map((r) => r.lines).sort()).toEqual([2000, 5000, 5000]);
    expect(influx.requests.every((r) => r.encoding === 'gzip')).toBe(true);
    expect(writer.stats.written).toBe(12_000);
  });

  it('a body under the threshold, or gzipThreshold null, goes uncompressed', async () => {
    const influx = await fakeInflux();
    servers.push(influx.server);
    const small = new InfluxWriter(testConfig([`influx.url=${influx.url}`, 'influx.gzipThreshold=100000']).influx);
    await small.writeReadings(readings(10));
    await small.close();
    const never = new InfluxWriter({ ...testConfig([`influx.url=${influx.url}`]).influx, gzipThreshold: null });
    await never.writeReadings(readings(6000));
    await never.close();
    const got = influx.requests.map((r) => [r.lines, r.encoding ?? 'identity'] as const);
    // the first writer's request came and went before the second's; a write's chunks go out together, in no set order (as the 12,000-reading test above allows)
    expect(got[0]).toEqual([10, 'identity']);
    expect(got.slice(1).sort((a, b) => a[0] - b[0])).toEqual([
      [1000, 'identity'],
      [5000, 'identity'],
    ]);
  });

  it('a wrong gzipThreshold stops start-up, naming key and value', () => {
    expect(() => testConfig(['influx.gzipThreshold=-1'])).toThrow(/influx\.gzipThreshold = -1 \(from --set influx\.gzipThreshold\): .*>=0/);
  });
});

/** A bus whose subscription hands the batches it is given to the handler all at once (as kafkajs does with concurrent partitions). */
function concurrentBus(): { bus: Bus; deliver(batches: BusMessage[][]): Promise<PromiseSettledResult<unknown>[]> } {
  let handler: SubscribeOptions['handler'] | null = null;
  const bus = {
    kind: 'kafka',
    subscribe: async (o: SubscribeOptions) => {
      handler = o.handler;
      return { stop: async () => {} };
    },
  } as unknown as Bus;
  return { bus, deliver: (batches) => Promise.allSettled(batches.map((b) => handler!(b))) };
}

const asBatch = (partition: number, rs: Reading[]): BusMessage[] =>
  rs.map((r, i) => ({ topic: 'sealwatch.telemetry.v1', partition, offset: String(i), key: r.containerId, value: Buffer.from(JSON.stringify(readingToWire(r))), headers: {} }));

describe('telemetry stage: concurrent batches share writes, each acknowledged before its commit', () => {
  it('three partitions of 2,000 readings: one write of 6,000 lines (requests of 5,000 and 1,000), every handler resolves after the acknowledgement', async () => {
    const influx = await fakeInflux();
    servers.push(influx.server);
    const writer = new InfluxWriter(testConfig([`influx.url=${influx.url}`]).influx);
    const calls: number[] = [];
    const write = writer.writeReadings.bind(writer);
    let acknowledged = false;
    writer.writeReadings = async (rs, o) => {
      calls.push(rs.length);
      await write(rs, o);
      acknowledged = true;
    };
    const { bus, deliver } = concurrentBus();
    const stage = new TelemetryStage(bus, writer, 'g', undefined, { batchLines: 5000, lingerMs: 1000, concurrency: 3 });
    await stage.start();
    const resolvedBeforeAck: boolean[] = [];
    const results = await Promise.allSettled(
      [0, 1, 2].map(async (p) => {
        const [r] = await deliver([asBatch(p, readings(2000))]);
        resolvedBeforeAck.push(!acknowledged);
        return r;
      }),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(calls).toEqual([6000]); // full before the linger ran out
    expect(resolvedBeforeAck).toEqual([false, false, false]);
    expect(influx.requests.map((r) => r.lines).sort()).toEqual([1000, 5000]);
    expect(stage.counts).toMatchObject({ written: 6000, writes: 1 });
    await writer.close();
  });

  it('a lone small batch is written once the linger is over', async () => {
    const influx = await fakeInflux();
    servers.push(influx.server);
    const writer = new InfluxWriter(testConfig([`influx.url=${influx.url}`]).influx);
    const { bus, deliver } = concurrentBus();
    const stage = new TelemetryStage(bus, writer, 'g', undefined, { batchLines: 5000, lingerMs: 30, concurrency: 6 });
    await stage.start();
    const t0 = Date.now();
    const [r] = await deliver([asBatch(0, readings(10))]);
    expect(r!.status).toBe('fulfilled');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(influx.requests.map((q) => q.lines)).toEqual([10]);
    await writer.close();
  });

  it('InfluxDB down past the retry window: every batch in the write fails (none is committed)', async () => {
    const influx = await fakeInflux(() => 503);
    servers.push(influx.server);
    const writer = new InfluxWriter(testConfig([`influx.url=${influx.url}`, 'influx.retry.minDelayMs=10', 'influx.retry.maxDelayMs=20']).influx);
    const { bus, deliver } = concurrentBus();
    const stage = new TelemetryStage(bus, writer, 'g', undefined, { batchLines: 5000, lingerMs: 20, concurrency: 2, retryWindowMs: 200 });
    await stage.start();
    const results = await deliver([asBatch(0, readings(100)), asBatch(1, readings(100))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(stage.counts.written).toBe(0);
    await writer.close();
  });
});
