// Types of fleet.mjs for the TypeScript tests that import it.
export interface Voyage {
  ms: number;
  from: number;
  span: number;
}
export const T0: number;
export const DAY: number;
export const VOYAGE_MS: number;
export const STANDARD_VOYAGE: Voyage;
export function longVoyage(days: number, runMs: number): Voyage;
export function startFraction(i: number, voyage?: Voyage): number;
export function along(f: number): { lon: number; lat: number; headingDeg: number };
export interface BenchPlan {
  tripId: string;
  containerId: string;
  deviceId: string;
  origin: string;
  destination: string;
  departure: string;
  eta: string;
}
export function makePlans(n: number, o?: { prefix?: string; devicePrefix?: string; withRoute?: boolean; offset?: number; voyage?: Voyage }): BenchPlan[];
export type SimReading = { kind: 'gps'; ts: number; lat: number; lon: number; speedKn: number; headingDeg: number; hdop: number } | { kind: 'temp' | 'light' | 'door'; ts: number; [k: string]: unknown };
export function simReadings(i: number, ts: number, voyage?: Voyage): SimReading[];
