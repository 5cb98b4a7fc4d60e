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
    for (const rings of polys) {
      let minX = 180, minY = 90, maxX = -180, maxY = -90;
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
    if (lon < minX || lon > maxX || lat < minY || lat > maxY) continue;
    if (booleanPointInPolygon([lon, lat], p.polygon)) return true;
  }
  return false;
}
