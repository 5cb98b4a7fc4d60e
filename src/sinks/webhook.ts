import type { Logger } from 'pino';
import type { Bus, BusMessage, Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import type { Config } from '../config/schema.js';
import { swError } from '../errors.js';
import { AlertSchema, SEVERITIES, type Alert } from '../model/alert.js';
import type { Centre, Jurisdictions } from '../trips/jurisdiction.js';
import { standardWebhookHeaders, webhookId, webhookKey } from './standard-webhooks.js';

/**
 * A header on alert messages produced by a replay through the stack: the
 * alerts of the past are on the alerts topic for the replay to read back,
 * and the webhook consumers pass them by.
 */
export const REPLAY_HEADER = 'sealwatch-replay';

export interface WebhookTarget {
  name: string;
  url: string;
  /** `whsec_<base64>` (the key is the decoded bytes) or a raw string (its UTF-8 bytes). */
  secret: string;
  /** The targeting centre the target belongs to (null: none, every alert). */
  centre?: string | null;
  /** Which alerts the target gets (its centre's jurisdiction, rules, least severity, container prefixes, ports); absent: every alert. */
  accepts?: (alert: Alert) => boolean;
}

export interface WebhookOptions {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  /** Each target's consumer group is `${groupPrefix}-webhook-${target name}` (the pipeline passes `kafka.groupId`). */
  groupPrefix: string;
  /** Deliveries remembered (for the API and to pass by an alert seen twice); the oldest finished ones go first. */
  maxDeliveries?: number;
  random?: () => number;
  now?: () => number;
}

/** pending: being tried (or waiting to be); delivered: a 2xx came; failed: dead, on `sealwatch.webhook-dead.v1`. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  /** The Standard Webhooks `webhook-id` (the same as webhookId; the name the API had before). */
  deliveryId: string;
  webhookId: string;
  target: string;
  alertId: string;
  rule: string;
  status: DeliveryStatus;
  /** Attempts made by this process (a restart begins the count again). */
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  nextAttemptAt: string | null;
}

/** Why a delivery went dead: its attempts ran out, or the target refused it (a 4xx other than 408, 425, 429). */
export type DeadReason = 'attempts-exhausted' | 'refused';

/** The value of a message on `sealwatch.webhook-dead.v1` (keyed by alert id). */
export interface DeadDelivery {
  target: string;
  alertId: string;
  webhookId: string;
  rule: string;
  reason: DeadReason;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  firstAttemptAt: string;
  lastAttemptAt: string;
  deadAt: string;
  /** The alert as it was sent (the body of every attempt, parsed). */
  alert: Alert;
}

interface Job {
  d: Delivery;
  /** Set once the retry budget is spent: what goes onto the dead topic (kept if producing it fails, so the next try only produces). */
  dead: DeadDelivery | null;
}

type AttemptResult = 'delivered' | 'retry' | 'refused';

/**
 * Targets of the configuration, their secrets read from the environment
 * variables they name, each with the filter its `centre`, `rules`,
 * `minSeverity`, `containerPrefixes` and `ports` make (jurisdictions and
 * plans come from `jurisdictions`). A missing or malformed secret stops here,
 * naming the target and the variable, never the secret.
 */
export function webhookTargets(cfg: Config['webhooks'], env: Record<string, string | undefined> = process.env, jurisdictions?: Jurisdictions): WebhookTarget[] {
  return cfg.targets.map((t) => {
    const where = `webhooks.targets[${t.name}].secretEnv`;
    const secret = env[t.secretEnv];
    if (!secret) throw swError('SW_ERR_CONFIG_INVALID', `${where}: environment variable ${t.secretEnv} is not set`);
    try {
      if (webhookKey(secret).length === 0) throw new Error('the key is empty');
    } catch (err) {
      throw swError('SW_ERR_CONFIG_INVALID', `${where}: the secret in ${t.secretEnv} is not usable (${(err as Error).message}); expected whsec_ and base64 of the key, or a raw string`);
    }
    const centre = t.centre ?? null;
    if (centre !== null && !jurisdictions?.get(centre)) throw swError('SW_ERR_CONFIG_INVALID', `webhooks.targets[${t.name}].centre: no centre ${centre}`);
    const accepts = targetFilter(t, centre === null ? null : jurisdictions!.get(centre)!, jurisdictions);
    return { name: t.name, url: t.url, secret, centre, ...(accepts ? { accepts } : {}) };
  });
}

