import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus, Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import type { DeadDelivery } from '../sinks/webhook.js';

/** A dead delivery as the API lists it: the record on the topic and where it is there. */
export interface DeadEntry extends DeadDelivery {
  partition: number;
  offset: string;
}

/**
 * The dead webhook deliveries of `sealwatch.webhook-dead.v1`, read from the
 * oldest retained in a private consumer group and followed from there (every
 * instance of the API sees every one, whichever pipeline gave up on it). The
 * latest `max` are held.
 */
export class DeadDeliveries {
  private readonly entries: DeadEntry[] = [];
  private sub: Subscription | null = null;

  constructor(
    private readonly max = 10_000,
    private readonly log?: Logger,
  ) {}

  async follow(bus: Bus): Promise<void> {
    this.sub = await bus.subscribe({
      groupId: `sealwatch-api-webhook-dead-${randomUUID()}`,
      topics: [TOPICS.webhookDead],
      fromBeginning: true,
      handler: async (batch) => {
        for (const m of batch) {
          let v: DeadDelivery;
          try {
            v = JSON.parse(m.value.toString('utf8')) as DeadDelivery;
          } catch {
            this.log?.warn({ partition: m.partition, offset: m.offset }, 'api.undecodable_webhook_dead');
            continue;
          }
          if (typeof v?.target !== 'string' || typeof v.alertId !== 'string') continue;
          this.entries.push({ ...v, partition: m.partition, offset: m.offset });
          if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
        }
      },
    });
  }

  /** Newest first (by when they went dead), narrowed by target, alert and which targets may be seen. */
  list(filter: { target?: string; alertId?: string; visible?: (target: string) => boolean } = {}): DeadEntry[] {
    return this.entries
      .filter((e) => (!filter.target || e.target === filter.target) && (!filter.alertId || e.alertId === filter.alertId) && (!filter.visible || filter.visible(e.target)))
      .sort((a, b) => (a.deadAt < b.deadAt ? 1 : a.deadAt > b.deadAt ? -1 : 0));
  }

  get size(): number {
    return this.entries.length;
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}
