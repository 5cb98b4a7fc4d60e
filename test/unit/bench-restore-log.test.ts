import { describe, expect, it } from 'vitest';
import { lineSplitter, restoreEvent, restoreProgress, restoreTotals, type RestoreEvent } from '../../bench/lib/restore-log.mjs';

// The snapshot bench's reading of a `sealwatch run` log: which partitions were
// restored, with how many containers and in how many ms.
const restored = (partition: number, containers: number, ms: number, time = 1_000 + partition) =>
  JSON.stringify({ level: 30, time, app: 'sealwatch', module: 'rules', partition, offset: '66679', containers, bytes: 2_100_000, writtenAt: '2026-12-05T18:30:00.000Z', writtenBy: 'sealwatch-bench:42', ms, msg: 'rules.snapshot_restored' });

describe('bench restore log', () => {
  it('reads the restore lines and ignores other lines and non-JSON', () => {
    const e = restoreEvent(restored(3, 16_650, 2140));
    expect(e).toMatchObject({ kind: 'restored', partition: 3, containers: 16_650, ms: 2140, offset: '66679', at: 1003, writtenBy: 'sealwatch-bench:42' });
    expect(restoreEvent('{"level":30,"msg":"rules.partition_catch_up","partition":1}')).toBeNull();
    expect(restoreEvent('sealwatch: dashboard at ...')).toBeNull();
    expect(restoreEvent('{"level":30,"msg":"pipeline.running"')).toBeNull();
    expect(restoreEvent('{"level":30,"time":5,"msg":"pipeline.running"}')).toMatchObject({ kind: 'running', at: 5 });
    expect(restoreEvent('{"level":30,"msg":"rules.snapshot_restored","partition":1}')).toMatchObject({ kind: 'malformed' });
    expect(restoreEvent('{"level":50,"msg":"rules.stage_failed","err":"boom"}')).toMatchObject({ kind: 'error', reason: 'boom' });
    expect(restoreEvent('{"level":50,"module":"kafkajs","msg":"The group is rebalancing"}')).toBeNull();
  });

  it('is done once every partition has its line, and totals them', () => {
    const events = [0, 1, 2, 3, 4, 5].map((p) => restoreEvent(restored(p, 1000 + p, 10 * (p + 1))) as RestoreEvent);
    expect(restoreProgress(events.slice(0, 5), 6)).toMatchObject({ done: false, failure: null });
    const p = restoreProgress([...events].reverse(), 6);
    expect(p.done).toBe(true);
    expect(p.restored.map((r) => r.partition)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(restoreTotals(p.restored)).toEqual({ containers: 6015, sumMs: 210, maxMs: 60, lastAt: 1005 });
  });

  it('fails on a partition without a usable snapshot, or restored twice', () => {
    const ok = restoreEvent(restored(0, 10, 1)) as RestoreEvent;
    const unusable = restoreEvent('{"level":40,"msg":"rules.snapshot_unusable","partition":2,"reason":"chunks do not match the manifest"}') as RestoreEvent;
    expect(restoreProgress([ok, unusable], 6).failure).toBe('partition 2: snapshot unusable (chunks do not match the manifest)');
    const none = restoreEvent('{"level":30,"msg":"rules.snapshot_none","partition":4}') as RestoreEvent;
    expect(restoreProgress([none], 6).failure).toBe('partition 4: no snapshot found');
    expect(restoreProgress([ok, ok], 6).failure).toMatch(/^partition 0 restored twice/);
  });

  it('splits a stream into lines across chunks', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.push('{"a":1}\n{"b"');
    s.push(':2}\n\n{"c":3}');
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '']);
    s.end();
    expect(lines.at(-1)).toBe('{"c":3}');
  });
});
