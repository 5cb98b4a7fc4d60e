import { execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { stackEnv } from '../../src/cli/common.js';
import { packagePath } from '../../src/paths.js';

/**
 * Every test listener's MQTT 5 session outlives it by 15 minutes, not the
 * production 7 days: tests use a client id per run, and each one gone would
 * have the shared Mosquitto queue every later device message for it (a
 * 640 MB persistence file, rewritten every 30 s, was found stalling the
 * broker for seconds). Restarts inside a test take seconds.
 */
export const TEST_SESSION_EXPIRY = 'mqtt.sessionExpirySeconds=900';

/** The configuration of the stack profile with the settings `stack.sh up` wrote to .stack/env. */
export function stackConfig(sets: string[] = []): Config {
  return loadConfig({ files: [packagePath('config', 'default.yaml'), packagePath('config', 'stack.yaml')], env: stackEnv(), sets: [TEST_SESSION_EXPIRY, ...sets] });
}

/** Adds (or updates) a device account in the stack's Mosquitto. */
export function addDevice(deviceId: string, password: string): void {
  execFileSync('bash', [packagePath('scripts', 'stack', 'mosquitto-add-device.sh'), deviceId, password], { stdio: 'pipe' });
}

export async function waitFor<T>(what: string, timeoutMs: number, poll: () => Promise<T | undefined> | T | undefined, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
