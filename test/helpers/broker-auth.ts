import type { IClientOptions } from 'mqtt';
import type { Config } from '../../src/config/schema.js';
import { Acl, builtinAclText } from '../../src/ingest/auth-acl.js';
import { CredentialStore } from '../../src/ingest/auth-passwords.js';
import type { BrokerAuth } from '../../src/ingest/embedded-broker.js';

/** Accounts the embedded-broker tests share: the pipeline's, the fleet's and the fixtures' devices. */
export const TEST_ACCOUNTS = ['sealwatch', 'simulator', 'acme-00042', 'acme-00077', 'sat-0091', 'VSL-9876543'];

/** Test passwords are per account, so a device cannot log in with another's. */
export function testPassword(username: string): string {
  return `test-pw-${username}`;
}

/** The built-in policy (as `npm start` runs it) over the test accounts. */
export function testBrokerAuth(extraAccounts: string[] = []): BrokerAuth {
  const credentials = new CredentialStore();
  for (const u of [...TEST_ACCOUNTS, ...extraAccounts]) credentials.add(u, testPassword(u));
  return { credentials, acl: Acl.parse(builtinAclText('ssd', ['sealwatch'], ['simulator']), 'built-in ACL'), allowAnonymous: false };
}

/** The configuration with the pipeline's listener logging in as the service account (secrets never come from --set). */
export function asServiceAccount(config: Config): Config {
  return { ...config, mqtt: { ...config.mqtt, username: 'sealwatch', password: testPassword('sealwatch') } };
}

/** mqtt.js options of an account (client id = username). */
export function login(username: string): IClientOptions {
  return { clientId: username, username, password: testPassword(username) };
}
