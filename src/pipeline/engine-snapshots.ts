import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Bus, BusMessage } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';

/**
 * The rules stage's engine snapshots on the compacted topic
 * `sealwatch.engine-snapshots.v1` (docs/wire.md, beyond the contract): per
 * consumer group and telemetry partition, the engine's lane state
 * (RuleEngine.snapshotLane, gzip'd JSON) and the telemetry offset it covers.
 *
 * A snapshot can be larger than a Kafka message may be, so it is written in
 * chunks, each its own message keyed `${groupId}:${partition}:${half}:${i}`,
 * and then a manifest keyed `${groupId}:${partition}` naming the chunks, the
 * offset, and the sha256 of the whole. The chunks of two snapshots in a row
 * go to the two halves (a, b) in turn, so writing one never overwrites the
 * chunks the current manifest names: a crash half way leaves the previous
 * snapshot readable, and the key set stays bounded (compaction keeps the
 * latest of each). All of it goes to one partition of the topic, in order.
 */
export interface SnapshotManifest {
  format: typeof MANIFEST_FORMAT;
  groupId: string;
  partition: number;
  /** The next telemetry offset the snapshot does not hold (the snapshot covers every offset below). */
  offset: string;
  half: 'a' | 'b';
  chunks: number;
  bytes: number;
  sha256: string;
  containers: number;
  writtenAt: string;
  /** Which process wrote it (host and process id, or the name a deployment gives): the recovery log names it. */
  writtenBy?: string;
}

const MANIFEST_FORMAT = 'engine-snapshot-manifest/1';
/** Below Kafka's default largest message (1 MB) with room for the record's overhead. */
export const CHUNK_BYTES = 512 * 1024;

export type LoadedSnapshot = { ok: true; manifest: SnapshotManifest; bytes: Buffer } | { ok: false; reason: string; manifest: SnapshotManifest | null };

export class EngineSnapshotStore {
  /** The half the next snapshot of a partition goes to (the other one than the latest manifest's). */
  private readonly nextHalf = new Map<number, 'a' | 'b'>();
  private cache: { at: number; messages: Promise<BusMessage[]> } | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly groupId: string,
    private readonly chunkBytes = CHUNK_BYTES,
    private readonly writer = `${hostname()}:${process.pid}`,
  ) {}

  /** The latest snapshot of a telemetry partition: null when there is none, or why it cannot be used. */
  async load(partition: number): Promise<LoadedSnapshot | null> {
    const messages = await this.read();
    const prefix = `${this.groupId}:${partition}`;
    let manifestMsg: BusMessage | null = null;
    const chunks = new Map<string, Buffer>();
    for (const m of messages) {
      if (m.key === prefix) manifestMsg = m;
      else if (m.key?.startsWith(`${prefix}:`)) chunks.set(m.key.slice(prefix.length + 1), m.value);
    }
    if (!manifestMsg) return null;
    let manifest: SnapshotManifest;
    try {
      manifest = JSON.parse(manifestMsg.value.toString('utf8')) as SnapshotManifest;
    } catch (err) {
      return { ok: false, reason: `manifest is not JSON: ${(err as Error).message}`, manifest: null };
    }
    if (manifest.format !== MANIFEST_FORMAT) return { ok: false, reason: `manifest format ${JSON.stringify(manifest.format)} is not ${MANIFEST_FORMAT}`, manifest: null };
    this.nextHalf.set(partition, manifest.half === 'a' ? 'b' : 'a');
    const parts: Buffer[] = [];
    for (let i = 0; i < manifest.chunks; i++) {
      const c = chunks.get(`${manifest.half}:${i}`);
      if (!c) return { ok: false, reason: `chunk ${manifest.half}:${i} of ${manifest.chunks} is missing`, manifest };
      parts.push(c);
    }
    const bytes = Buffer.concat(parts);
    if (bytes.length !== manifest.bytes || sha256(bytes) !== manifest.sha256) return { ok: false, reason: 'chunks do not match the manifest (overwritten or damaged)', manifest };
    return { ok: true, manifest, bytes };
  }

  /** Writes a partition's snapshot (chunks first, then the manifest that makes it the latest). */
  async write(partition: number, offset: bigint, bytes: Buffer, containers: number): Promise<SnapshotManifest> {
    const half = this.nextHalf.get(partition) ?? 'a';
    const prefix = `${this.groupId}:${partition}`;
    const n = Math.max(1, Math.ceil(bytes.length / this.chunkBytes));
    // one message a produce: a record batch of several could pass the broker's message size limit
    for (let i = 0; i < n; i++) await this.bus.produce(TOPICS.engineSnapshots, [{ key: `${prefix}:${half}:${i}`, value: bytes.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes) }]);
    const manifest: SnapshotManifest = {
      format: MANIFEST_FORMAT,
      groupId: this.groupId,
      partition,
      offset: String(offset),
      half,
      chunks: n,
      bytes: bytes.length,
      sha256: sha256(bytes),
      containers,
      writtenAt: new Date().toISOString(),
      writtenBy: this.writer,
    };
    await this.bus.produce(TOPICS.engineSnapshots, [{ key: prefix, value: JSON.stringify(manifest) }]);
    this.nextHalf.set(partition, half === 'a' ? 'b' : 'a');
    this.cache = null;
    return manifest;
  }

  /** The topic read whole, shared by the partitions restored within a few seconds of each other (a start, a rebalance). */
  private read(): Promise<BusMessage[]> {
    const now = Date.now();
    if (!this.cache || now - this.cache.at > 5000) {
      const messages = this.bus.readAll(TOPICS.engineSnapshots);
      this.cache = { at: now, messages };
      messages.catch(() => {
        this.cache = null;
      });
    }
    return this.cache.messages;
  }
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
