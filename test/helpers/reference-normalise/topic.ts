import type { WireFormat } from '../../../src/model/reading.js';
import type { WireFormatDecoder } from './context.js';
import { WIRE_DECODERS } from './registry.js';

export type Route = { format: WireFormat; id: string; kind?: string } | null;

/** Longest device, gateway or kind level a topic may carry. */
const MAX_LEVEL = 200;
const SLASH = 47;

/**
 * Which wire format a topic belongs to, and its device (or gateway) id and
 * kind: `{root}/{level}/{id}` or, for a format with kinds,
 * `{root}/{level}/{id}/{kind}`, the levels of the registered formats
 * (registry.ts; WIRE 1). Null for anything else. Scans the topic once with
 * indexOf instead of splitting and joining it: this runs for every message.
 */
export function parseTopic(topic: string, root: string): Route {
  const n = root.length;
  if (topic.length <= n + 1 || topic.charCodeAt(n) !== SLASH || !topic.startsWith(root)) return null;
  const a = n + 1;
  const s1 = topic.indexOf('/', a);
  if (s1 < 0) return null;
  const f = formatAt(topic, a, s1 - a);
  if (!f) return null;
  const s2 = topic.indexOf('/', s1 + 1);
  if (f.topic.kind) {
    if (s2 < 0 || topic.indexOf('/', s2 + 1) >= 0) return null;
    const idLen = s2 - s1 - 1;
    const kindLen = topic.length - s2 - 1;
    if (idLen < 1 || idLen > MAX_LEVEL || kindLen < 1 || kindLen > MAX_LEVEL) return null;
    return { format: f.format, id: topic.slice(s1 + 1, s2), kind: topic.slice(s2 + 1) };
  }
  if (s2 >= 0) return null;
  const idLen = topic.length - s1 - 1;
  if (idLen < 1 || idLen > MAX_LEVEL) return null;
  return { format: f.format, id: topic.slice(s1 + 1) };
}

/** The format whose level is the `length` characters of `topic` at `at` (a few formats: a scan beats slicing for a map). */
function formatAt(topic: string, at: number, length: number): WireFormatDecoder | null {
  for (const d of WIRE_DECODERS) if (d.topic.level.length === length && topic.startsWith(d.topic.level, at)) return d;
  return null;
}

/** The reference: split, join, compare. Kept for the property test that the scan above agrees with it. */
export function parseTopicBySplit(topic: string, root: string): Route {
  const rootLevels = root.split('/').length;
  const levels = topic.split('/');
  if (levels.slice(0, rootLevels).join('/') !== root) return null;
  const rest = levels.slice(rootLevels);
  const valid = (s: string | undefined): s is string => !!s && s.length <= MAX_LEVEL;
  const f = WIRE_DECODERS.find((d) => d.topic.level === rest[0]);
  if (!f) return null;
  if (f.topic.kind) return rest.length === 3 && valid(rest[1]) && valid(rest[2]) ? { format: f.format, id: rest[1], kind: rest[2] } : null;
  return rest.length === 2 && valid(rest[1]) ? { format: f.format, id: rest[1] } : null;
}

/** The topics of the formats in words, for the unknown-topic dead letter: `ssd/json/{deviceId}/{kind}, ssd/csv/{deviceId} or ...`. */
export function topicPatterns(root: string): string {
  const each = WIRE_DECODERS.map((d) => `${root}/${d.topic.level}/{${d.topic.id}}${d.topic.kind ? '/{kind}' : ''}`);
  return each.length > 1 ? `${each.slice(0, -1).join(', ')} or ${each[each.length - 1]}` : each.join('');
}
