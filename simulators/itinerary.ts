import type { Port, PortTable } from '../src/geo/ports.js';
import { haversineKm, type LonLat } from '../src/geo/distance.js';
import type { Rng } from './rng.js';
import { routeLegs, type RouteLegs } from '../src/geo/sea-route.js';

/**
 * Where containers go: origin, optional transshipment hub and destination,
 * drawn from weighted trade lanes between regions of the port table, so the
 * fleet looks like real container trade (Asia-Europe, transpacific,
 * intra-Asia, Latin America, Africa, ...), not random pairs of ports.
 */
export type Region = 'EUN' | 'MED' | 'NAE' | 'USG' | 'NAW' | 'CAR' | 'SAW' | 'SAE' | 'WAF' | 'SAF' | 'ME' | 'ISC' | 'SEA' | 'EAS' | 'OCE';

// biome-ignore format: one line per region
const BY_COUNTRY: Record<string, Region> = {
  NL: 'EUN', BE: 'EUN', DE: 'EUN', GB: 'EUN', PL: 'EUN', SE: 'EUN', DK: 'EUN', IE: 'EUN',
  ES: 'MED', IT: 'MED', GR: 'MED', TR: 'MED', MT: 'MED', SI: 'MED', PT: 'MED', RO: 'MED', EG: 'MED', IL: 'MED', MA: 'MED',
  CA: 'NAE', BS: 'CAR', MX: 'USG',
  PA: 'CAR', CO: 'CAR', CR: 'CAR', GT: 'CAR', HN: 'CAR', JM: 'CAR', DO: 'CAR', PR: 'CAR', VE: 'CAR',
  CL: 'SAW', PE: 'SAW', EC: 'SAW',
  BR: 'SAE', AR: 'SAE', UY: 'SAE',
  SN: 'WAF', CI: 'WAF', GH: 'WAF', TG: 'WAF', BJ: 'WAF', NG: 'WAF',
  ZA: 'SAF', MU: 'SAF', KE: 'SAF', TZ: 'SAF',
  AE: 'ME', OM: 'ME', QA: 'ME', SA: 'ME', DJ: 'ME',
  IN: 'ISC', PK: 'ISC', LK: 'ISC', BD: 'ISC',
  SG: 'SEA', MY: 'SEA', TH: 'SEA', VN: 'SEA', ID: 'SEA', PH: 'SEA',
  CN: 'EAS', HK: 'EAS', TW: 'EAS', KR: 'EAS', JP: 'EAS',
  AU: 'OCE', NZ: 'OCE',
};

/** Ports whose region is not their country's (coasts facing other trades). */
// biome-ignore format: one line per region
const BY_LOCODE: Record<string, Region> = {
  FRLEH: 'EUN', FRDKK: 'EUN', FRFOS: 'MED', FRMRS: 'MED',
  RULED: 'EUN', RUNVS: 'MED', RUVVO: 'EAS',
  ESLPA: 'WAF', EGSOK: 'ME',
  USLAX: 'NAW', USLGB: 'NAW', USOAK: 'NAW', USSEA: 'NAW', USTIW: 'NAW', CAVAN: 'NAW', CAPRR: 'NAW',
  USHOU: 'USG', USMSY: 'USG',
  MXZLO: 'NAW', MXLZC: 'NAW', GTPRQ: 'SAW', COBUN: 'SAW', PABLB: 'SAW',
};

export function regionOf(p: Port): Region {
  return BY_LOCODE[p.locode] ?? BY_COUNTRY[p.country] ?? (p.locode.startsWith('US') ? 'NAE' : 'SEA');
}

// biome-ignore format: a table of trade lanes, six to a row
const LANES: ReadonlyArray<readonly [Region, Region, number]> = [
  ['EAS', 'EUN', 10], ['EAS', 'MED', 6], ['EAS', 'NAW', 10], ['EAS', 'NAE', 3], ['EAS', 'EAS', 8], ['EAS', 'SEA', 8],
  ['SEA', 'EUN', 4], ['EAS', 'ISC', 4], ['EAS', 'ME', 4], ['ISC', 'EUN', 3], ['ME', 'EUN', 2], ['ISC', 'ME', 3],
  ['EUN', 'NAE', 6], ['MED', 'NAE', 3], ['EUN', 'SAE', 4], ['EUN', 'CAR', 4], ['EUN', 'SAW', 3], ['EUN', 'WAF', 4],
  ['EUN', 'MED', 4], ['EUN', 'EUN', 3], ['MED', 'MED', 2], ['SAE', 'EAS', 3], ['SAW', 'EAS', 2], ['OCE', 'EAS', 3],
  ['OCE', 'SEA', 2], ['SAF', 'EAS', 2], ['SAF', 'EUN', 2], ['NAE', 'CAR', 2], ['USG', 'EUN', 2], ['CAR', 'SAW', 2],
  ['WAF', 'EAS', 2], ['SEA', 'SEA', 3], ['SAW', 'NAW', 1], ['SAE', 'NAE', 1],
];

