import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { swError } from '../errors.js';
import { parseYamlBounded } from './yaml-guard.js';
import { ConfigSchema, SECRET_KEYS, type Config } from './schema.js';

export interface LoadOptions {
  /** Configuration files applied in order over the built-in defaults. */
  files?: string[];
  /** `SEALWATCH_*` variables; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** `key.path=value` overrides (the CLI's --set), applied last. */
  sets?: string[];
  /** Plain object overrides applied after files and env, before sets (CLI flags). */
  overrides?: Record<string, unknown>;
}

type Source = { value: unknown; from: string };

/**
 * Built-in defaults, then each file, then SEALWATCH_* environment variables,
 * then CLI overrides. A wrong value anywhere stops with the key, the value
 * (unless secret), where it came from and what was expected.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const merged: Record<string, unknown> = {};
  const sources = new Map<string, Source>();
  for (const file of options.files ?? []) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw swError('SW_ERR_CONFIG_FILE', file, (err as Error).message);
    }
    let doc: unknown;
    try {
      doc = file.endsWith('.json') ? JSON.parse(text) : parseYamlBounded(text);
    } catch (err) {
      throw swError('SW_ERR_CONFIG_FILE', file, (err as Error).message);
    }
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw swError('SW_ERR_CONFIG_FILE', file, 'expected a mapping at the top level');
    mergeInto(merged, doc as Record<string, unknown>, [], sources, file);
  }
  const defaults = ConfigSchema.parse({});
  const envVars = envKeyMap(defaults);
  const env = options.env ?? process.env;
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('SEALWATCH_') || raw === undefined) continue;
    const path = envVars.get(name.slice('SEALWATCH_'.length));
    if (!path) continue; // other SEALWATCH_* variables belong to scripts (cache dirs, log level)
    setPath(merged, path, coerce(raw, getPath(defaults, path)), sources, `environment ${name}`);
  }
  // A secret may also come from a file named by SEALWATCH_<KEY>_FILE (container secrets); the file wins.
  for (const key of SECRET_KEYS) {
    const path = key.split('.');
    const name = `SEALWATCH_${path.map(toEnvSegment).join('_')}_FILE`;
    const file = env[name];
    if (!file) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw swError('SW_ERR_CONFIG_FILE', `${file} (from environment ${name})`, (err as Error).message);
    }
    setPath(merged, path, text.replace(/\r?\n$/, ''), sources, `file named by environment ${name}`);
  }
  if (options.overrides) mergeInto(merged, options.overrides, [], sources, 'command line');
  for (const set of options.sets ?? []) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw swError('SW_ERR_CONFIG_INVALID', `--set ${JSON.stringify(set)}: expected key.path=value`);
    const path = set.slice(0, eq).split('.');
    if (SECRET_KEYS.has(path.join('.'))) {
      const envName = `SEALWATCH_${path.map(toEnvSegment).join('_')}`;
      throw swError('SW_ERR_CONFIG_INVALID', `--set ${path.join('.')}: a secret is not taken from the command line (other users can read it in the process list); set ${envName}, ${envName}_FILE or a configuration file`);
    }
    setPath(merged, path, coerce(set.slice(eq + 1), getPath(defaults, path)), sources, `--set ${path.join('.')}`);
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) throw swError('SW_ERR_CONFIG_INVALID', describeConfigError(result.error, merged, sources));
  return result.data;
}

export function describeConfigError(error: z.ZodError, input: Record<string, unknown>, sources: Map<string, Source>): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        const where = key ? `${key}: ` : '';
        return `${where}unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      }
      const value = getPath(input, issue.path.map(String));
      const shown = SECRET_KEYS.has(key) ? '[redacted]' : showValue(value);
      const from = findSource(sources, key);
      return `${key} = ${shown}${from ? ` (from ${from})` : ''}: ${issue.message}`;
    })
    .join('; ');
}

/** A value for an error message: JSON, cut short; YAML aliases can make it circular. */
function showValue(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 200 ? `${text.slice(0, 200)}...` : text;
  } catch {
    return `[${Array.isArray(value) ? 'array' : typeof value} that cannot be shown: circular]`;
  }
}

function findSource(sources: Map<string, Source>, key: string): string | undefined {
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const s = sources.get(k);
    if (s) return s.from;
  }
  return undefined;
}

/**
 * SEALWATCH_* variables that are not configuration keys but belong to the
 * scripts and tests (stack provisioning, caches, the simulator's and
 * recorder's passwords): never warned about.
 */
