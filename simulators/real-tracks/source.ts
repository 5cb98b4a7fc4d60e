import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * The AIS files of tracktable-data (scripts/real-tracks/fetch.sh puts them in
 * the cache) and their readers. The `.traj` files are tracktable's text
 * trajectory format: one trajectory per line,
 *
 *   *T*,{uuid},{domain},{points},{trajectory props},[props...],
 *   *P*,{domain},{coords},{has object id},{has timestamp},{point props},[name,type...],
 *   then per point: {object id = MMSI},{YYYY-MM-DD HH:MM:SS, UTC},{lon},{lat},[prop values...]
 *
 * A vessel can have several trajectories in one file (tracktable split its
 * track at gaps); they are joined again per MMSI, so the gaps stay.
 */
export interface Source {
  /** Short tag used in gateway ids and stats. */
  tag: string;
  file: string;
  description: string;
}

export const SOURCES: readonly Source[] = [
  { tag: 'USC', file: 'US_coastal_2020_06_30.traj', description: 'US coasts (Pacific, Gulf, Atlantic, Puerto Rico, Alaska), 2020-06-30, one day' },
  { tag: 'NYH', file: 'NYHarbor_2020_12_first_week.traj', description: 'New York harbour, 2020-12-01..07, one week' },
  { tag: 'VAB', file: 'VirginiaBeach_2020_06_04_to_06_filtered.traj', description: 'Hampton Roads and off Virginia Beach, 2020-06-04..06, three days' },
];

/** One AIS position as recorded: ms since the epoch (whole seconds), degrees. */
export interface AisFix {
  t: number;
  lon: number;
  lat: number;
}

/** Reads a tracktable `.traj` file into the fixes of each vessel (MMSI), in file order. */
export function readTraj(path: string): Map<string, AisFix[]> {
  const text = readFileSync(path, 'utf8');
  const byVessel = new Map<string, AisFix[]>();
  const name = basename(path);
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    const f = line.split(',');
    const bad = (what: string): Error => new Error(`${name} line ${lineNo}: ${what} (not a tracktable trajectory line)`);
    if (f[0] !== '*T*') throw bad(`starts with ${JSON.stringify(f[0]?.slice(0, 10))}, expected *T*`);
    const points = Number(f[3]);
    const trajProps = Number(f[4]);
    if (!Number.isInteger(points) || points < 0 || !Number.isInteger(trajProps) || trajProps < 0) throw bad('point or property count is not a whole number');
    // trajectory properties are name,type,value triples before the point header
    const p = f.indexOf('*P*', 5);
    if (p < 0) throw bad('no *P* point header');
    const coords = Number(f[p + 2]);
    const hasId = f[p + 3] === '1';
    const hasTime = f[p + 4] === '1';
    const pointProps = Number(f[p + 5]);
    if (coords !== 2 || !hasId || !hasTime || !Number.isInteger(pointProps)) throw bad(`point header ${f.slice(p, p + 6).join(',')}: expected 2 coordinates, an object id and a timestamp`);
    const stride = 4 + pointProps;
    let i = p + 6 + 2 * pointProps;
    if (f.length < i + points * stride) throw bad(`${points} points announced, ${Math.floor((f.length - i) / stride)} present`);
    for (let k = 0; k < points; k++, i += stride) {
      const id = f[i]!;
      const t = Date.parse(`${f[i + 1]!.replace(' ', 'T')}Z`);
      const lon = Number(f[i + 2]);
      const lat = Number(f[i + 3]);
      if (!Number.isFinite(t) || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180)) throw bad(`point ${k + 1}: ${f.slice(i, i + 4).join(',')} is not an id, a time and a position`);
      let list = byVessel.get(id);
      if (!list) byVessel.set(id, (list = []));
      list.push({ t, lon, lat });
    }
  }
  return byVessel;
}