/** A target's filter, or null when it takes every alert. Every filter it has must pass. */
function targetFilter(t: Config['webhooks']['targets'][number], centre: Centre | null, jurisdictions: Jurisdictions | undefined): ((alert: Alert) => boolean) | null {
  const rules = t.rules ? new Set<string>(t.rules) : null;
  const least = t.minSeverity ? SEVERITIES.indexOf(t.minSeverity) : 0;
  const prefixes = t.containerPrefixes;
  // the ports as a scope of their own: matched against the alert's plan exactly as a centre's scope is
  const ports: Centre | null = t.ports ? { name: `\u0000webhook-ports\u0000${t.name}`, label: null, scope: t.ports } : null;
  if (!centre && !rules && least === 0 && !prefixes && !ports) return null;
  if ((centre || ports) && !jurisdictions) throw new Error(`webhook target ${t.name}: its centre or ports need the trip plans (jurisdictions)`);
  return (a) =>
    (!rules || rules.has(a.rule)) &&
    SEVERITIES.indexOf(a.severity) >= least &&
    (!prefixes || prefixes.some((p) => a.containerId.startsWith(p))) &&
    (!centre || jurisdictions!.alertVisible(centre, a)) &&
    (!ports || jurisdictions!.alertVisible(ports, a));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Durable webhook delivery. Each target reads the alerts topic in a consumer
 * group of its own and POSTs the alerts its filter takes, one at a time in
 * the order of each partition, signed the Standard Webhooks way with a
 * `webhook-id` derived from target and alert id. An alert's offset is
 * committed only once the target answered 2xx, or once its retry budget is
 * spent and the delivery is on `sealwatch.webhook-dead.v1`: a stop or a
 * crash mid-delivery leaves it uncommitted, and the next process in the
 * group sends it again under the same id (at least once; receivers
 * deduplicate on `webhook-id`). Retried on network errors, timeouts, 408,
 * 425, 429 and 5xx with jittered exponential backoff; other answers are dead
 * at once. A target seen for the first time starts with the alerts raised
 * from then on. A slow or down target holds up only its own group.
 */
export class WebhookDispatcher {
  private readonly jobs = new Map<string, Job>();
  private readonly subs: Subscription[] = [];
  private stopping = false;
  private readonly stopped = new AbortController();
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly keys = new Map<string, Buffer>();

  constructor(
    private readonly bus: Bus,
    readonly targets: readonly WebhookTarget[],
    private readonly opts: WebhookOptions,
    private readonly log?: Logger,
  ) {
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    for (const t of targets) this.keys.set(t.name, webhookKey(t.secret));
  }

  /** The consumer group of a target. */
  groupId(target: string): string {
    return `${this.opts.groupPrefix}-webhook-${target}`;
  }

  /** Joins each target's group; resolves once every target consumes. */
  async start(): Promise<void> {
    for (const t of this.targets) {
      const groupId = this.groupId(t.name);
      const fresh = (await this.bus.committedOffsets(groupId, TOPICS.alerts)).size === 0;
      const subscribe = (fromNow: boolean) => this.bus.subscribe({ groupId, topics: [TOPICS.alerts], fromBeginning: true, fromNow, handler: (batch) => this.onBatch(t, batch) });
      let sub: Subscription;
      try {
        sub = await subscribe(fresh);
      } catch (err) {
        // another instance positioned the new group first (and is in it): take its offsets
        if (!fresh || (await this.bus.committedOffsets(groupId, TOPICS.alerts)).size === 0) throw err;
        sub = await subscribe(false);
      }
      this.subs.push(sub);
      this.log?.info({ target: t.name, groupId, fresh }, 'sinks.webhook_target_started');
    }
  }

  /** The leading messages of the batch that are done (delivered, dead or not for this target); the rest stays uncommitted. */
  private async onBatch(t: WebhookTarget, batch: BusMessage[]): Promise<number> {
    for (let i = 0; i < batch.length; i++) {
      if (this.stopping) return i;
      if ((await this.handle(t, batch[i]!)) === 'stopped') return i;
    }
    return batch.length;
  }

  private async handle(t: WebhookTarget, m: BusMessage): Promise<'done' | 'stopped'> {
    if (m.headers[REPLAY_HEADER] !== undefined) return 'done';
    const parsed = AlertSchema.safeParse(parseJson(m.value.toString('utf8')));
    if (!parsed.success) {
      this.log?.warn({ target: t.name, partition: m.partition, offset: m.offset }, 'sinks.webhook_undecodable_alert');
      return 'done';
    }
    const alert = parsed.data;
    if (t.accepts && !t.accepts(alert)) return 'done';
    const key = `${t.name}\u0000${alert.alertId}`;
    let job = this.jobs.get(key);
    // the same alert again on the topic (the rules stage redelivered a batch): it is delivered or dead already
    if (job && job.d.status !== 'pending') return 'done';
    if (!job) {
      const at = new Date(this.now()).toISOString();
      const id = webhookId(t.name, alert.alertId);
      job = {
        d: { deliveryId: id, webhookId: id, target: t.name, alertId: alert.alertId, rule: alert.rule, status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, createdAt: at, updatedAt: at, nextAttemptAt: at },
        dead: null,
      };
      this.jobs.set(key, job);
      this.evict();
    }
    return this.deliver(t, job, m.value, alert);
  }

  private async deliver(t: WebhookTarget, job: Job, body: Buffer, alert: Alert): Promise<'done' | 'stopped'> {
    const d = job.d;
    const firstAttemptAt = new Date(this.now()).toISOString();
    while (!job.dead) {
      if (this.stopping) return 'stopped';
      const result = await this.attempt(t, d, body);
      if (result === 'delivered') {
        d.status = 'delivered';
        d.nextAttemptAt = null;
        this.log?.info({ target: d.target, alertId: d.alertId, webhookId: d.webhookId, attempts: d.attempts }, 'sinks.webhook_delivered');
        return 'done';
      }
      if (result === 'refused' || d.attempts >= this.opts.maxAttempts) {
        job.dead = {
          target: d.target,
          alertId: d.alertId,
          webhookId: d.webhookId,
          rule: d.rule,
          reason: result === 'refused' ? 'refused' : 'attempts-exhausted',
          attempts: d.attempts,
          lastStatusCode: d.lastStatusCode,
          lastError: d.lastError,
          firstAttemptAt,
          lastAttemptAt: d.updatedAt,
          deadAt: new Date(this.now()).toISOString(),
          alert,
        };
        break;
      }
      const delay = this.backoff(d.attempts);
      d.nextAttemptAt = new Date(this.now() + delay).toISOString();
      this.log?.debug({ target: d.target, alertId: d.alertId, attempts: d.attempts, delay, err: d.lastError }, 'sinks.webhook_retry');
      if (!(await this.sleep(delay))) return 'stopped';
    }
    d.nextAttemptAt = null;
    // a failure here throws: the alert stays uncommitted and comes again (only the produce is repeated)
    await this.bus.produce(TOPICS.webhookDead, [{ key: d.alertId, value: JSON.stringify(job.dead) }]);
    d.status = 'failed';
    this.log?.warn({ target: d.target, alertId: d.alertId, webhookId: d.webhookId, attempts: d.attempts, reason: job.dead!.reason, err: d.lastError }, 'sinks.webhook_dead');
    return 'done';
  }

  private async attempt(t: WebhookTarget, d: Delivery, body: Buffer): Promise<AttemptResult> {
    d.attempts++;
    d.nextAttemptAt = null;
    let result: AttemptResult;
    try {
      const timestamp = Math.floor(this.now() / 1000);
      const res = await fetch(t.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'sealwatch-webhook/2',
          ...standardWebhookHeaders(this.keys.get(t.name)!, d.webhookId, timestamp, body),
          'x-sealwatch-alert-id': d.alertId,
          'x-sealwatch-attempt': String(d.attempts),
        },
        body: new Uint8Array(body),
      });
      await res.arrayBuffer().catch(() => undefined);
      d.lastStatusCode = res.status;
      if (res.status >= 200 && res.status < 300) {
        d.lastError = null;
        result = 'delivered';
      } else {
        d.lastError = `HTTP ${res.status}`;
        result = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500 ? 'retry' : 'refused';
      }
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      d.lastStatusCode = null;
      d.lastError = e.name === 'TimeoutError' ? `timed out after ${this.opts.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      result = 'retry';
    }
    d.updatedAt = new Date(this.now()).toISOString();
    return result;
  }

  /** Waits `ms`; false when the dispatcher stops meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    const signal = this.stopped.signal;
    return new Promise((resolve) => {
      const onStop = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onStop);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onStop, { once: true });
    });
  }

  /** Half fixed, half random ("equal jitter"): grows exponentially, never a thundering herd, bounded by maxBackoffMs. */
  backoff(attempts: number): number {
    const cap = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** Math.min(attempts - 1, 30));
    return Math.round(cap / 2 + this.random() * (cap / 2));
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

  private evict(): void {
    const max = this.opts.maxDeliveries ?? 10_000;
    if (this.jobs.size <= max) return;
    for (const [key, j] of this.jobs) {
      if (this.jobs.size <= max) break;
      if (j.d.status !== 'pending') this.jobs.delete(key);
    }
  }

  /**
   * Stops every target's consumer: waits end at once, a request on the wire
   * is waited for (at most `timeoutMs`), and what is not delivered or dead
   * stays uncommitted for the next process.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    for (const s of this.subs.splice(0)) await s.stop();
  }
}

/** The dispatcher of the configured targets over `bus`, or null when there are none (nothing is started yet). */
export function createWebhookDispatcher(config: Config, bus: Bus, log?: Logger, env?: Record<string, string | undefined>, jurisdictions?: Jurisdictions): WebhookDispatcher | null {
  const cfg = config.webhooks;
  const targets = webhookTargets(cfg, env, jurisdictions);
  if (targets.length === 0) return null;
  return new WebhookDispatcher(
    bus,
    targets,
    { maxAttempts: cfg.maxAttempts, initialBackoffMs: cfg.initialBackoffMs, maxBackoffMs: cfg.maxBackoffMs, timeoutMs: cfg.timeoutMs, groupPrefix: config.kafka.groupId },
    log?.child({ module: 'webhook' }),
  );
}
