import type { Logger } from 'pino';
import type { Bus, BusMessage, Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { parseWireReading, readingToWire } from '../model/reading.js';
import type { AlertSink } from '../sinks/sink.js';
import type { Collected, CollectingEngine } from './processor.js';
import type { Reading } from '../model/reading.js';
import type { PipelineInstruments } from './instruments.js';
import { decodeLaneSnapshot, encodeLaneSnapshot } from '../rules/engine.js';
import { EngineSnapshotStore } from './engine-snapshots.js';

export interface RulesStageOptions {
  groupId: string;
  idleFlushMs: number;
  fromNow?: boolean;
  instruments?: PipelineInstruments;
  /**
   * Release held readings after wall-clock idleness (default true). Off when
   * arrival times come from the data (a replay through a broker, whose
   * `received-at` is not the wall clock): then held readings are released by
   * later arrivals or an explicit flush only, so pacing cannot change results.
   */
  idleRelease?: boolean;
  /** Wall clock for idle release of held readings only; the rules never see it. */
  wallClock?: () => number;
  /**
   * Rebuild the engine's state at start from the retained telemetry before
   * the group's committed offsets (default true; off for a private group
   * that starts at the end, as a replay's).
   */
  recover?: boolean;
  /** Recovery reads telemetry produced from this time on (ms), not from the oldest retained. */
  recoverFromMs?: number | null;
  /**
   * Engine snapshots (with recovery on): every `intervalMs` of wall time and
   * at stop, each partition's engine state is written to
   * sealwatch.engine-snapshots.v1 with the offset it covers; a partition is
   * then recovered when it is first delivered to this member (partition by
   * partition, only those assigned) from its latest snapshot and the
   * telemetry after it, and a revoked partition's state is dropped.
   * `chunkBytes` (tests) splits snapshots into smaller messages.
   */
  snapshots?: { intervalMs: number; chunkBytes?: number } | null;
}

export interface RecoveryStats {
  /** Readings fed back to rebuild state at start and when a partition came back with a gap. */
  rebuiltReadings: number;
  /** Alerts the rebuild re-derived and held back (they were written before the restart). */
  suppressedAlerts: number;
  /** Messages delivered again at offsets the engine already holds (skipped). */
  redelivered: number;
  /** Partition ranges fed to catch up after a gap (a partition that was away). */
  catchUps: number;
  durationMs: number;
  /** Partitions restored from an engine snapshot. */
  snapshotsRestored: number;
  /** Partitions whose snapshot could not be used (rebuilt from the log instead). */
  snapshotsUnusable: number;
  snapshotsWritten: number;
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
  /** Wall time the stage started or last finished a batch; per partition, when its last batch finished. */
  private lastWall = 0;
  private readonly lastWallOf = new Map<number, number>();
  private readonly wall: () => number;
  readonly counts = { readings: 0, undecodable: 0, alerts: 0, late: 0 };
  readonly recovery: RecoveryStats = { rebuiltReadings: 0, suppressedAlerts: 0, redelivered: 0, catchUps: 0, durationMs: 0, snapshotsRestored: 0, snapshotsUnusable: 0, snapshotsWritten: 0 };
  /** Per partition: the next telemetry offset the engine's state does not hold yet. */
  private readonly next = new Map<number, bigint>();
  /** Output taken from the engine but not yet written (a failed write is retried, never dropped). */
  private pending: Collected = { alerts: [], alertArrivals: [], late: [] };
  private readonly recovering: boolean;
  private readonly snapshots: EngineSnapshotStore | null;
  /** Per partition: the offset covered by the latest snapshot written or restored. */
  private readonly snapshotted = new Map<number, bigint>();
  private lastSnapshotWall: number;

  constructor(
    private readonly bus: Bus,
    private readonly rules: CollectingEngine,
    private readonly sink: AlertSink,
    private readonly opts: RulesStageOptions,
    private readonly log?: Logger,
  ) {
    this.wall = opts.wallClock ?? Date.now;
    this.recovering = opts.recover ?? !opts.fromNow;
    this.snapshots = this.recovering && opts.snapshots ? new EngineSnapshotStore(bus, opts.groupId, opts.snapshots.chunkBytes) : null;
    this.lastSnapshotWall = this.wall();
  }

  async start(): Promise<void> {
    // with snapshots, each partition is recovered when it is first delivered (catchUp), not all of them here
    if (this.recovering && !this.snapshots) await this.rebuild();
    this.sub = await this.bus.subscribe({
      groupId: this.opts.groupId,
      topics: [TOPICS.telemetry],
      bulk: true,
      fromBeginning: true,
      fromNow: this.opts.fromNow ?? false,
      handler: (batch) => this.enqueue(() => this.onBatch(batch)),
      ...(this.snapshots ? { onAssignment: (assigned: Array<{ topic: string; partition: number }>) => void this.enqueue(() => this.onAssignment(assigned)) } : {}),
    });
    this.timer = setInterval(() => void this.enqueue(() => this.onIdle()), this.opts.idleFlushMs);
    this.timer.unref();
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch((err: Error) => this.log?.error({ err: err.message }, 'rules.stage_failed'));
    return next;
  }

  /**
   * Crash recovery: the engine's state is a function of the telemetry each
   * partition delivered, so it is rebuilt by feeding the retained telemetry
   * from the oldest offset up to the group's committed offset, with the
   * alerts that re-derives held back (they were written before the commit).
   */
  private async rebuild(): Promise<void> {
    const t0 = Date.now();
    const [bounds, committed, since] = await Promise.all([
      this.bus.offsetBounds(TOPICS.telemetry),
      this.bus.committedOffsets(this.opts.groupId, TOPICS.telemetry),
      this.opts.recoverFromMs != null ? this.bus.offsetsForTime(TOPICS.telemetry, this.opts.recoverFromMs) : Promise.resolve(null),
    ]);
    if (since) for (const [p, b] of bounds) if (since.has(p) && BigInt(since.get(p)!) > BigInt(b.low)) bounds.set(p, { ...b, low: since.get(p)! });
    const from = new Map<number, string>();
    const to = new Map<number, string>();
    let total = 0n;
    for (const [p, b] of bounds) {
      // a group without a commit starts at the oldest retained offset; with one, the scan below
      // moves the position from there to the committed offset
      const start = BigInt(b.low);
      this.next.set(p, start);
      const c = committed.get(p);
      if (c === undefined) continue;
      const end = BigInt(c);
      if (end > start) {
        from.set(p, b.low);
        to.set(p, c);
        total += end - start;
      }
    }
    if (total === 0n) return;
    this.log?.info({ partitions: to.size, readings: Number(total) }, 'rules.recovery_started');
    let lastReport = Date.now();
    await this.bus.scan(TOPICS.telemetry, from, to, (batch) => {
      this.feedSilently(batch);
      if (Date.now() - lastReport >= 2000) {
        lastReport = Date.now();
        const rate = this.recovery.rebuiltReadings / ((Date.now() - t0) / 1000);
        this.log?.info({ done: this.recovery.rebuiltReadings, of: Number(total), perSecond: Math.round(rate) }, 'rules.recovery_progress');
      }
    });
    for (const [p, c] of to) this.next.set(p, BigInt(c));
    this.recovery.durationMs = Date.now() - t0;
    this.lastWall = this.wall();
    this.log?.info({ readings: this.recovery.rebuiltReadings, alertsHeldBack: this.recovery.suppressedAlerts, ms: this.recovery.durationMs }, 'rules.recovery_done');
  }

  /** Feeds already-processed telemetry into the engine and discards what it raises. */
  private feedSilently(batch: BusMessage[]): void {
    for (const m of batch) if (this.feed(m) === 'ingested') this.recovery.rebuiltReadings++;
    this.recovery.suppressedAlerts += this.rules.take().alerts.length;
  }

  /**
   * One telemetry message into the engine, unless the engine's state already
   * holds its offset (a redelivery); moves the partition's position past it.
   */
  private feed(m: BusMessage): 'held-already' | 'undecodable' | 'ingested' {
    const next = this.next.get(m.partition);
    const offset = BigInt(m.offset);
    if (next !== undefined && offset < next) return 'held-already';
    this.next.set(m.partition, offset + 1n);
    let reading: Reading;
    try {
      reading = parseWireReading(m.value.toString('utf8'));
    } catch (err) {
      this.counts.undecodable++;
      this.log?.error({ partition: m.partition, offset: m.offset, err: (err as Error).message }, 'rules.undecodable_telemetry');
      return 'undecodable';
    }
    this.rules.engine.ingest(reading, m.partition);
    return 'ingested';
  }

  /**
   * A partition that comes back after another instance processed part of it
   * (a rebalance), or whose first batch starts past what the engine holds, is
   * caught up silently from the engine's position before its batch is processed.
   */
  private async catchUp(partition: number, offset: bigint): Promise<void> {
    let next = this.next.get(partition);
    if (next === undefined) {
      const bounds = await this.bus.offsetBounds(TOPICS.telemetry);
      next = (await this.restore(partition, bounds)) ?? (await this.startOf(partition, bounds));
      this.next.set(partition, next);
    }
    if (offset <= next) return;
    await this.emit();
    this.recovery.catchUps++;
    this.log?.info({ partition, from: String(next), to: String(offset) }, 'rules.partition_catch_up');
    await this.bus.scan(TOPICS.telemetry, new Map([[partition, String(next)]]), new Map([[partition, String(offset)]]), (b) => this.feedSilently(b));
    this.next.set(partition, offset);
  }

  /** Where a partition's rebuild from the log starts: the oldest retained offset, or the first at `recoverFromMs`. */
  private async startOf(partition: number, bounds: Map<number, { low: string; high: string }>): Promise<bigint> {
    const low = BigInt(bounds.get(partition)?.low ?? '0');
    if (!this.snapshots || this.opts.recoverFromMs == null) return low;
    const since = (await this.bus.offsetsForTime(TOPICS.telemetry, this.opts.recoverFromMs)).get(partition);
    return since !== undefined && BigInt(since) > low ? BigInt(since) : low;
  }

  /**
   * A partition's engine state from its latest snapshot: the offset it
   * covers, or null when there is no usable one (then the log is replayed).
   */
  private async restore(partition: number, bounds: Map<number, { low: string; high: string }>): Promise<bigint | null> {
    if (!this.snapshots) return null;
    const t0 = Date.now();
    let reason: string;
    try {
      const loaded = await this.snapshots.load(partition);
      if (loaded === null) {
        this.log?.info({ partition }, 'rules.snapshot_none');
        return null;
      }
      if (loaded.ok) {
        const offset = BigInt(loaded.manifest.offset);
        const b = bounds.get(partition);
        const since = this.opts.recoverFromMs != null ? (await this.bus.offsetsForTime(TOPICS.telemetry, this.opts.recoverFromMs)).get(partition) : undefined;
        if (b && offset > BigInt(b.high)) reason = `snapshot covers up to offset ${offset}, past the log's end ${b.high} (the topic was recreated?)`;
        else if (since !== undefined && offset < BigInt(since)) reason = `snapshot covers up to offset ${offset}, before engine.recoverFrom (offset ${since})`;
        else {
          const snap = decodeLaneSnapshot(loaded.bytes);
          const { containers } = this.rules.engine.restoreLane(partition, snap);
          this.snapshotted.set(partition, offset);
          this.recovery.snapshotsRestored++;
          const ms = Date.now() - t0;
          // a log trimmed past the snapshot loses the readings in between, as a rebuild from the log would
          const gap = b !== undefined && offset < BigInt(b.low);
          this.log?.info(
            { partition, offset: String(offset), containers, bytes: loaded.bytes.length, writtenAt: loaded.manifest.writtenAt, writtenBy: loaded.manifest.writtenBy ?? null, ms, ...(gap ? { retainedFrom: b.low } : {}) },
            'rules.snapshot_restored',
          );
          return offset;
        }
      } else reason = loaded.reason;
    } catch (err) {
      reason = (err as Error).message;
    }
    this.recovery.snapshotsUnusable++;
    this.log?.warn({ partition, reason }, 'rules.snapshot_unusable');
    return null;
  }

  /** The group gave this member its partitions: the state of those it no longer has is dropped (another member holds them now). */
  private async onAssignment(assigned: Array<{ topic: string; partition: number }>): Promise<void> {
    const mine = new Set(assigned.filter((a) => a.topic === TOPICS.telemetry).map((a) => a.partition));
    for (const p of [...this.next.keys()]) {
      if (mine.has(p)) continue;
      this.rules.engine.dropLane(p);
      this.next.delete(p);
      this.lastWallOf.delete(p);
      this.snapshotted.delete(p);
      this.log?.info({ partition: p }, 'rules.partition_dropped');
    }
  }

  /**
   * Writes a snapshot of every partition whose state moved on since its
   * last one, once `intervalMs` has passed (or `force`, at stop). Only when
   * every alert taken from the engine is written: a snapshot must never
   * cover readings whose alerts could still be lost.
   */
  private async writeSnapshots(force: boolean): Promise<void> {
    const store = this.snapshots;
    if (!store) return;
    if (!force && this.wall() - this.lastSnapshotWall < this.opts.snapshots!.intervalMs) return;
    await this.emit();
    if (this.pending.alerts.length || this.pending.late.length) return;
    this.lastSnapshotWall = this.wall();
    for (const [p, next] of this.next) {
      if (this.snapshotted.get(p) === next) continue;
      const t0 = Date.now();
      const snap = this.rules.engine.snapshotLane(p);
      const bytes = encodeLaneSnapshot(snap);
      try {
        const m = await store.write(p, next, bytes, snap.containers);
        this.snapshotted.set(p, next);
        this.recovery.snapshotsWritten++;
        this.log?.info({ partition: p, offset: String(next), containers: snap.containers, bytes: bytes.length, chunks: m.chunks, ms: Date.now() - t0 }, 'rules.snapshot_written');
      } catch (err) {
        // the previous snapshot stays the latest; the next interval tries again
        this.log?.warn({ partition: p, err: (err as Error).message }, 'rules.snapshot_failed');
      }
    }
  }

  private async onBatch(batch: BusMessage[]): Promise<void> {
    const end = this.opts.instruments?.rulesBatchSeconds.startTimer();
    if (this.recovering) {
      const firsts = new Map<number, bigint>();
      for (const m of batch) if (!firsts.has(m.partition)) firsts.set(m.partition, BigInt(m.offset));
      for (const [p, o] of firsts) await this.catchUp(p, o);
    }
    for (const m of batch) {
      const outcome = this.feed(m);
      if (outcome === 'held-already') this.recovery.redelivered++;
      else if (outcome === 'ingested') this.counts.readings++;
    }
    await this.emit();
    await this.writeSnapshots(false);
    // Idle time counts from when the batch is done: a sink that held the stage up (an outage)
    // is not idleness, since the bus kept filling meanwhile.
    this.lastWall = this.wall();
    for (const m of batch) this.lastWallOf.set(m.partition, this.lastWall);
    end?.();
  }

  /**
   * Releases held readings of a partition when nothing has come from it for
   * a while, partition by partition (each is its own lane with its own
   * arrival clock): only a partition this member owns, whose readings wait
   * in the engine, that has been quiet for `idleFlushMs` since its last
   * batch, and whose whole log this member has read (its end offset is the
   * engine's position), so a backlog waiting in the log (readings stamped
   * during that wall time) is never overtaken. Other members' partitions and
   * their lag play no part.
   */
  private async onIdle(): Promise<void> {
    if (this.pending.alerts.length || this.pending.late.length) await this.emit(); // a write that failed: try again
    await this.writeSnapshots(false);
    if (this.opts.idleRelease === false) return;
    const now = this.wall();
    const engine = this.rules.engine;
    const quiet: Array<[number, number]> = [];
    for (const p of this.next.keys()) {
      const idle = now - (this.lastWallOf.get(p) ?? this.lastWall);
      if (idle >= this.opts.idleFlushMs && engine.heldIn(p) > 0) quiet.push([p, idle]);
    }
    if (quiet.length === 0) return;
    const ends = await this.bus.endOffsets(TOPICS.telemetry).catch(() => null);
    if (!ends) return;
    let released = 0;
    for (const [p, idle] of quiet) {
      const end = ends.get(p);
      const next = this.next.get(p);
      if (end === undefined || next === undefined || BigInt(end) > next) continue; // unread telemetry on p: not idle, behind
      engine.releaseHeld(engine.arrivalClock(p) + idle, p);
      released++;
    }
    if (released) await this.emit();
  }

  private async emit(): Promise<void> {
    const taken = this.rules.take();
    const out = this.pending;
    out.alerts.push(...taken.alerts);
    out.alertArrivals.push(...taken.alertArrivals);
    out.late.push(...taken.late);
    if (out.alerts.length === 0 && out.late.length === 0) return;
    // Kept in `pending` until written: a failed write is retried with the next emit (the batch comes again).
    if (out.alerts.length) await this.sink.write(out.alerts);
    if (out.late.length)
      await this.bus.produce(
        TOPICS.late,
        out.late.map(({ reading, detail }) => ({ key: reading.containerId, value: JSON.stringify({ ...readingToWire(reading), lateDetail: detail }) })),
      );
    this.pending = { alerts: [], alertArrivals: [], late: [] };
    this.counts.alerts += out.alerts.length;
    this.counts.late += out.late.length;
    const h = this.opts.instruments?.arrivalToAlertSeconds;
    if (h) for (const arrival of out.alertArrivals) h.observe(Math.max(0, this.wall() - arrival) / 1000);
    for (const a of out.alerts) this.log?.info({ alertId: a.alertId, rule: a.rule, severity: a.severity, containerId: a.containerId, tripId: a.tripId }, 'rules.alert_raised');
    for (const { reading, detail } of out.late) this.log?.debug({ containerId: reading.containerId, eventId: reading.eventId, detail }, 'rules.late_reading');
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

  /** Stops consuming and, unless told otherwise (a test standing in for a crash), writes a last snapshot of every partition. */
  async stop(opts: { finalSnapshot?: boolean } = {}): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sub?.stop();
    await this.drain();
    if (this.snapshots && opts.finalSnapshot !== false) await this.enqueue(() => this.writeSnapshots(true)).catch(() => {});
  }
}
