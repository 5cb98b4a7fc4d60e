import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { alertId } from '../../src/model/alert.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { buildNormaliser } from '../../src/normalise/normaliser.js';
import { DirectProcessor } from '../../src/pipeline/processor.js';
import { plan, testConfig } from '../helpers/fixtures.js';

const config = testConfig();
const RECEIVED = Date.parse('2026-01-07T10:06:00Z');
const window = { bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs };
// acme-00042 <-> MSCU1234566 on T-2026-000123; acme-00077 <-> TGHU7654320 on T-B
const plans = () => [plan(), plan({ tripId: 'T-B', deviceId: 'acme-00077', containerId: 'TGHU7654320' })];
const door = (msgId: string, containerId: string, ts = '2026-01-07T10:00:00Z') => Buffer.from(JSON.stringify({ msgId, containerId, ts, state: 'open' }));

describe('device-container-mismatch (normaliser)', () => {
  const n = () => buildNormaliser(config, new TripDirectory(window, plans()));

  it('a bound device claiming another planned container: dead-lettered, naming both plans', () => {
    const r = n().normalise('ssd/json/acme-00042/door', door('m1', 'TGHU7654320'), RECEIVED);
    expect(r.readings).toEqual([]);
    expect(r.deadLetters).toHaveLength(1);
    const d = r.deadLetters[0]!;
    expect(d.reason).toBe('device-container-mismatch');
    expect(d.detail).toBe('Possible spoofed or swapped device: device acme-00042 reports for container TGHU7654320, but trip T-2026-000123 binds it to container MSCU1234566, and trip T-B binds TGHU7654320 to device acme-00077');
    expect(d.mismatch).toEqual({
      eventId: 'json-v1:acme-00042:m1',
      deviceId: 'acme-00042',
      claimedContainerId: 'TGHU7654320',
      measuredAt: '2026-01-07T10:00:00.000Z',
      location: null,
      devicePlan: { tripId: 'T-2026-000123', containerId: 'MSCU1234566' },
      containerPlan: { tripId: 'T-B', deviceId: 'acme-00077' },
    });
  });

  it('a bound device claiming an unplanned container is a mismatch too', () => {
    const r = n().normalise('ssd/json/acme-00042/door', door('m2', 'CSQU3054383'), RECEIVED);
    expect(r.deadLetters.map((d) => [d.reason, d.mismatch?.containerPlan])).toEqual([['device-container-mismatch', null]]);
  });

  it('an unbound device claiming a planned container: dead-lettered, naming the device the plan binds', () => {
    const r = n().normalise('ssd/json/rogue-1/gps', Buffer.from(JSON.stringify({ msgId: 'g', containerId: 'MSCU1234566', ts: '2026-01-07T10:00:00Z', lat: 36, lon: -9.8 })), RECEIVED);
    expect(r.deadLetters[0]!.detail).toBe('Possible spoofed or swapped device: device rogue-1 reports for container MSCU1234566, but no active trip plan binds this device, while trip T-2026-000123 binds MSCU1234566 to device acme-00042');
    expect(r.deadLetters[0]!.mismatch).toMatchObject({ location: { lat: 36, lon: -9.8 }, devicePlan: null, containerPlan: { tripId: 'T-2026-000123', deviceId: 'acme-00042' } });
  });

  it('the planned pair, and an unplanned device with an unplanned container, pass', () => {
    const x = n();
    expect(x.normalise('ssd/json/acme-00042/door', door('ok', 'MSCU1234566'), RECEIVED).readings).toHaveLength(1);
    expect(x.normalise('ssd/json/dev-9/door', door('ok', 'CSQU3054383'), RECEIVED).readings[0]).toMatchObject({ tripId: null });
  });

  it("outside the plans' windows nothing is bound, so nothing is mismatched", () => {
    const r = n().normalise('ssd/json/rogue-1/door', door('late', 'MSCU1234566', '2026-03-01T00:00:00Z'), Date.parse('2026-03-01T00:01:00Z'));
    expect(r.readings).toHaveLength(1);
  });

  it('a device reused while its previous trip is in its grace period is bound to both boxes', () => {
    const trips = new TripDirectory(window, [plan(), plan({ tripId: 'T-NEXT', containerId: 'TGHU7654320', departure: '2026-01-25T00:00:00Z', eta: '2026-02-10T00:00:00Z' })]);
    const x = buildNormaliser(config, trips);
    const at = Date.parse('2026-01-25T06:00:00Z');
    expect(x.normalise('ssd/json/acme-00042/door', door('a', 'MSCU1234566', '2026-01-25T06:00:00Z'), at).deadLetters).toEqual([]);
    expect(x.normalise('ssd/json/acme-00042/door', door('b', 'TGHU7654320', '2026-01-25T06:00:00Z'), at).deadLetters).toEqual([]);
  });

  it('in a gateway batch, only the mismatched event is dead-lettered', () => {
    const ev = (eventId: string, deviceId: string, equipmentReference: string) => ({ eventId, deviceId, equipmentReference, eventDateTime: '2026-01-07T10:00:00Z', eventType: 'DOOR_OPENED' });
    const batch = { gatewayId: 'VSL-1', sentAt: '2026-01-07T10:05:00Z', events: [ev('e1', 'acme-00042', 'MSCU1234566'), ev('e2', 'acme-00077', 'MSCU1234566'), ev('e3', 'acme-00077', 'TGHU7654320')] };
    const r = n().normalise('ssd/batch/VSL-1', Buffer.from(JSON.stringify(batch)), RECEIVED);
    expect(r.readings.map((x) => x.eventId)).toEqual(['batch-v1:acme-00042:e1', 'batch-v1:acme-00077:e3']);
    expect(r.deadLetters.map((d) => d.reason)).toEqual(['device-container-mismatch']);
    expect(JSON.parse(r.deadLetters[0]!.payload!)).toMatchObject({ eventId: 'e2' });
  });
});

