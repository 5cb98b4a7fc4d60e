import { readFileSync } from 'node:fs';
import { swError } from '../errors.js';

/**
 * mqtt.js options for a TLS broker whose certificate a private CA signed (the
 * local stack's, a test's, a company CA): the CA's PEM file is trusted on top
 * of the system's. `key` names the setting in the error when it is unreadable.
 */
export function mqttTlsOptions(caFile: string | null | undefined, key = 'mqtt.caFile'): { ca?: Buffer } {
  if (!caFile) return {};
  try {
    return { ca: readFileSync(caFile) };
  } catch (err) {
    throw swError('SW_ERR_CONFIG_INVALID', `${key} = ${JSON.stringify(caFile)}: expected a readable PEM file of CA certificates (${(err as Error).message})`);
  }
}
