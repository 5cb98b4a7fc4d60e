import { HttpError, InfluxDB, Point, setLogger, type PointSettings } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { SealwatchError } from '../errors.js';
import type { Alert } from '../model/alert.js';
import type { Reading } from '../model/reading.js';
import type { AlertSink } from './sink.js';

/*
 * Why not the client's own retries: @influxdata/influxdb-client's WriteApi
 * retries a failed batch from a background buffer, and gives lines up when
 * they exceed `maxRetries` or `maxRetryTime`, or when that buffer passes
 * `maxBufferLines` (it drops the oldest), logging and nothing more: a write
 * the caller was told had failed may or may not land later, and one it was
 * never told about may be gone. So each WriteApi here gets maxRetries 0 and
 * no timer flush, the writer keeps the lines of a chunk until InfluxDB has
 * acknowledged them (a 2xx), and the caller's promise resolves only then.
 */

/** What the writer did so far (exported as metrics). */
export interface InfluxWriterStats {
  /** Lines InfluxDB acknowledged. */
  written: number;
  /** Write attempts that failed and were retried. */
  retries: number;
  /** Lines InfluxDB refused for good (400, 413, 422: a bad point; the readings stay on Kafka). */
  rejected: number;
  /** Dead-letter points not written because the buffer was full or InfluxDB down (they stay on Kafka). */
  deadLettersDropped: number;
  /** Lines accepted and not yet acknowledged, now. */
  buffered: number;
  /** Callers waiting for room in the buffer, now (backpressure). */
  waiting: number;
}

const PERMANENT = new Set([400, 413, 422]);

/** Line protocol with the millisecond timestamps the points carry (the writers send precision `ms`). */
const MS: Partial<PointSettings> = { convertTime: (t) => (typeof t === 'number' ? String(Math.floor(t)) : t instanceof Date ? String(t.getTime()) : t) };
const line = (p: Point): string | undefined => p.toLineProtocol(MS);
const present = (l: string | undefined): l is string => l !== undefined;

/**
 * InfluxDB v2 writer for the measurements of WIRE section 6. `writeReadings`
 * and `writeAlerts` resolve once InfluxDB has acknowledged every point: a
 * transient failure (InfluxDB down, 5xx, 429, a timeout, a refused token) is
 * retried with jittered backoff until it succeeds or the writer is closed, so
 * a caller that commits after the promise (the rules stage, the telemetry
 * stage) never commits a point InfluxDB does not have. Memory is bounded by
 * `influx.maxBufferLines`: a caller beyond it waits (backpressure), nothing
 * is dropped. Writing the same point twice writes it once (same series, same
 * time), so a redelivery after a crash is harmless.
 */
export class InfluxWriter {
  private readonly client: InfluxDB;
  private readonly log: Logger | undefined;
  private readonly abort = new AbortController();
  private readonly waiters: Array<{ lines: number; go: () => void }> = [];
  private readonly background = new Set<Promise<void>>();
  private failing = false;
  private pendingDead: string[] = [];
  private deadTimer: NodeJS.Timeout | null = null;
  private abortTimer: NodeJS.Timeout | null = null;
  readonly stats: InfluxWriterStats = { written: 0, retries: 0, rejected: 0, deadLettersDropped: 0, buffered: 0, waiting: 0 };

  constructor(
    private readonly cfg: Config['influx'],
    log?: Logger,
  ) {
    this.log = log?.child({ module: 'influx' });
    this.client = new InfluxDB({ url: cfg.url, ...(cfg.token ? { token: cfg.token } : {}), timeout: cfg.timeoutMs });
    // The client logs its own view of every failure on the console; the writer reports them itself.
    const quiet = this.log;
    setLogger({ error: (message, err) => quiet?.debug({ err: (err as Error | undefined)?.message }, message), warn: (message, err) => quiet?.debug({ err: (err as Error | undefined)?.message }, message) });
  }

  /**
   * Resolves once InfluxDB has every reading's point. With `retryWindowMs`
   * it stops retrying after that long and rejects (SW_ERR_INFLUX_WRITE,
   * retriable): a consumer hands its batch back to Kafka, uncommitted, rather
   * than outwait its group session.
   */
  writeReadings(readings: readonly Reading[], o: { retryWindowMs?: number } = {}): Promise<void> {
    return this.write(readings.map((r) => line(readingPoint(r))).filter(present), 'readings', o.retryWindowMs);
  }

  /** Resolves once InfluxDB has every alert's point. */
  writeAlerts(alerts: readonly Alert[]): Promise<void> {
    return this.write(alerts.map((a) => line(alertPoint(a))).filter(present), 'alerts');
  }

