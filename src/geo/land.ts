import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { booleanPointInPolygon } from '@turf/turf';
import type { Feature, MultiPolygon, Polygon, Position } from 'geojson';
import { feature } from 'topojson-client';
import type { Topology } from 'topojson-specification';

/**
 * Land or sea, from Natural Earth's 1:50m land polygons (world-atlas). Used
 * only on rare events (a door opening), so a bounding-box scan is enough.
 * At this scale coastlines are off by a kilometre or two: callers combine it
 * with the distance to the nearest port.
 */
interface LandPart {
  bbox: [number, number, number, number];
  polygon: Feature<Polygon>;
}

let parts: LandPart[] | null = null;

function load(): LandPart[] {
  const require = createRequire(import.meta.url);
  const topo = JSON.parse(readFileSync(require.resolve('world-atlas/land-50m.json'), 'utf8')) as Topology;
  const land = feature(topo, topo.objects.land!) as unknown as Feature<MultiPolygon> | { features: Feature<MultiPolygon | Polygon>[] };
  const features = 'features' in land ? land.features : [land];
  const out: LandPart[] = [];
  for (const f of features) {
    const polys: Position[][][] = f.geometry.type === 'Polygon' ? [f.geometry.coordinates as Position[][]] : (f.geometry.coordinates as Position[][][]);
    for (const original of polys) {
      const rings = original.map(unwrap);
      let minX = Infinity,
        minY = 90,
        maxX = -Infinity,
        maxY = -90;
      for (const [x, y] of rings[0]!) {
        if (x! < minX) minX = x!;
        if (x! > maxX) maxX = x!;
        if (y! < minY) minY = y!;
        if (y! > maxY) maxY = y!;
      }
      out.push({ bbox: [minX, minY, maxX, maxY], polygon: { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: rings } } });
    }
  }
  return out;
}

export function isOnLand(lat: number, lon: number): boolean {
  parts ??= load();
  for (const p of parts) {
    const [minX, minY, maxX, maxY] = p.bbox;
    if (lat < minY || lat > maxY) continue;
    // an unwrapped ring may extend past +-180: try the point's equivalent longitudes too
    for (const x of [lon, lon + 360, lon - 360]) {
      if (x < minX || x > maxX) continue;
      if (booleanPointInPolygon([x, lat], p.polygon)) return true;
    }
  }
  return false;
}

/**
 * Rings cut at the antimeridian (Chukotka, Fiji) jump from +180 to -180;
 * taken as plane shapes they would span the globe. Unwrap them into one
 * continuous longitude range. A ring round a pole (Antarctica) does not close
 * when unwrapped: it stays as it is.
 */
function unwrap(ring: Position[]): Position[] {
  let offset = 0;
  const out: Position[] = [];
  for (let i = 0; i < ring.length; i++) {
    const [x, y] = ring[i] as [number, number];
    if (i > 0) {
      const prev = (ring[i - 1] as [number, number])[0];
      if (x - prev > 180) offset -= 360;
      else if (prev - x > 180) offset += 360;
    }
    out.push([x + offset, y]);
  }
  const first = out[0]!;
  const last = out[out.length - 1]!;
  return Math.abs(first[0]! - last[0]!) > 1e-9 ? ring : out;
}
