// `npm run real-tracks`: the real-track corpora (simulators/real-tracks/README.md) in the cache,
// fetching the AIS data first and converting it when missing or when the converter changed.
// Prints where they are (clean voyages, voyages with breaches, harbour craft), the container
// counts and the container-days.
//
// Options (after `--`): --force  rebuild even when the cached corpora are current
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = new URL('../..', import.meta.url).pathname;
const { values: opt } = parseArgs({ options: { force: { type: 'boolean', default: false } } });

execFileSync(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], { stdio: 'inherit' });
const { ensureRealTrackCorpus } = await import(pathToFileURL(join(root, 'dist', 'simulators', 'real-tracks', 'cache.js')).href);

const log = (line) => process.stderr.write(`${line}\n`);
const c = await ensureRealTrackCorpus({ force: opt.force, log });
const s = c.stats;
console.log(`clean:    ${c.clean}`);
console.log(`breaches: ${c.breaches}`);
console.log(`harbour:  ${c.harbour}`);
console.log(
  `voyages: ${s.vessels} vessels carrying ${s.containers} containers, ${s.containerDays} container-days (${s.arrived} vessels reach their destination, ${s.reefers} reefers; json-v1 ${s.formats['json-v1']}, csv-v1 ${s.formats['csv-v1']}, batch-v1 ${s.formats['batch-v1']})`,
);
console.log(`harbour craft: ${s.harbour.containers} containers, ${s.harbour.containerDays} container-days`);
for (const x of s.sources)
  console.log(
    `  ${x.tag} ${x.file}: ${x.vessels} vessels, ${x.fixes} AIS fixes -> ${x.trips} voyages (${x.containers} containers, ${x.containerDays} container-days), ${x.harbour} harbour craft (${x.harbourDays} container-days) (times moved ${x.shiftDays} days)`,
  );
console.log(
  `injected breaches: ${Object.entries(s.labels)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')}`,
);
