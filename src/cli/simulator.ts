import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import type { RuleId } from '../model/alert.js';
import type { TripPlan } from '../trips/schema.js';

/**
 * What the `simulate` and `demo` commands need from the fleet simulator.
 * The simulator (simulators/) builds on src and plays the devices; src never
 * imports it. It implements this port in simulators/kit.ts, and the two
 * commands load that at run time: a deployment without the simulator still
 * runs everything else.
 */
export interface SimulatedFleet {
  trips: TripPlan[];
  /** In arrival order; `t` is the simulated arrival time (ms). */
  messages: ReadonlyArray<{ t: number }>;
  labels: readonly unknown[];
  cleanContainers: readonly string[];
}

export interface FleetRequest {
  seed: number;
  containers: number;
  /** Simulated time of the first reading, ms since the epoch. */
  start: number;
  faults?: boolean;
  topicRoot?: string;
  scenarios?: RuleId[];
  breachShare?: number;
  demo?: boolean;
  voyageHours?: number;
}

export interface PublisherRequest {
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  caFile?: string | null | undefined;
}

export interface PublishRequest {
  speed: number;
  onProgress?(sent: number, total: number): void;
  signal?: AbortSignal;
  startAtT?: number;
  wallStart?: number;
}

/** F: the simulator's own result type, which the commands only hand back to it. */
export interface SimulatorKit<F extends SimulatedFleet = SimulatedFleet> {
  simulateFleet: (opts: FleetRequest) => F;
  writeCorpus: (dir: string, fleet: F) => Promise<void>;
  connectPublisher: (url: string, opts: PublisherRequest) => Promise<MqttClient>;
  publishLive: (fleet: F, client: MqttClient, opts: PublishRequest) => Promise<void>;
}

/** Loads simulators/kit.js beside the compiled src/ (dist/simulators/kit.js). */
export async function loadSimulator(): Promise<SimulatorKit> {
  const url = new URL('../../simulators/kit.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new Error(`the fleet simulator is not installed (no ${fileURLToPath(url)}): simulate and demo need it`);
  return ((await import(url.href)) as { kit: SimulatorKit }).kit;
}
