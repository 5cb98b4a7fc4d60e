import type { WireFormat } from '../model/reading.js';

export type Route = { format: WireFormat; id: string; kind?: string } | null;

/** Longest device, gateway or kind level a topic may carry. */
const MAX_LEVEL = 200;
const SLASH = 47;

/**
 * Which wire format a topic belongs to, and its device (or gateway) id and
 * kind: `{root}/json/{deviceId}/{kind}`, `{root}/csv/{deviceId}`,
 * `{root}/batch/{gatewayId}` (WIRE 1). Null for anything else. Scans the
 * topic once with indexOf instead of splitting and joining it: this runs for
 * every message.
 */
export function parseTopic(topic: string, root: string): Route {
  const n = root.length;
  if (topic.length <= n + 1 || topic.charCodeAt(n) !== SLASH || !topic.startsWith(root)) return null;
  const a = n + 1;
  const s1 = topic.indexOf('/', a);
  if (s1 < 0) return null;
  const s2 = topic.indexOf('/', s1 + 1);
  const space = s1 - a;
  if (space === 4 && topic.startsWith('json', a)) {
    if (s2 < 0 || topic.indexOf('/', s2 + 1) >= 0) return null;
    const idLen = s2 - s1 - 1;
    const kindLen = topic.length - s2 - 1;
    if (idLen < 1 || idLen > MAX_LEVEL || kindLen < 1 || kindLen > MAX_LEVEL) return null;
    return { format: 'json-v1', id: topic.slice(s1 + 1, s2), kind: topic.slice(s2 + 1) };
  }
  if (s2 >= 0) return null;
  const idLen = topic.length - s1 - 1;
  if (idLen < 1 || idLen > MAX_LEVEL) return null;
  if (space === 3 && topic.startsWith('csv', a)) return { format: 'csv-v1', id: topic.slice(s1 + 1) };
  if (space === 5 && topic.startsWith('batch', a)) return { format: 'batch-v1', id: topic.slice(s1 + 1) };
  return null;
}

/** The reference: split, join, compare. Kept for the property test that the scan above agrees with it. */
export function parseTopicBySplit(topic: string, root: string): Route {
  const rootLevels = root.split('/').length;
  const levels = topic.split('/');
  if (levels.slice(0, rootLevels).join('/') !== root) return null;
  const rest = levels.slice(rootLevels);
  const valid = (s: string | undefined): s is string => !!s && s.length <= MAX_LEVEL;
  if (rest[0] === 'json' && rest.length === 3 && valid(rest[1]) && valid(rest[2])) return { format: 'json-v1', id: rest[1], kind: rest[2] };
  if (rest[0] === 'csv' && rest.length === 2 && valid(rest[1])) return { format: 'csv-v1', id: rest[1] };
  if (rest[0] === 'batch' && rest.length === 2 && valid(rest[1])) return { format: 'batch-v1', id: rest[1] };
  return null;
}
