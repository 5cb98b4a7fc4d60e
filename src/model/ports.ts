import { readFileSync } from 'node:fs';
import { distance } from '@turf/turf';
import { packagePath } from '../paths.js';

export interface Port {
  locode: string;
  name: string;
  country: string;
  lat: number;
  lon: number;
}

/** The UN/LOCODE port table shipped in config/ports.json (sources in config/ports.README.md). */
export class PortTable {
  private readonly byLocode: Map<string, Port>;
  constructor(readonly ports: readonly Port[]) {
    this.byLocode = new Map(ports.map((p) => [p.locode, p]));
  }

  static load(file = packagePath('config', 'ports.json')): PortTable {
    return new PortTable(JSON.parse(readFileSync(file, 'utf8')) as Port[]);
  }

  get(locode: string): Port | undefined {
    return this.byLocode.get(locode);
  }

  /** The nearest port and its great-circle distance in km. */
  nearest(lat: number, lon: number): { port: Port; distanceKm: number } | null {
    let best: Port | null = null;
    let bestKm = Infinity;
    for (const p of this.ports) {
      // cheap reject before the great-circle distance: 1 degree of latitude is ~111 km
      if (Math.abs(p.lat - lat) * 111 > bestKm) continue;
      const d = distance([lon, lat], [p.lon, p.lat], { units: 'kilometers' });
      if (d < bestKm) {
        bestKm = d;
        best = p;
      }
    }
    return best ? { port: best, distanceKm: bestKm } : null;
  }
}

let shared: PortTable | null = null;
export function defaultPorts(): PortTable {
  shared ??= PortTable.load();
  return shared;
}
