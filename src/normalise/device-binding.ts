import type { Reading } from '../model/reading.js';
import type { DeviceContainerMismatch } from './dead-letter.js';
import type { TripDirectory } from '../trips/directory.js';
import type { TripPlan } from '../trips/schema.js';

/**
 * The trip directory's answers for one device, kept on the device's duplicate
 * window (dedup.ts) so that one Map lookup per reading serves the duplicate
 * check and the plan lookups: the plan binding the device (csv-v1), and for
 * the container it last claimed, the plan binding the container and whether a
 * plan binds the pair (json-v1, batch-v1). Each answer holds over a span of
 * measurement times at one directory version (TripDirectory.spanFrom/Until).
 */
export class BindingMemo {
  deviceVersion = -1;
  deviceFrom = 0;
  deviceUntil = 0;
  devicePlan: TripPlan | null = null;
  pairVersion = -1;
  pairContainer = '';
  pairFrom = 0;
  pairUntil = 0;
  containerPlan: TripPlan | null = null;
  pairBound = false;
}

/** Where a decoder finds a device's memo (the normaliser's duplicate windows); none for a device not heard yet. */
export interface BindingMemos {
  memoOf(deviceId: string): BindingMemo | undefined;
}

/** `trips.forDevice(deviceId, ts)`, memoised on the device's window when there is one. */
export function planForDevice(trips: TripDirectory, memos: BindingMemos | undefined, deviceId: string, ts: number): TripPlan | null {
  const m = memos?.memoOf(deviceId);
  if (m === undefined || !Number.isInteger(ts)) return trips.forDevice(deviceId, ts);
  if (m.deviceVersion !== trips.version || ts < m.deviceFrom || ts >= m.deviceUntil) {
    m.devicePlan = trips.forDeviceSpanned(deviceId, ts);
    m.deviceFrom = trips.spanFrom;
    m.deviceUntil = trips.spanUntil;
    m.deviceVersion = trips.version;
  }
  return m.devicePlan;
}

/** The pair's memo, filled for (containerId, ts); undefined when there is none to use. */
function pairMemo(trips: TripDirectory, memos: BindingMemos | undefined, deviceId: string, containerId: string, ts: number): BindingMemo | undefined {
  const m = memos?.memoOf(deviceId);
  if (m === undefined || !Number.isInteger(ts)) return undefined;
  if (m.pairVersion !== trips.version || ts < m.pairFrom || ts >= m.pairUntil || m.pairContainer !== containerId) {
    m.containerPlan = trips.forContainerSpanned(containerId, ts);
    m.pairBound = trips.bindingNarrowed(deviceId, containerId, ts) !== null;
    m.pairFrom = trips.spanFrom;
    m.pairUntil = trips.spanUntil;
    m.pairContainer = containerId;
    m.pairVersion = trips.version;
  }
  return m;
}

/** `trips.forContainer(containerId, ts)` for a reading of `deviceId`, memoised on the device's window. */
export function planForContainer(trips: TripDirectory, memos: BindingMemos | undefined, deviceId: string, containerId: string, ts: number): TripPlan | null {
  const m = pairMemo(trips, memos, deviceId, containerId, ts);
  return m === undefined ? trips.forContainer(containerId, ts) : m.containerPlan;
}

/**
 * Whether a plan binds the pair at `ts`, from the device's memo: false when
 * it does not or there is no memo to ask (then `findMismatch` answers; it
 * finds no mismatch for a bound pair either way).
 */
export function pairBoundMemo(trips: TripDirectory, memos: BindingMemos | undefined, deviceId: string, containerId: string, ts: number): boolean {
  const m = pairMemo(trips, memos, deviceId, containerId, ts);
  return m?.pairBound === true;
}

/**
 * Does the reading's (device, container) pair contradict the active trip
 * plans? json-v1 and batch-v1 readings name both; csv-v1 takes its container
 * from the device's plan and cannot contradict it. At the measurement time:
 *
 * - a plan binds this device to this container: consistent;
 * - else a plan binds the device to another container: mismatch (the device
 *   reports for a box it is not on: swapped, cloned or spoofed);
 * - else a plan binds the claimed container to another device, and this
 *   device is bound by none: mismatch (an unknown device speaks for a box
 *   that has its own device);
 * - else neither is planned: consistent (telemetry only, as for any
 *   unplanned container).
 */
export function findMismatch(r: Reading, trips: TripDirectory): DeviceContainerMismatch | null {
  if (r.format === 'csv-v1') return null;
  if (trips.binding(r.deviceId, r.containerId, r.ts)) return null;
  const devicePlan = trips.forDevice(r.deviceId, r.ts);
  const containerPlan = trips.forContainer(r.containerId, r.ts);
  if (!devicePlan && !containerPlan) return null;
  return {
    eventId: r.eventId,
    deviceId: r.deviceId,
    claimedContainerId: r.containerId,
    measuredAt: new Date(r.ts).toISOString(),
    location: r.kind === 'location' ? { lat: r.lat, lon: r.lon } : null,
    devicePlan: devicePlan ? { tripId: devicePlan.tripId, containerId: devicePlan.containerId } : null,
    containerPlan: containerPlan && containerPlan.deviceId !== r.deviceId ? { tripId: containerPlan.tripId, deviceId: containerPlan.deviceId } : null,
  };
}

/** One sentence for the dead letter's detail and the alert's summary. */
export function describeMismatch(m: DeviceContainerMismatch): string {
  const parts = [`Possible spoofed or swapped device: device ${m.deviceId} reports for container ${m.claimedContainerId}`];
  if (m.devicePlan) parts.push(`but trip ${m.devicePlan.tripId} binds it to container ${m.devicePlan.containerId}`);
  else parts.push('but no active trip plan binds this device');
  if (m.containerPlan) parts.push(`${m.devicePlan ? 'and' : 'while'} trip ${m.containerPlan.tripId} binds ${m.claimedContainerId} to device ${m.containerPlan.deviceId}`);
  return parts.join(', ');
}
