// The local stack (scripts/stack.sh) for the suites that need it: started
// when it is down and stopped afterwards by whoever started it. The caller
// holds the shared stack lock (bench/run.mjs takes it for these suites).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stackEnv } from '../../dist/src/cli/common.js';
import { loadConfig } from '../../dist/src/config/load.js';
import { packagePath } from '../../dist/src/paths.js';
import { progress } from './measure.mjs';

// Descriptors above 2 are closed first: the services `up` starts would otherwise inherit the stack lock's
// descriptor from a caller's flock and hold the lock for as long as they run.
// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JavaScript template
const CLOSE_INHERITED = 'for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; exec bash "$0" "$1"';
export const stackSh = (cmd) => spawnSync('bash', ['-c', CLOSE_INHERITED, packagePath('scripts', 'stack.sh'), cmd], { stdio: ['ignore', 2, 2] }).status === 0;
export const stackIsUp = () => spawnSync('bash', [packagePath('scripts', 'stack.sh'), 'status'], { stdio: 'ignore' }).status === 0;

/**
 * Runs `fn` with the local stack up: starts it when it is down (and stops it
 * afterwards unless SEALWATCH_KEEP_STACK=1); `{ skipped: reason }` when it
 * cannot start.
 */
export async function withLocalStack(label, fn) {
  let started = false;
  if (!stackIsUp()) {
    progress(`${label}: starting the local stack (scripts/stack.sh up)`);
    if (!stackSh('up')) return { skipped: 'the local stack could not start (see the stack.sh output above)' };
    started = true;
  }
  try {
    return { result: await fn() };
  } finally {
    if (started && process.env.SEALWATCH_KEEP_STACK !== '1') {
      progress(`${label}: stopping the stack this run started (SEALWATCH_KEEP_STACK=1 keeps it)`);
      stackSh('down');
    }
  }
}

/** The configuration `sealwatch run --profile stack` has against the local stack, quiet, with `sets` applied. */
export function stackConfig(sets = []) {
  return loadConfig({ files: [packagePath('config', 'default.yaml'), packagePath('config', 'stack.yaml')], env: stackEnv(), sets: [...sets, 'log.level=silent'] });
}

/** Clock ticks of user + system time of a process so far (Linux /proc; 100 a second); NaN when it cannot be read. */
export function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return Number.NaN;
  }
}

/** The stack's service processes, by the pid files scripts/stack.sh writes (a service without one is left out). */
export function servicePids() {
  const out = {};
  for (const s of ['mosquitto', 'kafka', 'influxdb']) {
    try {
      out[s] = Number(readFileSync(packagePath('.stack', 'run', `${s}.pid`), 'utf8').trim());
    } catch {
      // not ours to measure
    }
  }
  return out;
}