  /**
   * Dead letters as points too (measurement `deadletter`, beyond WIRE), for
   * the dashboard: gathered for `flushIntervalMs` and written in the
   * background, never holding up ingest. They count what is on
   * `sealwatch.deadletter.v1`; when the buffer is full they are dropped and
   * counted (`deadLettersDropped`): the topic keeps them.
   */
  deadLetters(items: ReadonlyArray<{ reason: string; topic: string; receivedAt: string }>): void {
    const lines = items.map((d) => line(new Point('deadletter').tag('reason', d.reason).intField('count', 1).stringField('topic', d.topic.slice(0, 200)).timestamp(Date.parse(d.receivedAt)))).filter(present);
    if (lines.length === 0) return;
    if (this.abort.signal.aborted || this.stats.buffered + this.pendingDead.length + lines.length > this.cfg.maxBufferLines) {
      this.stats.deadLettersDropped += lines.length;
      return;
    }
    this.pendingDead.push(...lines);
    if (this.pendingDead.length >= this.cfg.batchSize) this.flushDeadLetters();
    else this.deadTimer ??= setTimeout(() => this.flushDeadLetters(), this.cfg.flushIntervalMs).unref();
  }

  private flushDeadLetters(): void {
    if (this.deadTimer) clearTimeout(this.deadTimer);
    this.deadTimer = null;
    const lines = this.pendingDead.splice(0);
    if (lines.length === 0) return;
    const p = this.write(lines, 'deadletters').catch(() => {
      this.stats.deadLettersDropped += lines.length;
    });
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  /** Lines in chunks of `batchSize`, each retried until acknowledged; resolves when all are. */
  private async write(lines: string[], what: string, windowMs?: number): Promise<void> {
    const deadline = windowMs === undefined ? Infinity : Date.now() + windowMs;
    const chunks: Array<Promise<void>> = [];
    let refused: { reason: unknown } | null = null;
    try {
      for (let i = 0; i < lines.length; i += this.cfg.batchSize) {
        const chunk = lines.slice(i, i + this.cfg.batchSize);
        await this.admit(chunk.length, deadline);
        chunks.push(this.send(chunk, what, deadline).finally(() => this.release(chunk.length)));
      }
    } catch (err) {
      refused = { reason: err };
    }
    // every chunk already sent settles (and frees its room) before the caller hears of a failure;
    // a chunk that failed is the failure reported, before a refusal to admit the next one
    const results = await Promise.allSettled(chunks);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (refused) throw refused.reason;
  }

  /** Waits for room in the buffer; first come, first served. */
  private admit(lines: number, deadline: number): Promise<void> {
    if (this.abort.signal.aborted) return Promise.reject(this.closedError(lines));
    if (this.waiters.length === 0 && this.stats.buffered + lines <= this.cfg.maxBufferLines) {
      this.stats.buffered += lines;
      return Promise.resolve();
    }
    this.stats.waiting++;
    if (this.stats.waiting === 1) this.log?.warn({ buffered: this.stats.buffered, maxBufferLines: this.cfg.maxBufferLines }, 'sinks.influx_backpressure: buffer full, writers wait');
    return new Promise((resolve, reject) => {
      const waiter = {
        lines,
        go: () => {
          settle();
          this.stats.buffered += lines;
          resolve();
        },
      };
      const giveUp = (err: SealwatchError) => {
        settle();
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(err);
      };
      const onAbort = () => giveUp(this.closedError(lines));
      const timer = Number.isFinite(deadline) ? setTimeout(() => giveUp(this.windowError(lines, 'waiting for room in the buffer')), Math.max(0, deadline - Date.now())) : null;
      const settle = () => {
        this.abort.signal.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
        this.stats.waiting--;
      };
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(lines: number): void {
    this.stats.buffered -= lines;
    while (this.waiters.length > 0) {
      const next = this.waiters[0]!;
      // an oversized chunk still goes alone once the buffer is empty
      if (this.stats.buffered > 0 && this.stats.buffered + next.lines > this.cfg.maxBufferLines) break;
      this.waiters.shift();
      next.go();
    }
  }

  private async send(lines: string[], what: string, deadline: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.abort.signal.aborted) throw this.closedError(lines.length);
      try {
        await this.attempt(lines);
        this.stats.written += lines.length;
        if (this.failing) {
          this.failing = false;
          this.log?.warn({ what, lines: lines.length, attempts: attempt }, 'sinks.influx_write_recovered');
        }
        return;
      } catch (err) {
        const status = err instanceof HttpError ? err.statusCode : undefined;
        if (status !== undefined && PERMANENT.has(status)) {
          this.stats.rejected += lines.length;
          this.log?.error({ what, lines: lines.length, status, err: (err as Error).message }, 'sinks.influx_write_rejected: InfluxDB refused these points for good; they stay on Kafka');
          return;
        }
        this.stats.retries++;
        const ceiling = Math.min(this.cfg.retry.maxDelayMs, this.cfg.retry.minDelayMs * 2 ** Math.min(attempt - 1, 30));
        const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
        const fields = { what, lines: lines.length, attempt, retryInMs: delay, buffered: this.stats.buffered, ...(status ? { status } : {}), err: (err as Error).message };
        // One warning when a failure starts, then one a minute; every attempt at debug.
        if (!this.failing || attempt % Math.max(1, Math.round(60_000 / this.cfg.retry.maxDelayMs)) === 0) {
          const hint = status === 401 || status === 403 ? ' (check influx.token)' : status === 404 ? ' (check influx.org and influx.bucket)' : '';
          this.log?.warn(fields, `sinks.influx_write_retrying: points kept and retried until InfluxDB acknowledges them${hint}`);
        } else this.log?.debug(fields, 'sinks.influx_write_retrying');
        this.failing = true;
        if (Date.now() + delay > deadline) throw this.windowError(lines.length, `after ${attempt} attempt(s): ${(err as Error).message}`);
        await this.sleep(delay);
      }
    }
  }

  /** One write request: a fresh WriteApi without retries, timer or size-triggered flushes of its own. */
  private async attempt(lines: string[]): Promise<void> {
    const api = this.client.getWriteApi(this.cfg.org, this.cfg.bucket, 'ms', {
      batchSize: lines.length + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: lines.length + 1,
      // the client compresses a body longer than this; null in the configuration: never
      gzipThreshold: this.cfg.gzipThreshold ?? Number.MAX_SAFE_INTEGER,
    });
    api.writeRecords(lines);
    try {
      await api.flush();
    } finally {
      await api.close().catch(() => {});
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private windowError(lines: number, detail: string): SealwatchError {
    return new SealwatchError('SW_ERR_INFLUX_WRITE', [`${lines} line(s) not acknowledged within the caller's retry window (${detail}); handed back uncommitted`]);
  }

  private closedError(lines: number): SealwatchError {
    return new SealwatchError('SW_ERR_INFLUX_WRITE', [`writer closed with ${lines} line(s) not acknowledged; their offsets stay uncommitted`]);
  }

  /** The writer's metrics, in the pipeline's registry (merged into /metrics). */
  registerMetrics(registry: Registry): void {
    const s = this.stats;
    const counter = (name: string, help: string, value: () => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(value());
        },
      });
    counter('sealwatch_influx_lines_written_total', 'Lines (points) InfluxDB acknowledged', () => s.written);
    counter('sealwatch_influx_write_retries_total', 'InfluxDB write attempts that failed and were retried', () => s.retries);
    counter('sealwatch_influx_lines_rejected_total', 'Lines InfluxDB refused for good (400, 413, 422)', () => s.rejected);
    counter('sealwatch_influx_deadletter_points_dropped_total', 'Dead-letter points not written to InfluxDB (buffer full or closed; the topic keeps them)', () => s.deadLettersDropped);
    gauge('sealwatch_influx_buffered_lines', 'Lines accepted and not yet acknowledged by InfluxDB', () => s.buffered);
    gauge('sealwatch_influx_waiting_writers', 'Writers waiting for room in the InfluxDB buffer (backpressure)', () => s.waiting);
  }

  /**
   * At shutdown with InfluxDB down, the stages' last writes would retry
   * forever and their consumers never stop: after `ms` the writer gives up
   * retrying (those writes reject, their offsets stay uncommitted and are
   * read again after the restart).
   */
  abortRetriesAfter(ms: number): void {
    this.abortTimer ??= setTimeout(() => this.abort.abort(), ms).unref();
  }

  /**
   * Stops: background dead-letter points get `graceMs` to finish; then writes
   * still being retried (and writers waiting for room) reject with
   * SW_ERR_INFLUX_WRITE, so their callers do not commit.
   */
  async close(graceMs = 2000): Promise<void> {
    this.flushDeadLetters();
    if (this.background.size > 0) await Promise.race([Promise.allSettled([...this.background]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.abort.abort();
    if (this.abortTimer) clearTimeout(this.abortTimer);
    await Promise.allSettled([...this.background]);
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

/**
 * One alert as a point. Besides the contract's tags, `incident` (the alert
 * id): two alerts of one rule, container and trip can start at the same
 * reading (TEMPERATURE_ANOMALY keys its incidents by more than that), and
 * with the contract's tags alone the second would overwrite the first, being
 * the same series at the same time. The same alert written twice is still
 * one point.
 */
export function alertPoint(a: Alert): Point {
  const p = new Point('alert').tag('rule', a.rule).tag('severity', a.severity).tag('container_id', a.containerId).tag('incident', a.alertId);
  if (a.tripId) p.tag('trip_id', a.tripId);
  p.stringField('alert_id', a.alertId).stringField('summary', a.summary).stringField('detected_at', a.detectedAt);
  if (a.location) p.floatField('lat', a.location.lat).floatField('lon', a.location.lon);
  return p.timestamp(Date.parse(a.startedAt));
}

/** Alerts into InfluxDB; `write` resolves once InfluxDB acknowledged them (the rules stage commits after). */
export class InfluxAlertSink implements AlertSink {
  readonly name = 'influx';
  constructor(private readonly writer: InfluxWriter) {}
  write(alerts: readonly Alert[]): Promise<void> {
    return this.writer.writeAlerts(alerts);
  }
  async close(): Promise<void> {}
}
