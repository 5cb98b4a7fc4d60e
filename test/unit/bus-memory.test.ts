import { MemoryBus } from '../../src/bus/memory.js';
import { busContract } from '../contract/bus-contract.js';

busContract('memory', async () => new MemoryBus(), { settleMs: 50, timeoutMs: 5000 });
