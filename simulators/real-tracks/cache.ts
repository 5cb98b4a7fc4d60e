import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/paths.js';
import { writeCorpus } from '../corpus.js';
import { buildRealTrackCorpora, DEFAULT_SEED, type CorpusStats } from './build.js';

/**
 * The real-track corpora in the cache, built when missing:
 * `${SEALWATCH_CACHE:-~/.cache/sealwatch}/real-tracks/<data version>/`
 *   data/       the AIS files (scripts/real-tracks/fetch.sh)
 *   clean/      voyages, 2-6 containers a vessel, no breach (simulators/corpus.ts layout)
 *   breaches/   the same containers, about half with an injected, labelled breach
 *   harbour/    harbour craft (tracks that never leave their port's waters), one clean container each
 *   corpus.json what built them (converter fingerprint, seed) and their stats
 * The corpora are rebuilt when the converter's sources change (fingerprint).
 */
export const DATA_VERSION = '1.7.3.1';

export interface RealTrackCorpus {
  clean: string;
  breaches: string;
  harbour: string;
  stats: CorpusStats;
}

/** The corpora a build writes, as directories beside `data/`. */
export const VARIANTS = ['clean', 'breaches', 'harbour'] as const;

export function realTracksDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.SEALWATCH_CACHE || join(homedir(), '.cache', 'sealwatch'), 'real-tracks', DATA_VERSION);
}

/** What the corpora are made from besides the data: the converter and what it uses. */
const INPUTS = [
  ...['simulators/real-tracks'].flatMap((d) => listTs(d)),
  'simulators/encoders.ts',
  'simulators/delivery.ts',
  'simulators/corpus.ts',
  'simulators/rng.ts',
  'simulators/geo.ts',
  'simulators/route.ts',
  'simulators/sea-lanes.ts',
  'config/ports.json',
];

function listTs(dir: string): string[] {
  const abs = packagePath(dir);
  return existsSync(abs)
    ? readdirSync(abs)
        .filter((f) => f.endsWith('.ts'))
        .sort()
        .map((f) => `${dir}/${f}`)
    : [];
}

export function converterFingerprint(seed = DEFAULT_SEED): string {
  const h = createHash('sha256').update(`seed ${seed}\n`);
  for (const f of INPUTS) {
    const p = packagePath(f);
    h.update(`${f}\n`);
    if (existsSync(p)) h.update(readFileSync(p));
  }
  return h.digest('hex').slice(0, 16);
}

/** Runs the fetch step when the AIS files are not cached; returns their directory. */
export function ensureRealTrackData(log: (line: string) => void = () => {}): string {
  const data = join(realTracksDir(), 'data');
  if (existsSync(join(data, '.complete'))) return data;
  log(`real-tracks: AIS data not cached, running scripts/real-tracks/fetch.sh`);
  const r = spawnSync('bash', [packagePath('scripts', 'real-tracks', 'fetch.sh')], { encoding: 'utf8', env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const line of (r.stderr ?? '').split('\n')) if (line.trim()) log(line);
  if (r.status !== 0 || !existsSync(join(data, '.complete'))) {
    throw new Error(`scripts/real-tracks/fetch.sh failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
  }
  return data;
}

/** The cached corpora, built (and the data fetched) first when missing or made by another converter. */
export async function ensureRealTrackCorpus(opts: { force?: boolean; log?: (line: string) => void } = {}): Promise<RealTrackCorpus> {
  const log = opts.log ?? (() => {});
  const dir = realTracksDir();
  const manifest = join(dir, 'corpus.json');
  const fingerprint = converterFingerprint();
  const paths = { clean: join(dir, 'clean'), breaches: join(dir, 'breaches'), harbour: join(dir, 'harbour') };
  if (!opts.force && existsSync(manifest) && VARIANTS.every((v) => existsSync(paths[v]))) {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { fingerprint: string; stats: CorpusStats };
    if (m.fingerprint === fingerprint) return { ...paths, stats: m.stats };
    log(`real-tracks: converter changed (${m.fingerprint} -> ${fingerprint}), rebuilding`);
  }
  const data = ensureRealTrackData(log);
  const started = Date.now();
  log(`real-tracks: converting ${data} ...`);
  const built = buildRealTrackCorpora(data);
  // written next to the old ones and swapped in, so a reader never sees half a corpus
  const tmp = join(dir, `.build-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const v of VARIANTS) await writeCorpus(join(tmp, v), built[v]);
  for (const v of VARIANTS) {
    rmSync(paths[v], { recursive: true, force: true });
    renameSync(join(tmp, v), paths[v]);
  }
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(manifest, JSON.stringify({ dataVersion: DATA_VERSION, fingerprint, seed: DEFAULT_SEED, stats: built.stats }, null, 2) + '\n');
  const s = built.stats;
  log(
    `real-tracks: voyages ${s.vessels} vessels, ${s.containers} containers, ${s.containerDays} container-days, ${built.breaches.labels.length} injected breaches; harbour ${s.harbour.containers} containers, ${s.harbour.containerDays} container-days; in ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return { ...paths, stats: s };
}
