import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ISO_TIME } from './reading.js';

export const RULE_IDS = [
  'DOOR_OPEN_UNAUTHORISED_LOCATION',
  'DOOR_OPEN_IN_TRANSIT',
  'LIGHT_WITH_DOOR_CLOSED',
  'TEMPERATURE_EXCURSION',
  'TEMPERATURE_ANOMALY',
  'LOCATION_GAP',
  'LOCATION_JUMP',
  'ROUTE_DEVIATION',
  'UNSCHEDULED_STOP',
  'RIP_ON_RIP_OFF',
  'DEVICE_CONTAINER_MISMATCH',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** Rules raised at ingest from what the normaliser finds, not by the rule engine. */
export const INGEST_RULE_IDS: readonly RuleId[] = ['DEVICE_CONTAINER_MISMATCH'];

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const isoTime = z.string().regex(ISO_TIME);

export const AlertSchema = z.object({
  alertId: z.string().min(1),
  rule: z.enum(RULE_IDS),
  severity: z.enum(SEVERITIES),
  containerId: z.string(),
  tripId: z.string().nullable(),
  deviceId: z.string(),
  startedAt: isoTime,
  detectedAt: isoTime,
  location: z.object({ lat: z.number(), lon: z.number() }).nullable(),
  summary: z.string(),
  evidence: z.array(z.string()),
  /** The figures behind the summary, machine-readable (beyond WIRE: allowed). */
  details: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).optional(),
});
export type Alert = z.infer<typeof AlertSchema>;

/**
 * The same incident in the same data always gets the same id: it is derived
 * from the rule, the container, the trip and the rule's own incident key
 * (typically the event id that opened the incident), never from time of day.
 */
export function alertId(rule: string, containerId: string, tripId: string | null, incidentKey: string): string {
  return createHash('sha256')
    .update(`${rule}\u0000${containerId}\u0000${tripId ?? ''}\u0000${incidentKey}`)
    .digest('hex')
    .slice(0, 32);
}
