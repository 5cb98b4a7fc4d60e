import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus, Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { AlertSchema, type Alert } from '../model/alert.js';
import { initialRecord, type AlertStatus, type HistoryEntry, type LifecycleRecord, type LifecycleStore } from './lifecycle.js';
import { StreamBuffer } from './stream-buffer.js';

/** An alert as the API serves it: WIRE section 3 plus its lifecycle. */
export interface AlertView extends Alert {
  /** Sequence number of the stream event that first announced the alert. */
  seq: number;
  status: AlertStatus;
  assignee: string | null;
  history: HistoryEntry[];
}

export interface AlertFilter {
  rule?: string[];
  severity?: string[];
  containerId?: string;
  tripId?: string;
  status?: AlertStatus[];
  /** Inclusive lower bound on startedAt, ms. */
  from?: number;
  /** Exclusive upper bound on startedAt, ms. */
  to?: number;
}

export interface Page {
  items: AlertView[];
  /** Opaque cursor for the next page; null on the last page. */
  nextCursor: string | null;
  /** Matching alerts in all pages. */
  total: number;
}

interface Entry {
  alert: Alert;
  startedAt: number;
  seq: number;
}

/**
 * The alerts the API knows, read from the alerts topic with a private
 * consumer group (the API is a consumer like any other; data moves forward
 * only). Deduplicated by alert id; every new alert and every lifecycle change
 * becomes a stream event.
 */
export class AlertStore {
  private readonly byId = new Map<string, Entry>();
  readonly stream: StreamBuffer;
  readonly countsByRule: Record<string, number> = {};
  private sub: Subscription | null = null;

  constructor(
    private readonly lifecycle: LifecycleStore,
    opts: { streamBufferSize: number; maxAlerts: number },
    private readonly log?: Logger,
  ) {
    this.stream = new StreamBuffer(opts.streamBufferSize);
    this.maxAlerts = opts.maxAlerts;
    lifecycle.onChange((r) => {
      if (this.byId.has(r.alertId)) this.stream.push('status', this.view(r.alertId));
    });
  }

  private readonly maxAlerts: number;

  async follow(bus: Bus): Promise<void> {
    this.sub = await bus.subscribe({
      groupId: `sealwatch-api-alerts-${randomUUID()}`,
      topics: [TOPICS.alerts],
      fromBeginning: true,
      handler: async (batch) => {
        for (const m of batch) {
          const r = AlertSchema.safeParse(safeJson(m.value.toString('utf8')));
          if (r.success) this.add(r.data);
          else this.log?.warn({ offset: m.offset }, 'api.undecodable_alert');
        }
      },
    });
  }

  /** Adds an alert unless its id is known; true when new. */
  add(alert: Alert): boolean {
    if (this.byId.has(alert.alertId)) return false;
    if (this.byId.size >= this.maxAlerts) {
      const oldest = this.byId.keys().next().value;
      if (oldest !== undefined) this.byId.delete(oldest);
    }
    const entry: Entry = { alert, startedAt: Date.parse(alert.startedAt), seq: this.stream.lastSeq + 1 };
    this.byId.set(alert.alertId, entry);
    this.countsByRule[alert.rule] = (this.countsByRule[alert.rule] ?? 0) + 1;
    this.stream.push('alert', this.view(alert.alertId));
    return true;
  }

  has(alertId: string): boolean {
    return this.byId.has(alertId);
  }

  get size(): number {
    return this.byId.size;
  }

  view(alertId: string): AlertView | null {
    const e = this.byId.get(alertId);
    if (!e) return null;
    return toView(e, this.lifecycle.get(alertId) ?? initialRecord(alertId));
  }

  /** Alerts not closed, per container. */
  openByContainer(): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.byId.values()) {
      if ((this.lifecycle.get(e.alert.alertId)?.status ?? 'open') === 'closed') continue;
      out.set(e.alert.containerId, (out.get(e.alert.containerId) ?? 0) + 1);
    }
    return out;
  }

  /**
   * Newest first by startedAt, ties by alert id: a total order, so a cursor
   * (the sort key of the last item served) pages stably while alerts arrive.
   */
  query(f: AlertFilter, limit: number, cursor: string | null): Page {
    const after = cursor ? decodeCursor(cursor) : null;
    const matching: Entry[] = [];
    for (const e of this.byId.values()) {
      const a = e.alert;
      if (f.rule && !f.rule.includes(a.rule)) continue;
      if (f.severity && !f.severity.includes(a.severity)) continue;
      if (f.containerId && a.containerId !== f.containerId) continue;
      if (f.tripId && a.tripId !== f.tripId) continue;
      if (f.from !== undefined && e.startedAt < f.from) continue;
      if (f.to !== undefined && e.startedAt >= f.to) continue;
      if (f.status && !f.status.includes(this.lifecycle.get(a.alertId)?.status ?? 'open')) continue;
      matching.push(e);
    }
    matching.sort(compare);
    let i = 0;
    if (after) while (i < matching.length && compare(matching[i]!, after) <= 0) i++;
    const slice = matching.slice(i, i + limit);
    const last = slice[slice.length - 1];
    return {
      items: slice.map((e) => toView(e, this.lifecycle.get(e.alert.alertId) ?? initialRecord(e.alert.alertId))),
      nextCursor: last && i + limit < matching.length ? encodeCursor(last) : null,
      total: matching.length,
    };
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}

type SortKey = Pick<Entry, 'startedAt'> & { alert: Pick<Alert, 'alertId'> };

function compare(a: SortKey, b: SortKey): number {
  if (a.startedAt !== b.startedAt) return b.startedAt - a.startedAt;
  return a.alert.alertId < b.alert.alertId ? -1 : a.alert.alertId > b.alert.alertId ? 1 : 0;
}

function encodeCursor(e: Entry): string {
  return Buffer.from(JSON.stringify([e.startedAt, e.alert.alertId])).toString('base64url');
}

/** A cursor that does not decode is treated as a bad request by the route (null here). */
export function decodeCursor(cursor: string): SortKey | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return { startedAt: v[0], alert: { alertId: v[1] } };
  } catch {
    // fall through
  }
  return null;
}

function toView(e: Entry, rec: LifecycleRecord): AlertView {
  return { ...e.alert, seq: e.seq, status: rec.status, assignee: rec.assignee, history: rec.history };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
