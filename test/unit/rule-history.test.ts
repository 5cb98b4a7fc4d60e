import { describe, expect, it } from 'vitest';
import { checkHistory, parseRuleHistory, proposeChange, RuleTimeline, rulesAt, versionedAt, type RuleChange, type RuleHistory } from '../../src/config/rule-history.js';
import { testConfig } from '../helpers/fixtures.js';

const base = testConfig().rules;
const T = Date.parse('2026-01-12T00:00:00Z');
const H = 3_600_000;

function change(history: RuleHistory, section: string, values: Record<string, unknown>, effectiveFrom: number): RuleChange {
  const out = proposeChange(history, { section, values, effectiveFrom, by: 'admin', at: Date.parse('2026-12-01T00:00:00Z'), note: null });
  if (!out.ok) throw new Error(out.message);
  return out.change;
}

describe('rule history: thresholds by event time', () => {
  it('rulesAt applies each change from its effective time on, in version order', () => {
    const h0: RuleHistory = { base, changes: [] };
    const c1 = change(h0, 'doorOpen', { movingSpeedKn: 5 }, T);
    const h1: RuleHistory = { base, changes: [c1] };
    const c2 = change(h1, 'doorOpen', { fixMaxAgeMs: 3_600_000 }, T + 2 * H);
    const c3 = change({ base, changes: [c1, c2] }, 'lightWithDoorClosed', { luxThreshold: 50 }, T + 2 * H);
    const h: RuleHistory = { base, changes: [c1, c2, c3] };
    expect(rulesAt(h, T - 1)).toBe(base);
    expect(versionedAt(h, T - 1).version).toBe(0);
    expect(rulesAt(h, T).doorOpen).toEqual({ ...base.doorOpen, movingSpeedKn: 5 });
    expect(versionedAt(h, T + H).version).toBe(1);
    // a change keeps what the one before it set
    expect(rulesAt(h, T + 2 * H).doorOpen).toEqual({ ...base.doorOpen, movingSpeedKn: 5, fixMaxAgeMs: 3_600_000 });
    expect(rulesAt(h, T + 2 * H).lightWithDoorClosed.luxThreshold).toBe(50);
    expect(versionedAt(h, T + 2 * H).version).toBe(3);
    // untouched sections stay the configuration's own objects
    expect(rulesAt(h, T + 3 * H).unscheduledStop).toBe(base.unscheduledStop);
    // the audit record: who, when, old -> new
    expect(c1).toMatchObject({ version: 1, section: 'doorOpen', by: 'admin', changedAt: '2026-12-01T00:00:00.000Z', effectiveFrom: '2026-01-12T00:00:00.000Z', from: base.doorOpen, to: { ...base.doorOpen, movingSpeedKn: 5 } });
    expect(c2.from).toEqual(c1.to);
  });

  it('the timeline answers as rulesAt does, at any event time, and grows while it is read', () => {
    const t = new RuleTimeline(base);
    const h0 = t.history();
    const c1 = change(h0, 'doorOpen', { movingSpeedKn: 4 }, T);
    expect(t.apply(c1)).toBe('applied');
    const c2 = change(t.history(), 'routeDeviation', { maxDistanceKm: 150 }, T + H);
    expect(t.apply(c2)).toBe('applied');
    const c3 = change(t.history(), 'doorOpen', { movingSpeedKn: 6 }, T + H);
    expect(t.apply(c3)).toBe('applied');
    for (const at of [T - H, T - 1, T, T + 1, T + H - 1, T + H, T + 5 * H]) {
      expect(t.at(at).rules).toEqual(rulesAt(t.history(), at));
      expect(t.at(at).version).toBe(versionedAt(t.history(), at).version);
    }
    // the same version is the same object, so a rule may key a cache on it
    expect(t.at(T + 10 * H).rules).toBe(t.at(T + 20 * H).rules);
    // read back from the topic: idempotent; a different change under a held version is a conflict
    expect(t.apply(c2)).toBe('known');
    expect(t.apply({ ...c2, note: 'edited' })).toBe('conflict');
    expect(t.apply({ ...c2, version: 9 })).toBe('out of order');
  });

  it('validates with the configuration schema and names the field', () => {
    const h: RuleHistory = { base, changes: [] };
    const at = { effectiveFrom: T, by: 'a', at: T };
    expect(proposeChange(h, { section: 'doorOpen', values: { movingSpeedKn: 99 }, ...at })).toMatchObject({ ok: false, status: 400, field: 'values.movingSpeedKn', message: expect.stringMatching(/^rules\.doorOpen\.movingSpeedKn: .*30/) });
    expect(proposeChange(h, { section: 'doorOpen', values: { movingSpeedKnots: 4 }, ...at })).toMatchObject({ ok: false, status: 400, field: 'values', message: expect.stringContaining('movingSpeedKnots') });
    expect(proposeChange(h, { section: 'doorOpen', values: { movingSpeedKn: 'fast' }, ...at })).toMatchObject({ ok: false, field: 'values.movingSpeedKn' });
    expect(proposeChange(h, { section: 'nope', values: {}, ...at })).toMatchObject({ ok: false, status: 404 });
    // checks across keys hold too
    expect(proposeChange(h, { section: 'stationary', values: { maxSpeedKn: 2 }, ...at })).toMatchObject({ ok: false, status: 400, message: expect.stringContaining('restart') });
    expect(proposeChange(h, { section: 'enabled', values: {}, ...at })).toMatchObject({ ok: false, status: 400, message: expect.stringContaining('restart') });
    const c1 = change(h, 'doorOpen', { movingSpeedKn: 4 }, T + H);
    expect(proposeChange({ base, changes: [c1] }, { section: 'doorOpen', values: { movingSpeedKn: 5 }, ...at })).toMatchObject({ ok: false, status: 409, field: 'effectiveFrom' });
  });

  it('reads a history file and refuses a broken one, saying where', () => {
    const c1 = change({ base, changes: [] }, 'doorOpen', { movingSpeedKn: 4 }, T);
    expect(parseRuleHistory(JSON.stringify({ base, changes: [c1] }), 'h.json')).toEqual({ base, changes: [c1] });
    expect(parseRuleHistory(JSON.stringify([c1]), 'h.json')).toEqual({ base: null, changes: [c1] });
    expect(() => parseRuleHistory('{', 'h.json')).toThrow(/h\.json: not JSON/);
    expect(() => parseRuleHistory(JSON.stringify([{ ...c1, version: 2 }]), 'h.json')).toThrow(/without a gap/);
    expect(() => parseRuleHistory(JSON.stringify([{ ...c1, to: { ...c1.to, movingSpeedKn: -1 } }]), 'h.json')).toThrow(/rules\.doorOpen\.movingSpeedKn/);
    expect(() => parseRuleHistory(JSON.stringify([{ ...c1, section: 'teleport' }]), 'h.json')).toThrow(/changes\.0\.section/);
    expect(checkHistory([c1, { ...c1, version: 2, effectiveFrom: new Date(T - 1).toISOString() }])).toMatch(/before the previous/);
  });
});
