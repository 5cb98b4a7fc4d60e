import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { readUpTo, type Bus, type Subscription } from '../bus/port.js';
import { TOPICS } from '../bus/topics.js';
import { TripPlanSchema, type TripPlan } from '../trips/schema.js';
import type { TripDirectory } from '../trips/directory.js';

/** Plans onto the compacted `sealwatch.trips.v1`, keyed by trip id. */
export async function publishPlans(bus: Bus, plans: readonly TripPlan[]): Promise<void> {
  if (plans.length)
    await bus.produce(
      TOPICS.trips,
      plans.map((p) => ({ key: p.tripId, value: JSON.stringify(p) })),
    );
}

/**
 * Keeps a directory in step with the trips topic: everything retained is read
 * before this resolves, then new plans apply as they arrive. Each process
 * reads the whole topic (a private group), since every stage needs every plan.
 */
export async function followTrips(bus: Bus, trips: TripDirectory, log?: Logger): Promise<Subscription> {
  const apply = (value: Buffer) => {
    try {
      trips.upsert(TripPlanSchema.parse(JSON.parse(value.toString('utf8'))));
    } catch (err) {
      log?.error({ err: (err as Error).message }, 'trips.invalid_plan_on_topic');
    }
  };
  // read up to these ends, then follow from exactly there: a plan published in between is not missed
  const ends = await bus.endOffsets(TOPICS.trips);
  for (const m of await readUpTo(bus, TOPICS.trips, ends)) apply(m.value);
  const sub = await bus.subscribe({
    groupId: `sealwatch-trips-${randomUUID()}`,
    topics: [TOPICS.trips],
    fromNow: true,
    fromNowOffsets: ends,
    handler: async (batch) => {
      for (const m of batch) apply(m.value);
    },
  });
  log?.info({ plans: trips.size, partitions: ends.size }, 'trips.loaded_from_topic');
  return sub;
}
