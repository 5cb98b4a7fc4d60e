import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, unknownEnvVars } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { loadTripPlans } from '../trips/load.js';
import { createLogger } from '../log.js';
import { defaultPorts, type PortTable } from '../geo/ports.js';
import type { TripDirectory } from '../trips/directory.js';
import { packagePath } from '../paths.js';
import { newTripDirectory } from '../pipeline/app.js';

export interface GlobalOptions {
  config?: string[];
  profile?: string;
  set?: string[];
  logLevel?: string;
}

export interface Context {
  config: Config;
  log: Logger;
  ports: PortTable;
}

/** Configuration: built-in defaults < config/default.yaml < profile < --config files < env < flags < --set. */
export function context(g: GlobalOptions, overrides: Record<string, unknown> = {}): Context {
  const files = [packagePath('config', 'default.yaml')];
  if (g.profile) {
    const f = packagePath('config', `${g.profile}.yaml`);
    if (!existsSync(f)) throw new Error(`unknown profile ${JSON.stringify(g.profile)}: no ${f}`);
    files.push(f);
  }
  files.push(...(g.config ?? []));
  const config = loadConfig({ files, env: g.profile === 'stack' ? { ...stackEnv(), ...process.env } : process.env, sets: g.set ?? [], overrides: g.logLevel ? { ...overrides, log: { level: g.logLevel } } : overrides });
  const log = createLogger(config.log.level);
  for (const variable of unknownEnvVars(process.env)) log.warn({ variable }, `config.unknown_env: ${variable} names no configuration key; it is ignored (a typo?)`);
  return { config, log, ports: defaultPorts() };
}

/**
 * With the stack profile, the local stack's `.stack/env` (written by
 * `npm run stack:up`) supplies connection settings the environment lacks.
 */
export function stackEnv(): Record<string, string> {
  const file = process.env.SEALWATCH_STACK_DIR ? join(process.env.SEALWATCH_STACK_DIR, 'env') : packagePath('.stack', 'env');
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(SEALWATCH_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^["']|["']$/g, '');
  }
  return out;
}

export function tripsFrom(ctx: Context, dir: string | null | undefined): TripDirectory {
  const trips = newTripDirectory(ctx.config);
  const path = dir ?? ctx.config.trips.dir;
  if (path) {
    const plans = loadTripPlans(path, ctx.ports, ctx.config.trips, (tripId, locodes, source) =>
      ctx.log.warn({ tripId, locodes, source }, 'trips.unknown_port: no default zone or routing for these ports; door openings there will not count as authorised'),
    );
    for (const p of plans) trips.upsert(p);
  }
  return trips;
}

/** A one-line progress display on a terminal (stderr), silent elsewhere. */
export function progress(label: string): { update(text: string): void; done(): void } {
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  return {
    update(text) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      process.stderr.write(`\r\x1b[2K${label} ${text}`);
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

export function bar(fraction: number, width = 30): string {
  const f = Math.max(0, Math.min(1, fraction));
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}
