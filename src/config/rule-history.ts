import { z } from 'zod';
import { ConfigSchema, type Config } from './schema.js';

/**
 * Rule thresholds changed while sealwatch runs, as a history: the
 * configuration's `rules` (version 0) and a list of changes, each replacing
 * one section of `rules` from an event time on. The rules in force at an
 * event time are a pure function of the history (`rulesAt`), so a replay
 * with the same history reasons exactly as the live run did, whenever and
 * however fast it runs.
 */
export type Rules = Config['rules'];

/** The whole rules schema, as the configuration validates it. */
export const RulesSchema = ConfigSchema.shape.rules.unwrap();

export type RuleSection = Exclude<keyof Rules, 'enabled'>;

/** Every section a change may name. */
export const RULE_SECTIONS = Object.keys(RulesSchema.shape).filter((k) => k !== 'enabled') as RuleSection[];

/**
 * Sections that cannot change without a restart: `enabled` decides which
 * rules exist, and the engine's own stop tracker reads `stationary` once at
 * start (rules read thresholds through the engine's context, at event time).
 */
export const RESTART_ONLY: ReadonlySet<string> = new Set(['enabled', 'stationary']);

const isoTime = z.iso.datetime({ offset: false });

/** One change, as it is kept (on the rule-history topic, in a history file) and audited. */
export const RuleChangeSchema = z
  .object({
    /** 1, 2, 3...: the change's place in the history; the rules at an event time carry the version of the last change in force. */
    version: z.number().int().min(1),
    section: z.enum(RULE_SECTIONS as [RuleSection, ...RuleSection[]]),
    /** Event (measurement) time from which the change applies. */
    effectiveFrom: isoTime,
    /** Wall-clock time the change was made. */
    changedAt: isoTime,
    /** The token that made it. */
    by: z.string().min(1),
    note: z.string().nullable(),
    /** The section's values before the change and after it, in full. */
    from: z.record(z.string(), z.unknown()),
    to: z.record(z.string(), z.unknown()),
  })
  .strict();
export type RuleChange = z.infer<typeof RuleChangeSchema>;

export interface RuleHistory {
  base: Rules;
  changes: readonly RuleChange[];
}

/** What the rule engine asks of a history (src/rules/engine.ts). */
export interface RuleLookup {
  at(eventTime: number): RulesInForce;
}

/** The rules in force at one event time, with the version that made them. */
export interface RulesInForce {
  version: number;
  /** Event time from which this version applies (-Infinity for version 0). */
  from: number;
  rules: Rules;
}

/** The rules in force at `eventTime`: the configuration's, with every change whose effectiveFrom is at or before it applied in version order. */
export function rulesAt(history: RuleHistory, eventTime: number): Rules {
  return versionedAt(history, eventTime).rules;
}

/** rulesAt with the version that made them (0: the configuration's rules). */
export function versionedAt(history: RuleHistory, eventTime: number): RulesInForce {
  let rules = history.base;
  let version = 0;
  let from = -Infinity;
  for (const c of history.changes) {
    const t = Date.parse(c.effectiveFrom);
    if (t > eventTime) break; // effective times never decrease along a history (checkHistory)
    rules = { ...rules, [c.section]: c.to } as Rules;
    version = c.version;
    from = t;
  }
  return { version, from, rules };
}

