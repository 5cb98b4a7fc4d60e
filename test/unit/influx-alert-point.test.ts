import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import { alertId } from '../../src/model/alert.js';
import { alertPoint } from '../../src/sinks/influx.js';

const alert = (incidentKey: string): Alert =>
  ({
    alertId: alertId('TEMPERATURE_ANOMALY', 'MWCU5067445', 'T-2026-031287', incidentKey),
    rule: 'TEMPERATURE_ANOMALY',
    severity: 'medium',
    containerId: 'MWCU5067445',
    tripId: 'T-2026-031287',
    startedAt: '2026-07-19T14:42:53.596Z',
    detectedAt: '2026-07-19T15:02:10.000Z',
    summary: 'Temperature unlike its own history',
    location: null,
  }) as unknown as Alert;

const line = (a: Alert) => alertPoint(a).toLineProtocol() ?? '';
/** Measurement, tags and time: what InfluxDB keys a point by. */
const key = (l: string) => `${l.split(' ')[0]} ${l.split(' ').at(-1)}`;

describe('alert points in InfluxDB', () => {
  it('two alerts of one rule, container and trip starting at the same time are two points', () => {
    const [a, b] = [alert('first'), alert('second')];
    expect(a.alertId).not.toBe(b.alertId);
    expect(key(line(a))).not.toBe(key(line(b)));
    expect(line(a)).toContain(`incident=${a.alertId}`);
  });

  it('the same alert written twice is the same point', () => {
    expect(line(alert('first'))).toBe(line(alert('first')));
  });
});
