import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { CredentialStore } from '../ingest/auth-passwords.js';

export interface Account {
  username: string;
  password: string;
}

/**
 * The demo's own accounts, new on every run: the pipeline's service account
 * and the simulated fleet's, named as the built-in ACL expects (the first of
 * embeddedBroker.serviceAccounts and .fleetAccounts). They exist only in this
 * process's memory; real devices join with embeddedBroker.passwordFile.
 */
export function demoAccounts(cfg: Config['embeddedBroker']): { service: Account; fleet: Account; store: CredentialStore } {
  const service = { username: cfg.serviceAccounts[0] ?? 'sealwatch', password: randomBytes(18).toString('base64url') };
  const fleet = { username: cfg.fleetAccounts[0] ?? 'simulator', password: randomBytes(18).toString('base64url') };
  const store = new CredentialStore().add(service.username, service.password).add(fleet.username, fleet.password);
  return { service, fleet, store };
}
