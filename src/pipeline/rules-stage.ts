import type { Logger } from 'pino';
import type { Bus, BusMessage, Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { parseWireReading, readingToWire } from '../model/reading.js';
import type { AlertSink } from '../sinks/sink.js';
import type { CollectingEngine } from './processor.js';
import type { PipelineInstruments } from './instruments.js';

export interface RulesStageOptions {
  groupId: string;
  idleFlushMs: number;
  fromNow?: boolean;
  instruments?: PipelineInstruments;
  /** Wall clock for idle release of held readings only; the rules never see it. */
  wallClock?: () => number;
}

/**
 * Consumes normalised readings, runs the engine, and hands alerts to the
 * sinks; a batch counts as consumed (offsets committed) only after the sinks
 * wrote. Everything touching the engine runs through one queue.
 */
export class RulesStage {
  private sub: Subscription | null = null;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private lastWall = 0;
  private lastArrival = -Infinity;
  private readonly wall: () => number;
  readonly counts = { readings: 0, undecodable: 0, alerts: 0, late: 0 };

  constructor(private readonly bus: Bus, private readonly rules: CollectingEngine, private readonly sink: AlertSink, private readonly opts: RulesStageOptions, private readonly log?: Logger) {
    this.wall = opts.wallClock ?? Date.now;
  }

  async start(): Promise<void> {
    this.sub = await this.bus.subscribe({ groupId: this.opts.groupId, topics: [TOPICS.telemetry], fromBeginning: true, fromNow: this.opts.fromNow ?? false, handler: (batch) => this.enqueue(() => this.onBatch(batch)) });
    this.timer = setInterval(() => void this.enqueue(() => this.onIdle()), this.opts.idleFlushMs);
    this.timer.unref();
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch((err: Error) => this.log?.error({ err: err.message }, 'rules.stage_failed'));
    return next;
  }

  private async onBatch(batch: BusMessage[]): Promise<void> {
    const end = this.opts.instruments?.rulesBatchSeconds.startTimer();
    const engine = this.rules.engine;
    for (const m of batch) {
      let reading;
      try {
        reading = parseWireReading(m.value.toString('utf8'));
      } catch (err) {
        this.counts.undecodable++;
        this.log?.error({ partition: m.partition, offset: m.offset, err: (err as Error).message }, 'rules.undecodable_telemetry');
        continue;
      }
      this.counts.readings++;
      if (reading.receivedAt > this.lastArrival) this.lastArrival = reading.receivedAt;
      engine.ingest(reading, m.partition);
    }
    this.lastWall = this.wall();
    await this.emit();
    end?.();
  }

  private async onIdle(): Promise<void> {
    if (this.lastArrival === -Infinity) return;
    const idle = this.wall() - this.lastWall;
    if (idle < this.opts.idleFlushMs) return;
    this.rules.engine.releaseHeld(this.lastArrival + idle);
    await this.emit();
  }

  private async emit(): Promise<void> {
    const out = this.rules.take();
    if (out.alerts.length) {
      this.counts.alerts += out.alerts.length;
      const h = this.opts.instruments?.arrivalToAlertSeconds;
      if (h) for (const arrival of out.alertArrivals) h.observe(Math.max(0, this.wall() - arrival) / 1000);
      for (const a of out.alerts) this.log?.info({ alertId: a.alertId, rule: a.rule, severity: a.severity, containerId: a.containerId, tripId: a.tripId }, 'rules.alert_raised');
      await this.sink.write(out.alerts);
    }
    if (out.late.length) {
      this.counts.late += out.late.length;
      for (const { reading, detail } of out.late) this.log?.debug({ containerId: reading.containerId, eventId: reading.eventId, detail }, 'rules.late_reading');
      await this.bus.produce(TOPICS.late, out.late.map(({ reading, detail }) => ({ key: reading.containerId, value: JSON.stringify({ ...readingToWire(reading), lateDetail: detail }) })));
    }
  }

  /** Resolves when everything queued so far has been processed and written. */
  drain(): Promise<void> {
    return this.enqueue(async () => {});
  }

  /** End of input (replay through the stack): release held readings and write what they raise. */
  flush(): Promise<void> {
    return this.enqueue(async () => {
      this.rules.engine.flush();
      await this.emit();
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sub?.stop();
    await this.drain();
  }
}
