import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { swError } from '../errors.js';
import { parseYamlBounded } from '../config/yaml-guard.js';
import type { PortTable } from '../geo/ports.js';
import { describeZodError, TripPlanSchema, type TripPlan } from './schema.js';
import { compilePlan, type PlanOptions } from './compile.js';

/**
 * Parses one plan document, naming the source and the field on error. Ports
 * the table lacks: refused when `onUnknownPort` is absent (the API), reported
 * to it otherwise (loading recorded trips goes on without those zones).
 */
export function parseTripPlan(doc: unknown, source: string, ports: PortTable, opts: PlanOptions, onUnknownPort?: (tripId: string, locodes: string[], source: string) => void): TripPlan {
  const r = TripPlanSchema.safeParse(doc);
  if (!r.success) throw swError('SW_ERR_TRIP_INVALID', source, describeZodError(r.error));
  const unknown = compilePlan(r.data, ports, opts).unknownPorts; // resolves every port now, at load, not mid-stream
  if (unknown.length) {
    if (!onUnknownPort) throw swError('SW_ERR_TRIP_UNKNOWN_PORT', r.data.tripId, unknown.join(', '));
    onUnknownPort(r.data.tripId, unknown, source);
  }
  return r.data;
}

/** Loads every `.json`, `.yaml` or `.yml` plan in a directory (or one file), sorted by name. */
export function loadTripPlans(path: string, ports: PortTable, opts: PlanOptions, onUnknownPort: (tripId: string, locodes: string[], source: string) => void = () => {}): TripPlan[] {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => /\.(json|ya?ml)$/i.test(f))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch (err) {
    throw swError('SW_ERR_TRIP_INVALID', path, (err as Error).message);
  }
  const plans: TripPlan[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let doc: unknown;
    try {
      const text = readFileSync(file, 'utf8');
      doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYamlBounded(text);
    } catch (err) {
      throw swError('SW_ERR_TRIP_INVALID', file, (err as Error).message);
    }
    const docs = Array.isArray(doc) ? doc : [doc];
    docs.forEach((d, i) => {
      const plan = parseTripPlan(d, docs.length > 1 ? `${file}[${i}]` : file, ports, opts, onUnknownPort);
      const dup = seen.get(plan.tripId);
      if (dup) throw swError('SW_ERR_TRIP_INVALID', file, `tripId ${plan.tripId} is also defined in ${dup}`);
      seen.set(plan.tripId, file);
      plans.push(plan);
    });
  }
  return plans;
}
