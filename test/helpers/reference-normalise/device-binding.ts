import type { Reading } from '../../../src/model/reading.js';
import type { DeviceContainerMismatch } from '../../../src/normalise/dead-letter.js';
import type { TripDirectory } from '../../../src/trips/directory.js';

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
