import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import { score, type Label } from '../../src/evaluate/score.js';

const label = (containerId: string, rule: string, from: string, to: string): Label => ({ containerId, tripId: 'T', rule, from, to });
const alert = (id: string, containerId: string, rule: Alert['rule'], startedAt: string, detectedAt: string): Alert => ({
  alertId: id,
  rule,
  severity: 'high',
  containerId,
  tripId: 'T',
  deviceId: 'd',
  startedAt,
  detectedAt,
  location: null,
  summary: 's',
  evidence: [],
});

describe('evaluate (WIRE section 5)', () => {
  it('matches by container and startedAt within [from - 10 min, to + 10 min]', () => {
    const labels = [
      label('A', 'DOOR_OPEN_IN_TRANSIT', '2026-01-12T03:14:00Z', '2026-01-12T03:20:00Z'),
      label('B', 'LIGHT_WITH_DOOR_CLOSED', '2026-01-12T05:00:00Z', '2026-01-12T05:30:00Z'),
      label('C', 'LOCATION_JUMP', '2026-01-12T06:00:00Z', '2026-01-12T06:30:00Z'),
    ];
    const alerts = [
      alert('1', 'A', 'DOOR_OPEN_IN_TRANSIT', '2026-01-12T03:14:00Z', '2026-01-12T03:16:00Z'),
      alert('2', 'B', 'DOOR_OPEN_IN_TRANSIT', '2026-01-12T05:39:00Z', '2026-01-12T05:40:00Z'), // other rule, within slack
      alert('3', 'C', 'LOCATION_JUMP', '2026-01-12T06:41:00Z', '2026-01-12T06:41:00Z'), // 11 min after `to`: misses
      alert('4', 'A', 'LOCATION_JUMP', '2026-01-13T00:00:00Z', '2026-01-13T00:00:00Z'), // false positive
    ];
    const s = score(labels, alerts);
    expect(s.labels).toBe(3);
    expect(s.detected).toBe(2);
    expect(s.recall).toBe(0.667);
    expect(s.precision).toBe(0.5);
    expect(s.expectedRuleShare).toBe(0.333);
    expect(s.perRule.DOOR_OPEN_IN_TRANSIT).toMatchObject({ labels: 1, detected: 1, recall: 1, alerts: 2, truePositives: 2, precision: 1, medianMinutesToDetect: 2 });
    expect(s.perRule.LIGHT_WITH_DOOR_CLOSED).toMatchObject({ recall: 1, expectedRuleShare: 0, medianMinutesToDetect: 40 });
    expect(s.perRule.LOCATION_JUMP).toMatchObject({ labels: 1, detected: 0, recall: 0, alerts: 2, truePositives: 0, precision: 0 });
  });
  it('no labels and no alerts give nulls, not NaN', () => {
    expect(score([], [])).toMatchObject({ recall: null, precision: null, medianMinutesToDetect: null });
  });
});
