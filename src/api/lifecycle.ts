import type { Logger } from 'pino';
import type { Bus } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';

export const ALERT_STATUSES = ['open', 'acknowledged', 'closed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const ALERT_ACTIONS = ['acknowledge', 'assign', 'close', 'reopen'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

export interface HistoryEntry {
  action: AlertAction;
  /** Wall-clock time of the action (ISO). */
  at: string;
  /** The token's name that acted. */
  by: string;
  from: AlertStatus;
  to: AlertStatus;
  note: string | null;
  assignee: string | null;
}

export interface LifecycleRecord {
  alertId: string;
  status: AlertStatus;
  assignee: string | null;
  history: HistoryEntry[];
}

export interface ActionRequest {
  action: AlertAction;
  by: string;
  at: string;
  note?: string | null;
  assignee?: string | null;
}

export type ActionOutcome = { ok: true; record: LifecycleRecord } | { ok: false; status: 400 | 409; message: string };

export function initialRecord(alertId: string): LifecycleRecord {
  return { alertId, status: 'open', assignee: null, history: [] };
}

/**
 * The transitions: acknowledge an open alert; assign one that is not closed;
 * close one that is not closed; reopen a closed one. Anything else is a
 * conflict with the alert's current status (409), never silently ignored.
 */
export function applyAction(rec: LifecycleRecord, req: ActionRequest): ActionOutcome {
  const from = rec.status;
  let to: AlertStatus = from;
  let assignee = rec.assignee;
  switch (req.action) {
    case 'acknowledge':
      if (from !== 'open') return { ok: false, status: 409, message: `alert is ${from}: only an open alert can be acknowledged` };
      to = 'acknowledged';
      break;
    case 'assign':
      if (!req.assignee) return { ok: false, status: 400, message: 'assignee: required for assign' };
      if (from === 'closed') return { ok: false, status: 409, message: 'alert is closed: reopen it before assigning' };
      assignee = req.assignee;
      break;
    case 'close':
      if (from === 'closed') return { ok: false, status: 409, message: 'alert is already closed' };
      to = 'closed';
      break;
    case 'reopen':
      if (from !== 'closed') return { ok: false, status: 409, message: `alert is ${from}: only a closed alert can be reopened` };
      to = 'open';
      break;
  }
  const entry: HistoryEntry = { action: req.action, at: req.at, by: req.by, from, to, note: req.note ?? null, assignee: req.action === 'assign' ? assignee : null };
  return { ok: true, record: { alertId: rec.alertId, status: to, assignee, history: [...rec.history, entry] } };
}

/**
 * Lifecycle records in memory, written through to the status topic before an
 * action is acknowledged to the caller, and reloaded from it at start (Kafka:
 * the compacted topic survives restarts; memory bus: lives with the process).
 */
export class LifecycleStore {
  private readonly records = new Map<string, LifecycleRecord>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners: Array<(r: LifecycleRecord) => void> = [];

  constructor(
    private readonly bus: Bus,
    private readonly log?: Logger,
  ) {}

  async load(): Promise<void> {
    await this.bus.ensureTopics([{ topic: TOPICS.alertStatus, partitions: 1, compacted: true }]);
    const messages = await this.bus.readAll(TOPICS.alertStatus);
    for (const m of messages) {
      try {
        const r = JSON.parse(m.value.toString('utf8')) as LifecycleRecord;
        if (typeof r.alertId === 'string' && (ALERT_STATUSES as readonly string[]).includes(r.status) && Array.isArray(r.history)) this.records.set(r.alertId, r);
      } catch (err) {
        this.log?.warn({ offset: m.offset, err: (err as Error).message }, 'api.invalid_status_record');
      }
    }
    this.log?.info({ records: this.records.size }, 'api.alert_status_loaded');
  }

  get(alertId: string): LifecycleRecord | undefined {
    return this.records.get(alertId);
  }

  get size(): number {
    return this.records.size;
  }

  onChange(listener: (r: LifecycleRecord) => void): void {
    this.listeners.push(listener);
  }

  /** Applies one action; actions run one at a time so two analysts never both win a transition. */
  act(alertId: string, req: ActionRequest): Promise<ActionOutcome> {
    const run = async (): Promise<ActionOutcome> => {
      const out = applyAction(this.records.get(alertId) ?? initialRecord(alertId), req);
      if (!out.ok) return out;
      await this.bus.produce(TOPICS.alertStatus, [{ key: alertId, value: JSON.stringify(out.record) }]);
      this.records.set(alertId, out.record);
      for (const l of this.listeners) l(out.record);
      return out;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