/** Why a history cannot be used, or null: versions 1, 2, 3... in order, effective times that never go back, each `to` valid. */
export function checkHistory(changes: readonly RuleChange[]): string | null {
  let lastFrom = -Infinity;
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    if (c.version !== i + 1) return `change ${i + 1} has version ${c.version}: versions run 1, 2, 3... without a gap`;
    const t = Date.parse(c.effectiveFrom);
    if (t < lastFrom) return `version ${c.version}: effectiveFrom ${c.effectiveFrom} is before the previous change's`;
    lastFrom = t;
    if (RESTART_ONLY.has(c.section)) return `version ${c.version}: rules.${c.section} cannot change without a restart`;
    const r = RulesSchema.shape[c.section].safeParse(c.to);
    if (!r.success) return `version ${c.version}: rules.${c.section}.${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
  }
  return null;
}

export interface ChangeRequest {
  section: string;
  /** Keys of the section to change; those left out keep their current values. */
  values: Record<string, unknown>;
  effectiveFrom: number;
  by: string;
  at: number;
  note?: string | null;
}

export type ChangeOutcome = { ok: true; change: RuleChange } | { ok: false; status: 400 | 404 | 409; field: string; message: string };

/**
 * Validates a change against the history with the configuration's own
 * schema (the whole `rules`, so checks across keys hold too) and makes the
 * next version. A change may not take effect before the last one does: the
 * history stays one timeline.
 */
export function proposeChange(history: RuleHistory, req: ChangeRequest): ChangeOutcome {
  if (!(RULE_SECTIONS as readonly string[]).includes(req.section) && req.section !== 'enabled')
    return { ok: false, status: 404, field: 'id', message: `no rules section ${JSON.stringify(req.section)} (sections: ${RULE_SECTIONS.join(', ')})` };
  if (RESTART_ONLY.has(req.section))
    return {
      ok: false,
      status: 400,
      field: 'id',
      message: `rules.${req.section} cannot change while sealwatch runs (${req.section === 'enabled' ? 'it decides which rules exist' : 'the engine reads it once at start'}): change the configuration and restart`,
    };
  const section = req.section as RuleSection;
  const last = history.changes[history.changes.length - 1];
  if (last && req.effectiveFrom < Date.parse(last.effectiveFrom))
    return { ok: false, status: 409, field: 'effectiveFrom', message: `effectiveFrom: ${new Date(req.effectiveFrom).toISOString()} is before version ${last.version}'s ${last.effectiveFrom}; changes apply in the order they are made` };
  const current = versionedAt(history, req.effectiveFrom).rules;
  const before = current[section] as Record<string, unknown>;
  const candidate = { ...current, [section]: { ...before, ...req.values } };
  const parsed = RulesSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    const field = path[0] === section ? ['values', ...path.slice(1)].join('.') : `rules.${path.join('.')}`;
    const message = issue.code === 'unrecognized_keys' ? `rules.${section}: unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : `rules.${path.join('.')}: ${issue.message}`;
    return { ok: false, status: 400, field: issue.code === 'unrecognized_keys' ? 'values' : field, message };
  }
  return {
    ok: true,
    change: {
      version: (last?.version ?? 0) + 1,
      section,
      effectiveFrom: new Date(req.effectiveFrom).toISOString(),
      changedAt: new Date(req.at).toISOString(),
      by: req.by,
      note: req.note ?? null,
      from: before,
      to: parsed.data[section] as Record<string, unknown>,
    },
  };
}

/**
 * A history that grows while it is read: the engine asks it for the rules
 * at each container's reasoning time (`at`, cheap: the latest version unless
 * the time is before it), and the API and the rule-history topic append to
 * it. Every version's rules are built once, so the same version is always
 * the same object.
 */
export class RuleTimeline {
  private readonly changes: RuleChange[] = [];
  private readonly versions: RulesInForce[];

  constructor(
    readonly base: Rules,
    changes: readonly RuleChange[] = [],
  ) {
    this.versions = [{ version: 0, from: -Infinity, rules: base }];
    for (const c of changes) {
      const out = this.apply(c);
      if (out !== 'applied') throw new Error(`rule history: version ${c.version} ${out}`);
    }
  }

  /** Version of the latest change (0: none). */
  get version(): number {
    return this.changes.length;
  }

  history(): RuleHistory {
    return { base: this.base, changes: [...this.changes] };
  }

  /**
   * Appends the next change. A version already held is `known` (the same
   * change read again from the topic), unless it differs (`conflict`); one
   * that skips a version, or takes effect before the latest, is refused.
   */
  apply(change: RuleChange): 'applied' | 'known' | 'conflict' | 'out of order' | 'invalid' {
    const held = this.changes[change.version - 1];
    if (held) return JSON.stringify(held) === JSON.stringify(change) ? 'known' : 'conflict';
    if (change.version !== this.changes.length + 1) return 'out of order';
    if (checkHistory([...this.changes, change]) !== null) return 'invalid';
    const prev = this.versions[this.versions.length - 1]!;
    this.changes.push(change);
    this.versions.push({ version: change.version, from: Date.parse(change.effectiveFrom), rules: { ...prev.rules, [change.section]: change.to } as Rules });
    return 'applied';
  }

  /** The rules in force at an event time. */
  at(eventTime: number): RulesInForce {
    const v = this.versions;
    const last = v[v.length - 1]!;
    if (eventTime >= last.from) return last;
    // the last version whose `from` is at or before eventTime (v[0].from is -Infinity)
    let lo = 0;
    let hi = v.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (v[mid]!.from <= eventTime) lo = mid;
      else hi = mid - 1;
    }
    return v[lo]!;
  }
}

/** Reads a history file: GET /api/rules/history's body (`{base?, changes}`) or a bare list of changes. */
export function parseRuleHistory(text: string, source: string): { base: Rules | null; changes: RuleChange[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`);
  }
  const raw = Array.isArray(json) ? { changes: json } : (json as { base?: unknown; changes?: unknown });
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.changes)) throw new Error(`${source}: expected {"changes": [...]} or a list of changes`);
  const changes = raw.changes.map((c, i) => {
    const r = RuleChangeSchema.safeParse(c);
    if (!r.success) throw new Error(`${source}: changes.${i}.${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`);
    return r.data;
  });
  const problem = checkHistory(changes);
  if (problem) throw new Error(`${source}: ${problem}`);
  let base: Rules | null = null;
  if (raw.base !== undefined) {
    const b = RulesSchema.safeParse(raw.base);
    if (!b.success) throw new Error(`${source}: base.${b.error.issues[0]!.path.join('.')}: ${b.error.issues[0]!.message}`);
    base = b.data;
  }
  return { base, changes };
}
