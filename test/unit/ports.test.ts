import { describe, it, expect } from 'vitest';
import fs from 'node:fs';

interface Port {
  locode: string;
  name: string;
  country: string;
  lat: number;
  lon: number;
}

const ports: Port[] = JSON.parse(fs.readFileSync(new URL('../../config/ports.json', import.meta.url), 'utf8'));

const byCode = new Map(ports.map((p) => [p.locode, p]));

/** Great-circle distance in km (haversine, mean Earth radius). */
function distanceKm(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const R = 6371.0088;
  const rad = Math.PI / 180;
  const dLat = (bLat - aLat) * rad;
  const dLon = (bLon - aLon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

describe('config/ports.json', () => {
  it('has at least 100 ports', () => {
    expect(ports.length).toBeGreaterThanOrEqual(100);
  });

  it('has exactly the documented fields with the right types', () => {
    for (const p of ports) {
      expect(Object.keys(p).sort(), p.locode).toEqual(['country', 'lat', 'locode', 'lon', 'name']);
      expect(typeof p.name, p.locode).toBe('string');
      expect(p.name.trim().length, p.locode).toBeGreaterThan(0);
      expect(Number.isFinite(p.lat), p.locode).toBe(true);
      expect(Number.isFinite(p.lon), p.locode).toBe(true);
    }
  });

  it('has unique LOCODEs', () => {
    expect(byCode.size).toBe(ports.length);
  });

  it('is sorted by LOCODE', () => {
    const codes = ports.map((p) => p.locode);
    expect(codes).toEqual([...codes].sort());
  });

  it('uses well-formed UN/LOCODEs whose country prefix matches `country`', () => {
    for (const p of ports) {
      expect(p.locode, p.name).toMatch(/^[A-Z]{2}[A-Z2-9]{3}$/);
      expect(p.country, p.locode).toMatch(/^[A-Z]{2}$/);
      expect(p.locode.slice(0, 2), p.locode).toBe(p.country);
    }
  });

  it('has coordinates in range and none at (0,0)', () => {
    for (const p of ports) {
      expect(p.lat, p.locode).toBeGreaterThanOrEqual(-90);
      expect(p.lat, p.locode).toBeLessThanOrEqual(90);
      expect(p.lon, p.locode).toBeGreaterThanOrEqual(-180);
      expect(p.lon, p.locode).toBeLessThanOrEqual(180);
      expect(p.lat === 0 && p.lon === 0, p.locode).toBe(false);
    }
  });

  it('has no two distinct ports closer than 1 km (copy-paste guard)', () => {
    const tooClose: string[] = [];
    for (let i = 0; i < ports.length; i++) {
      for (let j = i + 1; j < ports.length; j++) {
        const a = ports[i];
        const b = ports[j];
        const d = distanceKm(a.lat, a.lon, b.lat, b.lon);
        if (d < 1) tooClose.push(`${a.locode}-${b.locode} ${d.toFixed(2)} km`);
      }
    }
    expect(tooClose).toEqual([]);
  });

  // Reference positions of the container terminals (not the city centres).
  const anchors: Array<[string, number, number, string]> = [
    ['NLRTM', 51.95, 4.05, 'Rotterdam Maasvlakte container terminals'],
    ['BRSSZ', -23.98, -46.3, 'Santos estuary terminals'],
    ['SGSIN', 1.27, 103.765, 'Singapore Pasir Panjang terminals'],
    ['ESALG', 36.13, -5.44, 'Algeciras container terminals'],
    ['CNSHA', 30.62, 122.07, 'Shanghai Yangshan deep-water port'],
    ['USLAX', 33.74, -118.27, 'Los Angeles, San Pedro Bay terminals'],
  ];

  for (const [code, lat, lon, what] of anchors) {
    it(`puts ${code} at the ${what} (within 5 km)`, () => {
      const p = byCode.get(code);
      expect(p, code).toBeDefined();
      expect(distanceKm(p!.lat, p!.lon, lat, lon)).toBeLessThan(5);
    });
  }

  it('places CNSHA at Yangshan, not Waigaoqiao or the city centre', () => {
    const p = byCode.get('CNSHA')!;
    expect(distanceKm(p.lat, p.lon, 31.35, 121.6)).toBeGreaterThan(50); // Waigaoqiao
    expect(distanceKm(p.lat, p.lon, 31.23, 121.47)).toBeGreaterThan(50); // People's Square
  });

  it('keeps Rotterdam at the sea-side Maasvlakte, not the city centre', () => {
    const p = byCode.get('NLRTM')!;
    expect(distanceKm(p.lat, p.lon, 51.92, 4.48)).toBeGreaterThan(20);
  });

  it('covers the ports named in the brief', () => {
    // biome-ignore format: a table of port codes, ten to a row
    const required = [
      'BRSSZ', 'ECGYE', 'PECLL', 'COCTG', 'COBUN', 'MXZLO', 'PAMIT', 'PAONX', 'PACTB', 'PABLB',
      'DOCAU', 'JMKIN', 'BSFPO', 'BEANR', 'NLRTM', 'DEHAM', 'DEBRV', 'FRLEH', 'ESALG', 'ESVLC',
      'ESBCN', 'ITGIT', 'GBFXT', 'GBSOU', 'GBLGP', 'GRPIR', 'MAPTM', 'EGPSD', 'ZADUR', 'NGAPP',
      'GHTEM', 'CIABJ', 'TGLFW', 'KEMBA', 'AEJEA', 'OMSLL', 'LKCMB', 'INNSA', 'INMUN', 'SGSIN',
      'MYPKG', 'MYTPP', 'CNSHA', 'CNNGB', 'CNYTN', 'CNSHK', 'HKHKG', 'KRPUS', 'TWKHH', 'CNTAO',
      'CNTXG', 'CNXMN', 'CNCAN', 'THLCH', 'VNCMT', 'IDTPP', 'PHMNL', 'JPYOK', 'JPTYO', 'USLAX',
      'USLGB', 'USOAK', 'USSEA', 'USTIW', 'CAVAN', 'CAPRR', 'USNYC', 'USSAV', 'USCHS', 'USORF',
      'USHOU', 'USMIA', 'CAMTR', 'MXVER', 'MXLZC', 'ARBUE', 'UYMVD', 'BRPNG', 'BRITJ', 'AUSYD',
      'AUMEL', 'AUBNE', 'NZAKL',
    ];
    const missing = required.filter((c) => !byCode.has(c));
    expect(missing).toEqual([]);
  });
});
