// Types of plot.mjs for the TypeScript tests that import it.
export interface GrowthPoint {
  containers: number;
  eventsPerSec: number;
  eventsMin?: number;
  eventsMax?: number;
  baselineEventsPerSec?: number;
  /** share of the engine's timed rounds spent in garbage collection, 0..1 */
  gcShare?: number;
  bytesPerContainer: number;
  historyHours?: number;
  fullHistory?: boolean;
}
export function label(n: number): string;
export function sizeLabel(n: number): string;
export function growthSvg(args: { points: GrowthPoint[]; subtitle?: string }): string;
export function growthPoints(figures: Array<Record<string, unknown>>): GrowthPoint[];
export function growthSubtitle(record: { machine: Record<string, any>; options: { rounds: number } }): string;
export function writeGrowthSvg(file: string, record: { machine: Record<string, any>; options: { rounds: number }; figures: Array<Record<string, unknown>> }): boolean;
