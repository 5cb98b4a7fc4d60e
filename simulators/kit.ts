import type { SimulatorKit } from '../src/cli/simulator.js';
import { writeCorpus } from './corpus.js';
import { simulateFleet, type SimOptions, type SimResult } from './fleet.js';
import { connectPublisher, publishLive } from './publish.js';

/**
 * The simulator as the CLI's `simulate` and `demo` commands use it (the port
 * is src/cli/simulator.ts; src loads this file at run time and never imports
 * simulators/). The CLI checks `scenarios` against the rule ids; the
 * simulator refuses the ones it cannot inject.
 */
export const kit: SimulatorKit<SimResult> = {
  simulateFleet: (opts) => simulateFleet(opts as SimOptions),
  writeCorpus,
  connectPublisher,
  publishLive,
};