/** Transshipment hubs: container terminals that mostly move boxes between ships. */
// biome-ignore format: a table of hub codes
export const HUBS = [
  'SGSIN', 'MYTPP', 'MYPKG', 'LKCMB', 'AEJEA', 'OMSLL', 'EGPSE', 'MAPTM', 'ESALG', 'ESVLC', 'MTMAR', 'GRPIR', 'ITGIT',
  'PAMIT', 'PABLB', 'JMKIN', 'BSFPO', 'DOCAU', 'COCTG', 'KRBNP', 'HKHKG', 'TWKHH', 'CNSHA', 'NLRTM', 'BEANR', 'DEHAM',
  'TGLFW', 'ZADUR', 'MUPLU', 'SAJED', 'PECLL',
] as const;

export interface Itinerary {
  origin: Port;
  destination: Port;
  hub: Port | null;
  /** One route per sea leg: origin -> (hub ->) destination. */
  legs: RouteLegs[];
}

export function routeKm(r: RouteLegs): number {
  let km = 0;
  for (let i = 1; i < r.path.length; i++) km += haversineKm(r.path[i - 1]!, r.path[i]!);
  return km;
}

function point(p: Port): LonLat {
  return [p.lon, p.lat];
}

/** Draws an itinerary; maxKm bounds the total sea distance (to keep short corpora short). */
export function pickItinerary(rng: Rng, ports: PortTable, opts: { transshipShare: number; maxKm?: number; minKm?: number }): Itinerary {
  const byRegion = new Map<Region, Port[]>();
  for (const p of ports.ports) {
    const r = regionOf(p);
    if (!byRegion.has(r)) byRegion.set(r, []);
    byRegion.get(r)!.push(p);
  }
  const minKm = opts.minKm ?? 400;
  for (let attempt = 0; attempt < 200; attempt++) {
    const [ra, rb] = rng.weighted(LANES.map(([a, b, w]) => [[a, b] as const, w] as const));
    const [r1, r2] = rng.chance(0.5) ? [ra, rb] : [rb, ra];
    const list1 = byRegion.get(r1);
    const list2 = byRegion.get(r2);
    if (!list1 || !list2) continue;
    const origin = rng.pick(list1);
    const destination = rng.pick(list2);
    if (origin.locode === destination.locode) continue;
    if (haversineKm(point(origin), point(destination)) < 150) continue;
    const direct = routeLegs(origin, destination);
    const directKm = routeKm(direct);
    if (directKm < minKm) continue;
    if (opts.maxKm !== undefined && directKm > opts.maxKm) continue;
    let hub: Port | null = null;
    let legs: RouteLegs[] = [direct];
    if (rng.chance(opts.transshipShare)) {
      const gcDirect = haversineKm(point(origin), point(destination));
      const candidates = HUBS.map((c) => ports.get(c)!)
        .filter((h) => h && h.locode !== origin.locode && h.locode !== destination.locode)
        .filter((h) => haversineKm(point(h), point(origin)) > 300 && haversineKm(point(h), point(destination)) > 300)
        .filter((h) => haversineKm(point(origin), point(h)) + haversineKm(point(h), point(destination)) < 1.35 * gcDirect + 300);
      for (const h of rng.shuffle(candidates).slice(0, 4)) {
        const l1 = routeLegs(origin, h);
        const l2 = routeLegs(h, destination);
        const km = routeKm(l1) + routeKm(l2);
        if (km <= 1.12 * directKm + 150 && (opts.maxKm === undefined || km <= opts.maxKm)) {
          hub = h;
          legs = [l1, l2];
          break;
        }
      }
    }
    return { origin, destination, hub, legs };
  }
  // a fallback that always exists: a short European feeder
  const o = ports.get('NLRTM')!;
  const d = ports.get('GBFXT')!;
  return { origin: o, destination: d, hub: null, legs: [routeLegs(o, d)] };
}

/** Distance from a point to the nearest port of the table (haversine over all ports: fast enough for sampling). */
export function nearestPortKm(ports: readonly Port[], p: LonLat): { port: Port; km: number } {
  let best = ports[0]!;
  let bestKm = Infinity;
  for (const q of ports) {
    if (Math.abs(q.lat - p[1]) * 111 > bestKm) continue;
    const km = haversineKm(p, [q.lon, q.lat]);
    if (km < bestKm) {
      bestKm = km;
      best = q;
    }
  }
  return { port: best, km: bestKm };
}
