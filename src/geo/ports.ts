import { readFileSync } from 'node:fs';
import { PointIndex } from './point-index.js';
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
  private readonly index: PointIndex;
  constructor(readonly ports: readonly Port[]) {
    this.byLocode = new Map(ports.map((p) => [p.locode, p]));
    this.index = new PointIndex(ports.map((p) => [p.lon, p.lat] as const));
  }

  static load(file = packagePath('config', 'ports.json')): PortTable {
    return new PortTable(JSON.parse(readFileSync(file, 'utf8')) as Port[]);
  }

  get(locode: string): Port | undefined {
    return this.byLocode.get(locode);
  }

  /** The nearest port and its great-circle distance in km. */
  nearest(lat: number, lon: number): { port: Port; distanceKm: number } | null {
    const n = this.index.nearest(lat, lon);
    return n ? { port: this.ports[n.i]!, distanceKm: n.km } : null;
  }
}

let shared: PortTable | null = null;
export function defaultPorts(): PortTable {
  shared ??= PortTable.load();
  return shared;
}
