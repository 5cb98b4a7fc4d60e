import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * The garbage collector, for tests of what is let go (vitest runs without
 * --expose-gc). A WeakRef's target lives at least to the end of the job that
 * made the WeakRef: await a timer before collecting.
 */
export function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
