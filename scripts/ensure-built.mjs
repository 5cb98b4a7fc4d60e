// Set-up that `npm start` and `npm test` do for themselves on a fresh clone:
// install dependencies when node_modules is missing or older than the lock
// file, and compile when any source is newer than the build. Node built-ins only.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

function newest(dir) {
  let m = 0;
  if (!existsSync(dir)) return m;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    m = Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return m;
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || mtime(installed) < mtime(lock)) {
  process.stderr.write('[setup] installing dependencies (npm ci)...\n');
  run('npm ci --no-audit --no-fund');
}
const built = join(root, 'dist', 'src', 'cli.js');
const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'simulators')), mtime(join(root, 'tsconfig.json')));
if (mtime(built) < sources) {
  process.stderr.write('[setup] compiling TypeScript (tsc)...\n');
  run('npx tsc -p tsconfig.json');
}
