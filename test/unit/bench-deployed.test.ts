import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEPLOYED_NODE_ARGS } from '../../bench/lib/deployed.mjs';
import { packagePath } from '../../src/paths.js';

// The benches start the engine's and the stages' processes with the Node
// options a deployment gives them (bench/lib/deployed.mjs); the deployment
// is the Dockerfile. If one changes without the other, the benches measure
// something that is not deployed.

/** The options of the Dockerfile's `ENV NODE_OPTIONS=...` lines, in order. */
function dockerNodeOptions(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*ENV\s+NODE_OPTIONS\s*=\s*("([^"]*)"|(\S+))\s*$/.exec(line);
    if (m) out.push(...(m[2] ?? m[3]!).split(/\s+/).filter((o) => o !== ''));
  }
  return out;
}

describe('bench: deployed Node options', () => {
  it('reads ENV NODE_OPTIONS lines, quoted or not, and nothing else', () => {
    expect(dockerNodeOptions('FROM node:20\nENV NODE_OPTIONS=--a=1\nRUN echo NODE_OPTIONS=--b\nENV NODE_OPTIONS="--c --d=2"\n')).toEqual(['--a=1', '--c', '--d=2']);
  });

  it('are the Dockerfile NODE_OPTIONS', () => {
    const options = dockerNodeOptions(readFileSync(packagePath('Dockerfile'), 'utf8'));
    expect(options.length).toBeGreaterThan(0);
    expect([...DEPLOYED_NODE_ARGS]).toEqual(options);
  });
});
