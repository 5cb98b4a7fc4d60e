import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { readUpTo, type Bus, type Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { RuleChangeSchema, type RuleChange, type RuleTimeline } from '../config/rule-history.js';

/** The key of a change on the rule-history topic: its version, zero-padded so keys sort as versions do. */
export function ruleChangeKey(version: number): string {
  return `v${String(version).padStart(10, '0')}`;
}

/** A change onto the compacted `sealwatch.rule-history.v1` (resolves once the bus has it). */
export async function publishRuleChange(bus: Bus, change: RuleChange): Promise<void> {
  await bus.produce(TOPICS.ruleHistory, [{ key: ruleChangeKey(change.version), value: JSON.stringify(change) }]);
}

/**
 * Keeps a timeline in step with the rule-history topic: every change retained
 * is applied before this resolves (so recovery and the first readings use
 * them), then new ones as they arrive. Each process reads the whole topic
 * (a private group). Applying is idempotent, so a process whose API appends
 * to the same timeline reads its own changes back harmlessly.
 */
export async function followRuleHistory(bus: Bus, timeline: RuleTimeline, log?: Logger): Promise<Subscription> {
  await bus.ensureTopics([{ topic: TOPICS.ruleHistory, partitions: 1, compacted: true }]);
  const apply = (value: Buffer, offset: string) => {
    let change: RuleChange;
    try {
      change = RuleChangeSchema.parse(JSON.parse(value.toString('utf8')));
    } catch (err) {
      log?.error({ offset, err: (err as Error).message }, 'rules.invalid_rule_change_on_topic');
      return;
    }
    const out = timeline.apply(change);
    if (out === 'applied') log?.info({ version: change.version, section: change.section, effectiveFrom: change.effectiveFrom, by: change.by }, 'rules.rule_change_applied');
    else if (out !== 'known') log?.error({ version: change.version, section: change.section, outcome: out }, 'rules.rule_change_refused');
  };
  // sorted by key: versions in order, whatever order compaction left them in
  const ends = await bus.endOffsets(TOPICS.ruleHistory);
  const retained = (await readUpTo(bus, TOPICS.ruleHistory, ends)).sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
  for (const m of retained) apply(m.value, m.offset);
  const sub = await bus.subscribe({
    groupId: `sealwatch-rule-history-${randomUUID()}`,
    topics: [TOPICS.ruleHistory],
    fromNow: true,
    // from exactly where the read above stopped: a change published in between is not missed
    fromNowOffsets: ends,
    handler: async (batch) => {
      for (const m of batch) apply(m.value, m.offset);
    },
  });
  log?.info({ version: timeline.version }, 'rules.rule_history_loaded');
  return sub;
}
