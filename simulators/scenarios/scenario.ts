import type { Port, PortTable } from '../../src/geo/ports.js';
import type { Breach, ContainerModel, DeviceProfile, ScenarioKind, TrueReading } from '../container.js';
import type { LonLat } from '../../src/geo/distance.js';
import type { Itinerary } from '../itinerary.js';
import type { Rng } from '../rng.js';
import type { RouteLegs } from '../../src/geo/sea-route.js';
import type { EdgeKind } from '../../src/geo/sea-lanes.js';
import type { Sailing, StopSpec } from '../voyage.js';

/**
 * One simulated breach kind, as one file under simulators/scenarios/ named
 * like the rule that should find it (src/rules/). A scenario places its
 * breach at a time where it makes physical sense on the container's voyage
 * and, where the readings decide the label's span, refines the label on
 * what the device actually reported.
 */

export const H = 3_600_000;
export const MIN = 60_000;

/** What a breach that changes the voyage did to the first ship's passage (made in fleet.ts's makeSailings). */
export type Special = { kind: 'call'; port: Port } | { kind: 'deviation'; offKm: number; leaveKm: number; rejoinKm: number; route: LonLat[] } | { kind: 'seaStop'; point: LonLat; anchored: boolean; offPort: boolean };

/** What a scenario that changes the voyage knows of the first ship's passage before it changes it. */
export interface SailContext {
  it: Itinerary;
  leg1: RouteLegs;
  /** The passage as planned, without the breach. */
  plain: Sailing;
  /** When on the plain passage the breach may happen (a stop begin, a deviation leave the route, a call be reached). */
  from: number;
  to: number;
  demo: boolean;
  /** No reading after this (Infinity without a cap). */
  capEnd: number;
  /** The ports of the plan. */
  planned: Port[];
  ports: PortTable;
}

/** The first ship's passage as the breach changes it: another path, stops on the way. */
export interface SailChange {
  path?: LonLat[];
  kind?: EdgeKind[];
  stops: StopSpec[];
  special: Special;
}

/** The container as far as it is built when its breach is placed (no breach yet). */
export type Draft = Pick<ContainerModel, 'phases' | 'first' | 'last' | 'doorOpen'>;

export interface PlaceContext {
  m: Draft;
  sailings: Sailing[];
  device: DeviceProfile;
  reefer: ContainerModel['reefer'];
  special: Special | null;
  demo: boolean;
  start: number;
  /** Departure of the first ship. */
  dep: number;
  /** The window the breach may start in (true time): under way, with room before the end of the voyage. */
  lo: number;
  hi: number;
  /** Distance (km) from where the container is at t to the nearest port of the table. */
  portKm(t: number): number;
  /** On a ship, moving at least minKn, on an open-sea stretch of its route. */
  underWay(t: number, minKn: number): boolean;
  /** The draft as a model (breach null), for whereAt. */
  view: ContainerModel;
}

export type GpsReading = Extract<TrueReading, { kind: 'gps' }>;

export interface Scenario {
  kind: ScenarioKind;
  /** The breach changes the ship's voyage: the container sails on a ship no other container joins. */
  ownShip: boolean;
  /** (ownShip) Changes the first ship's passage; null when this itinerary does not allow it. */
  sail?(r: Rng, ctx: SailContext): SailChange | null;
  /** Places the breach; null when it cannot be placed on this voyage. */
  place(r: Rng, ctx: PlaceContext): Breach | null;
  /** The label's span as the fixes show it (true time); null: no label (the breach did not show). Default: the breach's from..to. */
  span?(b: Breach, fixes: readonly GpsReading[]): { from: number; to: number } | null;
  /** Further labels the same breach carries (true time). */
  alsoLabels?(b: Breach): Array<{ rule: ScenarioKind; from: number; to: number }>;
}
