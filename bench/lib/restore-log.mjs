// The restore lines of a `sealwatch run` process's log (pino JSON on stderr),
// for the snapshot suite's real-process restore: which partitions were
// restored from which snapshot, how many containers, in how many ms.

/** Recovery events of one log line: null for a line that is not one (another event, or not JSON). */
export function restoreEvent(line) {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  let o;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (o === null || typeof o !== 'object' || typeof o.msg !== 'string') return null;
  const at = typeof o.time === 'number' ? o.time : null;
  switch (o.msg) {
    case 'rules.snapshot_restored':
      if (!Number.isInteger(o.partition) || !Number.isInteger(o.containers) || typeof o.ms !== 'number') return { kind: 'malformed', line: text, at, reason: 'a restore line without partition, containers or ms' };
      return { kind: 'restored', line: text, at, partition: o.partition, containers: o.containers, ms: o.ms, offset: String(o.offset), bytes: o.bytes ?? null, writtenBy: o.writtenBy ?? null };
    case 'rules.snapshot_unusable':
      return { kind: 'unusable', line: text, at, partition: o.partition, reason: String(o.reason) };
    case 'rules.snapshot_none':
      return { kind: 'none', line: text, at, partition: o.partition };
    case 'pipeline.running':
      return { kind: 'running', line: text, at };
    case 'rules.stage_failed':
      // the rules stage's queue failed (a restore that threw is `unusable`, not this)
      return { kind: 'error', line: text, at, reason: String(o.err ?? o.msg) };
    default:
      return null;
  }
}

/** Splits a stream's chunks into whole lines (the last, unfinished, kept for the next chunk). */
export function lineSplitter(onLine) {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk;
      let i = rest.indexOf('\n');
      while (i >= 0) {
        onLine(rest.slice(0, i));
        rest = rest.slice(i + 1);
        i = rest.indexOf('\n');
      }
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

/**
 * Where a restore stands: done once every one of `partitions` has its
 * restore line; a failure (a partition without a usable snapshot, an error
 * line, a restore line that does not parse) as a message, else null.
 */
export function restoreProgress(events, partitions) {
  const restored = new Map();
  for (const e of events) {
    if (e.kind === 'restored') {
      if (restored.has(e.partition)) return { done: false, failure: `partition ${e.partition} restored twice (a rebalance?): ${e.line}`, restored: [...restored.values()] };
      restored.set(e.partition, e);
    } else if (e.kind === 'unusable') return { done: false, failure: `partition ${e.partition}: snapshot unusable (${e.reason})`, restored: [...restored.values()] };
    else if (e.kind === 'none') return { done: false, failure: `partition ${e.partition}: no snapshot found`, restored: [...restored.values()] };
    else if (e.kind === 'malformed' || e.kind === 'error') return { done: false, failure: `${e.reason}: ${e.line}`, restored: [...restored.values()] };
  }
  const list = [...restored.values()].sort((a, b) => a.partition - b.partition);
  const done = Array.from({ length: partitions }, (_, p) => restored.has(p)).every(Boolean);
  return { done, failure: null, restored: list };
}

/** Totals of a complete restore: containers, the sum and largest of the lines' ms, the last line's time. */
export function restoreTotals(restored) {
  let containers = 0;
  let sumMs = 0;
  let maxMs = 0;
  let lastAt = null;
  for (const e of restored) {
    containers += e.containers;
    sumMs += e.ms;
    maxMs = Math.max(maxMs, e.ms);
    if (e.at !== null) lastAt = lastAt === null ? e.at : Math.max(lastAt, e.at);
  }
  return { containers, sumMs, maxMs, lastAt };
}
