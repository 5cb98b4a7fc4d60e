import type { Config } from '../../config/schema.js';
import type { PortTable } from '../../geo/ports.js';
import type { TripDirectory } from '../../trips/directory.js';
import { buildNormaliser } from '../../normalise/normaliser.js';
import { readCapture } from '../../replay/capture.js';
import { Tracer, type Trace } from './trace.js';

/**
 * Traces the given containers through a capture the way replay reads it: the
 * same normaliser (decode, deduplication, trip binding) and the arrival time
 * of each message as the engine's clock, so what the probes see is what the
 * rules saw when the alerts were made (with the same configuration).
 */
export async function traceCapture(file: string, config: Config, trips: TripDirectory, ports: PortTable, containers: ReadonlySet<string>): Promise<Map<string, Trace>> {
  const normaliser = buildNormaliser(config, trips);
  const tracer = new Tracer({ config, trips, ports, containers });
  for await (const m of readCapture(file)) {
    const n = normaliser.normalise(m.topic, m.payload, m.t);
    tracer.advance(m.t);
    for (const r of n.readings) tracer.reading(r);
    for (const d of n.deadLetters) if (d.mismatch) tracer.mismatch(d.mismatch);
  }
  return tracer.finish();
}
