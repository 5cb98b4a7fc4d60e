import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { swError } from '../errors.js';
import type { Alert } from '../model/alert.js';
import type { AlertSink } from './sink.js';

/** The header that carries `t=<unix seconds>,v1=<hex HMAC-SHA256 of "${t}.${body}">`. */
export const SIGNATURE_HEADER = 'x-sealwatch-signature';

export interface WebhookTarget {
  name: string;
  url: string;
  secret: string;
}

export interface WebhookOptions {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  /** Deliveries remembered (for dedup and the API); the oldest finished ones go first. */
  maxDeliveries?: number;
  random?: () => number;
  now?: () => number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  deliveryId: string;
  target: string;
  alertId: string;
  rule: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  nextAttemptAt: string | null;
}

/** `t=<unix seconds>,v1=<hex>`: HMAC-SHA256 with the target's secret over `${t}.${body}`. */
export function signBody(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute the HMAC over the raw body and compare in
 * constant time, and refuse a timestamp older than the tolerance (replays).
 */
export function verifySignature(secret: string, header: string | undefined, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((kv) => kv.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'), 'hex');
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

/** Targets of the configuration, their secrets read from the environment variables they name. */
export function webhookTargets(cfg: Config['webhooks'], env: Record<string, string | undefined> = process.env): WebhookTarget[] {
  return cfg.targets.map((t) => {
    const secret = env[t.secretEnv];
    if (!secret) throw swError('SW_ERR_CONFIG_INVALID', `webhooks.targets[${t.name}].secretEnv: environment variable ${t.secretEnv} is not set`);
    return { name: t.name, url: t.url, secret };
  });
}

interface Job {
  d: Delivery;
  target: WebhookTarget;
  body: string;
  timer: NodeJS.Timeout | null;
}

/**
 * Each alert POSTed to every target, signed; retried on network errors,
 * timeouts, 408, 429 and 5xx with jittered exponential backoff up to
 * `maxAttempts`; other answers fail at once. Deduplicated per target by alert
 * id, so a redelivered alert is not sent twice. `write` only enqueues: a slow
 * or down targeting centre never holds up the rule engine.
 */
export class WebhookSink implements AlertSink {
  readonly name = 'webhook';
  private readonly jobs = new Map<string, Job>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    readonly targets: readonly WebhookTarget[],
    private readonly opts: WebhookOptions,
    private readonly log?: Logger,
  ) {
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  async write(alerts: readonly Alert[]): Promise<void> {
    if (this.closed) return;
    for (const alert of alerts) {
      const body = JSON.stringify(alert);
      for (const target of this.targets) {
        const key = `${target.name}\u0000${alert.alertId}`;
        if (this.jobs.has(key)) continue;
        const at = new Date(this.now()).toISOString();
        const job: Job = {
          d: { deliveryId: randomUUID(), target: target.name, alertId: alert.alertId, rule: alert.rule, status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, createdAt: at, updatedAt: at, nextAttemptAt: at },
          target,
          body,
          timer: null,
        };
        this.jobs.set(key, job);
        this.evict();
        this.attempt(job);
      }
    }
  }

  deliveries(filter: { status?: DeliveryStatus; alertId?: string; target?: string } = {}): Delivery[] {
    const out: Delivery[] = [];
    for (const j of this.jobs.values()) {
      if (filter.status && j.d.status !== filter.status) continue;
      if (filter.alertId && j.d.alertId !== filter.alertId) continue;
      if (filter.target && j.d.target !== filter.target) continue;
      out.push({ ...j.d });
    }
    return out.reverse();
  }

  counts(): Record<DeliveryStatus, number> {
    const c: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
    for (const j of this.jobs.values()) c[j.d.status]++;
    return c;
  }

  private attempt(job: Job): void {
    job.timer = null;
    if (this.closed) return;
    const p = this.send(job).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async send(job: Job): Promise<void> {
    const d = job.d;
    d.attempts++;
    d.nextAttemptAt = null;
    let retriable: boolean;
    try {
      const t = Math.floor(this.now() / 1000);
      const res = await fetch(job.target.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'sealwatch-webhook/1',
          [SIGNATURE_HEADER]: signBody(job.target.secret, t, job.body),
          'x-sealwatch-alert-id': d.alertId,
          'x-sealwatch-delivery': d.deliveryId,
          'x-sealwatch-attempt': String(d.attempts),
        },
        body: job.body,
      });
      await res.arrayBuffer().catch(() => undefined);
      d.lastStatusCode = res.status;
      if (res.status >= 200 && res.status < 300) {
        d.status = 'delivered';
        d.lastError = null;
        d.updatedAt = new Date(this.now()).toISOString();
        this.log?.info({ target: d.target, alertId: d.alertId, attempts: d.attempts }, 'sinks.webhook_delivered');
        return;
      }
      d.lastError = `HTTP ${res.status}`;
      retriable = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      d.lastStatusCode = null;
      d.lastError = e.name === 'TimeoutError' ? `timed out after ${this.opts.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      retriable = true;
    }
    d.updatedAt = new Date(this.now()).toISOString();
    if (!retriable || d.attempts >= this.opts.maxAttempts || this.closed) {
      d.status = 'failed';
      this.log?.warn({ target: d.target, alertId: d.alertId, attempts: d.attempts, err: d.lastError }, 'sinks.webhook_failed');
      return;
    }
    const delay = this.backoff(d.attempts);
    d.nextAttemptAt = new Date(this.now() + delay).toISOString();
    this.log?.debug({ target: d.target, alertId: d.alertId, attempts: d.attempts, delay, err: d.lastError }, 'sinks.webhook_retry');
    job.timer = setTimeout(() => this.attempt(job), delay);
  }

  /** Half fixed, half random ("equal jitter"): grows exponentially, never a thundering herd, bounded by maxBackoffMs. */
  backoff(attempts: number): number {
    const cap = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** Math.min(attempts - 1, 30));
    return Math.round(cap / 2 + this.random() * (cap / 2));
  }

  private evict(): void {
    const max = this.opts.maxDeliveries ?? 10_000;
    if (this.jobs.size <= max) return;
    for (const [key, j] of this.jobs) {
      if (this.jobs.size <= max) break;
      if (j.d.status !== 'pending') this.jobs.delete(key);
    }
  }

  /** Stops retrying; waits (at most the request timeout) for requests on the wire. Pending deliveries stay pending. */
  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.jobs.values()) if (j.timer) clearTimeout(j.timer);
    await Promise.allSettled([...this.inFlight]);
  }
}

export function createWebhookSink(cfg: Config['webhooks'], log?: Logger, env?: Record<string, string | undefined>): WebhookSink | null {
  const targets = webhookTargets(cfg, env);
  if (targets.length === 0) return null;
  return new WebhookSink(targets, { maxAttempts: cfg.maxAttempts, initialBackoffMs: cfg.initialBackoffMs, maxBackoffMs: cfg.maxBackoffMs, timeoutMs: cfg.timeoutMs }, log?.child({ module: 'webhook' }));
}
