import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * vitest globalSetup for the stack integration tests: `scripts/stack.sh up` before the first
 * test file (builds what is missing, so the first run on a new machine takes minutes), and
 * `down` after the last one unless SEALWATCH_KEEP_STACK=1.
 */
const stackScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'stack.sh');

function stack(command: 'up' | 'down'): Promise<void> {
  return new Promise((resolve, reject) => {
    // The script's progress lines go straight to our stderr, as they come.
    const child = spawn('bash', [stackScript, command], { stdio: ['ignore', 2, 2] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`bash scripts/stack.sh ${command} failed (${signal ?? `exit ${code}`}); its output is above`));
    });
  });
}

export async function setup(): Promise<void> {
  await stack('up');
}

export async function teardown(): Promise<void> {
  if (process.env.SEALWATCH_KEEP_STACK === '1') {
    process.stderr.write('[stack] SEALWATCH_KEEP_STACK=1: leaving the stack running (bash scripts/stack.sh down stops it)\n');
    return;
  }
  await stack('down');
}
