import { swError } from '../errors.js';
import { INGEST_RULE_IDS, RULE_IDS } from '../model/alert.js';
import { doorOpenInTransit } from './door-open-in-transit.js';
import { doorOpenUnauthorisedLocation } from './door-open-unauthorised-location.js';
import { lightWithDoorClosed } from './light-with-door-closed.js';
import { locationJump } from './location-jump.js';
import type { Rule } from './rule.js';
import { temperatureExcursion } from './temperature-excursion.js';
import { temperatureAnomaly } from './temperature-anomaly.js';
import { locationGap } from './location-gap.js';
import { routeDeviation } from './route-deviation.js';
import { unscheduledStop } from './unscheduled-stop.js';
import { ripOnRipOff } from './rip-on-rip-off.js';

/** Every rule, in evaluation order. */
export const ALL_RULES: readonly Rule[] = [doorOpenInTransit, doorOpenUnauthorisedLocation, lightWithDoorClosed, temperatureExcursion, temperatureAnomaly, locationGap, locationJump, routeDeviation, unscheduledStop, ripOnRipOff] as Rule[];

export function selectRules(enabled: readonly string[] | null): Rule[] {
  if (enabled === null) return [...ALL_RULES];
  for (const id of enabled) {
    if ((INGEST_RULE_IDS as readonly string[]).includes(id)) continue; // raised at ingest (src/ingest/device-container-mismatch.ts)
    if (!ALL_RULES.some((r) => r.id === id)) {
      const known = (RULE_IDS as readonly string[]).includes(id) ? 'not available in this version' : 'unknown';
      throw swError('SW_ERR_CONFIG_INVALID', `rules.enabled = ${JSON.stringify(enabled)}: rule ${id} is ${known}; expected some of ${ALL_RULES.map((r) => r.id).join(', ')}`);
    }
  }
  return ALL_RULES.filter((r) => enabled.includes(r.id));
}
