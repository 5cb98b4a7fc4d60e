/**
 * Every reason a message can be dead-lettered for. A dead letter keeps the
 * whole payload so it can be inspected and re-processed; nothing is dropped.
 */
export const DEAD_LETTER_REASONS = {
  'unknown-topic': 'the MQTT topic is not under a known wire format',
  'payload-too-large': 'the payload exceeds the size limit of its wire format',
  'not-utf8': 'the payload is not valid UTF-8 text',
  'invalid-json': 'the payload is not parseable JSON',
  'invalid-csv': 'the csv-v1 line does not have the seq;type;epoch;values shape',
  'unknown-reading-type': 'the reading type or kind is not one the format defines',
  'schema-violation': 'a field is missing, of the wrong type or out of range',
  'bad-container-number': 'the container number is not ISO 6346 or its check digit is wrong',
  'unbound-device': 'no trip plan binds this device to a container at that time',
  'batch-too-large': 'the batch holds more events than allowed',
  'clock-skew': 'the measurement time is too far in the future or the past of its arrival',
  'device-container-mismatch': 'the reading claims a container that no active trip plan binds to its device (a possible spoofed or swapped device; raises DEVICE_CONTAINER_MISMATCH)',
} as const;

export type DeadLetterReason = keyof typeof DEAD_LETTER_REASONS;

export interface DeadLetter {
  reason: DeadLetterReason;
  detail: string;
  topic: string;
  payload?: string;
  payloadBase64?: string;
  receivedAt: string;
  /** With `device-container-mismatch`: what the reading claims and what the plans bind. */
  mismatch?: DeviceContainerMismatch;
}

/**
 * A reading whose (device, container) pair no active trip plan binds, while a
 * plan binds the device to another container or the container to another
 * device. Plain data: the ingest stage and replay turn it into an alert.
 */
export interface DeviceContainerMismatch {
  eventId: string;
  deviceId: string;
  claimedContainerId: string;
  /** Measurement time, ISO. */
  measuredAt: string;
  location: { lat: number; lon: number } | null;
  /** The plan binding the device at that time (to another container), if any. */
  devicePlan: { tripId: string; containerId: string } | null;
  /** The plan binding the claimed container at that time (to another device), if any. */
  containerPlan: { tripId: string; deviceId: string } | null;
}

export function deadLetter(reason: DeadLetterReason, detail: string, topic: string, payload: Buffer | string, receivedAt: number, text?: string | null): DeadLetter {
  const dl: DeadLetter = { reason, detail, topic, receivedAt: new Date(receivedAt).toISOString() };
  if (typeof payload === 'string') dl.payload = payload;
  else if (text !== undefined && text !== null) dl.payload = text;
  else dl.payloadBase64 = payload.toString('base64');
  return dl;
}
