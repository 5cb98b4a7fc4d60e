import type { TripDirectory } from './directory.js';
import type { TripPlan } from './schema.js';

/** A targeting centre as the configuration names it (`centres`). */
export interface Centre {
  name: string;
  label: string | null;
  /** Country codes (`NL`) and UN/LOCODEs (`NLRTM`). */
  scope: readonly string[];
}

/**
 * True when a plan starts, ends or transships at a port of the scope: a
 * UN/LOCODE matches itself, a country code every port of that country (the
 * first two letters of a UN/LOCODE are its country).
 */
export function planTouches(plan: Pick<TripPlan, 'origin' | 'destination' | 'transshipments'>, scope: readonly string[]): boolean {
  const ports = [plan.origin, plan.destination, ...plan.transshipments];
  for (const s of scope) {
    for (const p of ports) if (s.length === 2 ? p.startsWith(s) : p === s) return true;
  }
  return false;
}

interface Index {
  trips: Set<string>;
  containers: Set<string>;
}

/** What an alert needs for its visibility. */
export interface Scoped {
  containerId: string;
  tripId: string | null;
}

/**
 * Which trips and containers each centre sees. A centre sees a trip whose plan
 * touches its scope, and a container when any of its plans does; an alert by
 * its trip's plan, or by its container when it names no trip the directory
 * knows. `null` as the centre means every centre (an admin, or a platform
 * without centres). The per-centre sets are rebuilt lazily after a plan
 * changes, so a check is a set lookup.
 */
export class Jurisdictions {
  private readonly byName: Map<string, Centre>;
  private readonly index = new Map<string, Index>();

  constructor(
    centres: readonly Centre[],
    private readonly trips: TripDirectory,
  ) {
    this.byName = new Map(centres.map((c) => [c.name, c]));
    trips.onChange(() => this.index.clear());
  }

  get(name: string): Centre | undefined {
    return this.byName.get(name);
  }

  list(): Centre[] {
    return [...this.byName.values()];
  }

  get size(): number {
    return this.byName.size;
  }

  private of(centre: Centre): Index {
    let ix = this.index.get(centre.name);
    if (!ix) {
      ix = { trips: new Set(), containers: new Set() };
      for (const p of this.trips.all()) {
        if (!planTouches(p, centre.scope)) continue;
        ix.trips.add(p.tripId);
        ix.containers.add(p.containerId);
      }
      this.index.set(centre.name, ix);
    }
    return ix;
  }

  tripVisible(centre: Centre | null, tripId: string): boolean {
    return centre === null || this.of(centre).trips.has(tripId);
  }

  containerVisible(centre: Centre | null, containerId: string): boolean {
    return centre === null || this.of(centre).containers.has(containerId);
  }

  alertVisible(centre: Centre | null, a: Scoped): boolean {
    if (centre === null) return true;
    if (a.tripId !== null && this.trips.get(a.tripId)) return this.of(centre).trips.has(a.tripId);
    return this.of(centre).containers.has(a.containerId);
  }
}
