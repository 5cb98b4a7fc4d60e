import { alertId, type Alert } from '../model/alert.js';
import type { DeadLetter, DeviceContainerMismatch } from '../normalise/dead-letter.js';
import { describeMismatch } from '../normalise/device-binding.js';

export const DEVICE_CONTAINER_MISMATCH = 'DEVICE_CONTAINER_MISMATCH' as const;

/**
 * DEVICE_CONTAINER_MISMATCH is raised at ingest, not by the engine: the
 * normaliser dead-letters a reading whose device and container no active plan
 * binds together (src/normalise/device-binding.ts) and this turns it into an
 * alert. One alert per (claimed container, trip, device): its id is
 * sha256(rule, claimed container, trip, device), the trip being the plan the
 * reading contradicts (the device's own, else the claimed container's).
 */
export function mismatchAlert(m: DeviceContainerMismatch): Alert {
  const tripId = m.devicePlan?.tripId ?? m.containerPlan?.tripId ?? null;
  return {
    alertId: alertId(DEVICE_CONTAINER_MISMATCH, m.claimedContainerId, tripId, m.deviceId),
    rule: DEVICE_CONTAINER_MISMATCH,
    severity: 'high',
    containerId: m.claimedContainerId,
    tripId,
    deviceId: m.deviceId,
    startedAt: m.measuredAt,
    detectedAt: m.measuredAt,
    location: m.location,
    summary: describeMismatch(m),
    evidence: [m.eventId],
    details: {
      claimedContainerId: m.claimedContainerId,
      deviceTripId: m.devicePlan?.tripId ?? null,
      deviceBoundContainerId: m.devicePlan?.containerId ?? null,
      containerTripId: m.containerPlan?.tripId ?? null,
      containerBoundDeviceId: m.containerPlan?.deviceId ?? null,
    },
  };
}

/**
 * Alerts from mismatch dead letters, each incident once: later readings of the
 * same incident are dead-lettered but raise nothing new. The memory of raised
 * ids is bounded (oldest forgotten first); a forgotten incident raised again
 * has the same id, which consumers deduplicate.
 */
export class MismatchAlerts {
  private readonly raised = new Set<string>();

  constructor(
    private readonly enabled = true,
    private readonly maxRemembered = 100_000,
  ) {}

  take(deadLetters: readonly DeadLetter[]): Alert[] {
    if (!this.enabled) return [];
    let out: Alert[] | null = null;
    for (const d of deadLetters) {
      if (!d.mismatch) continue;
      const a = mismatchAlert(d.mismatch);
      if (this.raised.has(a.alertId)) continue;
      this.raised.add(a.alertId);
      if (this.raised.size > this.maxRemembered) this.raised.delete(this.raised.values().next().value!);
      (out ??= []).push(a);
    }
    return out ?? [];
  }

  /** The sink did not take them: raise them again next time. */
  forget(alerts: readonly Alert[]): void {
    for (const a of alerts) this.raised.delete(a.alertId);
  }
}

/** Whether `rules.enabled` (null: all) lets this rule raise alerts. */
export function mismatchEnabled(enabled: readonly string[] | null): boolean {
  return enabled === null || enabled.includes(DEVICE_CONTAINER_MISMATCH);
}