describe('DEVICE_CONTAINER_MISMATCH alerts (replay path)', () => {
  const proc = (c: Config = config) => new DirectProcessor(c, new TripDirectory(window, plans()), defaultPorts());

  it('one high alert per (claimed container, trip, device) incident, not one per reading, with a deterministic id', () => {
    const p = proc();
    const first = p.message('ssd/json/acme-00042/door', door('m1', 'TGHU7654320'), RECEIVED);
    const again = p.message('ssd/json/acme-00042/door', door('m2', 'TGHU7654320', '2026-01-07T10:01:00Z'), RECEIVED + 60_000);
    const other = p.message('ssd/json/rogue-1/door', door('r1', 'MSCU1234566'), RECEIVED + 120_000);
    expect(first.deadLetters.map((d) => d.reason)).toEqual(['device-container-mismatch']);
    expect(again.deadLetters.map((d) => d.reason)).toEqual(['device-container-mismatch']);
    expect(again.alerts).toEqual([]);
    expect(first.alerts).toEqual([
      {
        alertId: alertId('DEVICE_CONTAINER_MISMATCH', 'TGHU7654320', 'T-2026-000123', 'acme-00042'),
        rule: 'DEVICE_CONTAINER_MISMATCH',
        severity: 'high',
        containerId: 'TGHU7654320',
        tripId: 'T-2026-000123',
        deviceId: 'acme-00042',
        startedAt: '2026-01-07T10:00:00.000Z',
        detectedAt: '2026-01-07T10:00:00.000Z',
        location: null,
        summary: first.deadLetters[0]!.detail,
        evidence: ['json-v1:acme-00042:m1'],
        details: { claimedContainerId: 'TGHU7654320', deviceTripId: 'T-2026-000123', deviceBoundContainerId: 'MSCU1234566', containerTripId: 'T-B', containerBoundDeviceId: 'acme-00077' },
      },
    ]);
    expect(other.alerts.map((a) => [a.rule, a.containerId, a.tripId, a.deviceId])).toEqual([['DEVICE_CONTAINER_MISMATCH', 'MSCU1234566', 'T-2026-000123', 'rogue-1']]);
    expect(p.counts.alerts).toEqual({ DEVICE_CONTAINER_MISMATCH: 2 });
    expect(p.counts.deadLetters).toEqual({ 'device-container-mismatch': 3 });
    // the same input gives the same ids in a new process
    expect(proc().message('ssd/json/acme-00042/door', door('m1', 'TGHU7654320'), RECEIVED).alerts[0]!.alertId).toBe(first.alerts[0]!.alertId);
  });

  it('rules.enabled without the rule: still dead-lettered, no alert', () => {
    const p = proc(loadConfig({ env: {}, overrides: { rules: { enabled: ['DOOR_OPEN_IN_TRANSIT'] } } }));
    const out = p.message('ssd/json/acme-00042/door', door('m1', 'TGHU7654320'), RECEIVED);
    expect(out.deadLetters.map((d) => d.reason)).toEqual(['device-container-mismatch']);
    expect(out.alerts).toEqual([]);
  });
});
