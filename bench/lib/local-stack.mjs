// The local stack (scripts/stack.sh) for the suites that need it: started
// when it is down and stopped afterwards by whoever started it. The caller
// holds the shared stack lock (bench/run.mjs takes it for these suites).
import { spawnSync } from 'node:child_process';
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
