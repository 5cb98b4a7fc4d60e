import { execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { stackEnv } from '../../src/cli/common.js';
import { packagePath } from '../../src/paths.js';

/** The configuration of the stack profile with the settings `stack.sh up` wrote to .stack/env. */
export function stackConfig(sets: string[] = []): Config {
  return loadConfig({ files: [packagePath('config', 'default.yaml'), packagePath('config', 'stack.yaml')], env: stackEnv(), sets });
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
