import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { KafkaBus } from './kafka.js';
import { MemoryBus } from './memory.js';
import type { Bus } from './port.js';

/** The bus the configuration names (`bus.kind`): the one place outside the adapters that knows them. */
export function createBus(config: Config, log: Logger): Bus {
  return config.bus.kind === 'kafka' ? new KafkaBus(config.kafka, log, {}, { compression: config.bus.compression }) : new MemoryBus(config.kafka.partitions.telemetry, config.bus.memoryRetainPerPartition);
}
