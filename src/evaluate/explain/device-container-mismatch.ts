import { inWindow, result, when, type Probe } from './probe.js';

/**
 * DEVICE_CONTAINER_MISMATCH is raised at ingest, from readings the normaliser
 * dead-letters because no active plan binds their device to the container
 * they claim: 1 when such a reading claims this container in the window.
 */
export const deviceContainerMismatchProbe: Probe = {
  rule: 'DEVICE_CONTAINER_MISMATCH',
  run(input) {
    const hits = input.trace.mismatches.filter((m) => inWindow(Date.parse(m.measuredAt), input));
    if (hits.length === 0) return result(this.rule, 0, 'no reading from another device claiming this container in the window');
    const first = hits[0]!;
    return result(this.rule, 1, `${hits.length} reading(s) from device ${first.deviceId} claiming this container, first at ${when(Date.parse(first.measuredAt))}`, Date.parse(first.measuredAt));
  },
};