// biome-ignore format: one line per group of variables
const TOOL_ENV_VARS = new Set([
  'CACHE', 'STACK_DIR', 'STACK_FRESH', 'KEEP_STACK', 'STACK_LOCK_HELD', 'SKIP_STACK_TESTS', 'SKIP_E2E_TESTS', 'PROBE_VERBOSE',
  'KAFKA_VERSION', 'KAFKA_HEAP_OPTS', 'INFLUX_SERVER', 'INFLUXDB_VERSION',
  'SIMULATOR_PASSWORD', 'RECORD_PASSWORD', 'MQTT_SIMULATOR_USERNAME', 'MQTT_SIMULATOR_PASSWORD', 'MQTT_TLS_URL', 'MQTT_CA_FILE',
]);

/**
 * SEALWATCH_* variables in `env` that name no configuration key, no secret
 * file and no tool setting: most likely a typo, which would otherwise be
 * ignored without a word.
 */
export function unknownEnvVars(env: Record<string, string | undefined> = process.env): string[] {
  const known = envKeyMap(ConfigSchema.parse({}));
  const secretFiles = new Set([...SECRET_KEYS].map((k) => `${k.split('.').map(toEnvSegment).join('_')}_FILE`));
  return Object.keys(env)
    .filter((name) => name.startsWith('SEALWATCH_') && env[name] !== undefined)
    .filter((name) => {
      const rest = name.slice('SEALWATCH_'.length);
      return !known.has(rest) && !secretFiles.has(rest) && !TOOL_ENV_VARS.has(rest);
    })
    .sort();
}

/** Maps `RULES_DOOR_OPEN_MOVING_SPEED_KN` to ['rules','doorOpen','movingSpeedKn'] for every leaf. */
export function envKeyMap(defaults: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (node: unknown, path: string[]) => {
    if (node && typeof node === 'object' && !Array.isArray(node)) {
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    } else {
      out.set(path.map(toEnvSegment).join('_'), path);
    }
  };
  walk(defaults, []);
  return out;
}

function toEnvSegment(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toUpperCase();
}

/** Turns a string from the environment or --set into the type the default has. */
function coerce(raw: string, like: unknown): unknown {
  if (typeof like === 'number') return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (typeof like === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (Array.isArray(like)) {
    if (raw.trim().startsWith('[')) {
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    }
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (like === null && raw === '') return null;
  return raw;
}

/** Keys that would reach Object.prototype through a plain object: refused wherever a key path is built. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 8;

function checkKey(path: string[], from: string): void {
  const bad = path.find((k) => UNSAFE_KEYS.has(k));
  if (bad !== undefined) throw swError('SW_ERR_CONFIG_INVALID', `${path.join('.')} (from ${from}): key ${JSON.stringify(bad)} is not a setting (reserved object property name)`);
}

function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>, path: string[], sources: Map<string, Source>, from: string) {
  for (const [k, v] of Object.entries(src)) {
    const p = [...path, k];
    checkKey(p, from);
    // every setting is within a few levels; deeper is a mistake or an alias cycle (and would exhaust the stack)
    if (p.length > MAX_DEPTH) throw swError('SW_ERR_CONFIG_INVALID', `${p.slice(0, MAX_DEPTH + 1).join('.')}... (from ${from}): nested deeper than ${MAX_DEPTH} levels, no setting is`);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const existing = target[k];
      const child = existing && typeof existing === 'object' && !Array.isArray(existing) ? (existing as Record<string, unknown>) : {};
      target[k] = child;
      mergeInto(child, v as Record<string, unknown>, p, sources, from);
    } else {
      target[k] = v;
      sources.set(p.join('.'), { value: v, from });
    }
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown, sources: Map<string, Source>, from: string) {
  checkKey(path, from);
  let node = target;
  for (const seg of path.slice(0, -1)) {
    const next = node[seg];
    if (!next || typeof next !== 'object' || Array.isArray(next)) node[seg] = {};
    node = node[seg] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
  sources.set(path.join('.'), { value, from });
}

function getPath(obj: unknown, path: string[]): unknown {
  let node: unknown = obj;
  for (const seg of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node;
}

/** A copy of the configuration safe to log: secrets replaced. */
export function redactConfig(config: Config): unknown {
  const copy = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const key of SECRET_KEYS) {
    const [a, b] = key.split('.') as [string, string];
    if (copy[a] && copy[a][b] != null) copy[a][b] = '[redacted]';
  }
  return copy;
}
