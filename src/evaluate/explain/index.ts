import type { Probe, ProbeInput, ProbeResult } from './probe.js';
import { deviceContainerMismatchProbe } from './device-container-mismatch.js';
import { doorOpenInTransitProbe } from './door-open-in-transit.js';
import { doorOpenUnauthorisedLocationProbe } from './door-open-unauthorised-location.js';
import { lightWithDoorClosedProbe } from './light-with-door-closed.js';
import { locationGapProbe } from './location-gap.js';
import { locationJumpProbe } from './location-jump.js';
import { ripOnRipOffProbe } from './rip-on-rip-off.js';
import { routeDeviationProbe } from './route-deviation.js';
import { temperatureAnomalyProbe } from './temperature-anomaly.js';
import { temperatureExcursionProbe } from './temperature-excursion.js';
import { unscheduledStopProbe } from './unscheduled-stop.js';

/** One probe per rule (src/rules/ has the rules they mirror). */
export const ALL_PROBES: readonly Probe[] = [
  doorOpenInTransitProbe,
  doorOpenUnauthorisedLocationProbe,
  lightWithDoorClosedProbe,
  temperatureExcursionProbe,
  temperatureAnomalyProbe,
  locationGapProbe,
  locationJumpProbe,
  routeDeviationProbe,
  unscheduledStopProbe,
  ripOnRipOffProbe,
  deviceContainerMismatchProbe,
];

export function probeFor(rule: string): Probe | undefined {
  return ALL_PROBES.find((p) => p.rule === rule);
}

/** Every probe, closest first (score descending; not applicable last; ties in rule order). */
export function runProbes(input: ProbeInput, probes: readonly Probe[] = ALL_PROBES): ProbeResult[] {
  const out = probes.map((p) => p.run(input));
  return out
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (b.r.score ?? -1) - (a.r.score ?? -1) || a.i - b.i)
    .map((x) => x.r);
}
