import { KafkaBus } from '../../../src/bus/kafka.js';
import { busContract } from '../../contract/bus-contract.js';
import { stackConfig } from '../../helpers/stack.js';

// The same contract the in-process bus passes, against the real broker.
busContract('kafka', async () => new KafkaBus(stackConfig().kafka), {
  settleMs: 1500,
  timeoutMs: 60_000,
  // nothing listens on port 1: the broker cannot be reached
  makeDown: async () => new KafkaBus({ ...stackConfig().kafka, brokers: ['127.0.0.1:1'] }),
});
