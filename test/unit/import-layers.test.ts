import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.js';

/**
 * Imports run one way (DESIGN.md): cli -> api/replay -> pipeline ->
 * sinks/bus/rules/normalise/ingest -> trips/geo -> model. A folder may import
 * folders of a lower tier; folders of one tier may import each other in one
 * direction only (no cycle). `src` never imports `simulators/` (the simulator
 * builds on src and plays the devices); simulators may import src.
 */
const TIERS: Record<string, number> = {
  // the ground: canonical types, configuration and the small shared helpers at the root of src
  model: 0,
  config: 0,
  '.': 0,
  geo: 1,
  trips: 1,
  sinks: 2,
  bus: 2,
  rules: 2,
  normalise: 2,
  ingest: 2,
  pipeline: 3,
  api: 4,
  replay: 4,
  evaluate: 4,
  cli: 5,
};

interface ImportEdge {
  from: string;
  to: string;
}

/** Relative module specifiers of a file: static imports, re-exports, side-effect and dynamic imports with a literal path. */
function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2])!);
  return out.filter((s) => s.startsWith('.'));
}

/** The folder of src a repository path belongs to ('.' for files at src's root), or null outside src. */
function srcFolder(path: string): string | null {
  if (!path.startsWith('src/')) return null;
  const rest = path.slice(4).split('/');
  return rest.length === 1 ? (rest[0] === 'cli.ts' ? 'cli' : '.') : rest[0]!;
}

/** What breaks the one-way rule in a list of imports between repository paths. */
function violations(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  const between = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = srcFolder(e.from);
    if (a === null) continue; // simulators/, test/, bench/ may import src
    if (!e.to.startsWith('src/')) {
      problems.push(`${e.from} imports ${e.to}: src never imports outside src (${e.to.split('/')[0]}/ builds on src, not the other way)`);
      continue;
    }
    const b = srcFolder(e.to)!;
    if (a === b) continue;
    if (!(a in TIERS)) problems.push(`${e.from}: src/${a}/ has no place in the layer order (add it to TIERS)`);
    if (!(b in TIERS)) problems.push(`${e.to}: src/${b}/ has no place in the layer order (add it to TIERS)`);
    if (!(a in TIERS) || !(b in TIERS)) continue;
    if (TIERS[b]! > TIERS[a]!) problems.push(`${e.from} imports ${e.to}: ${label(a)} is below ${label(b)} and may not import it`);
    else if (TIERS[b] === TIERS[a]) {
      let s = between.get(a);
      if (!s) between.set(a, (s = new Set()));
      s.add(b);
    }
  }
  // within a tier, one direction only: the folder graph has no cycle
  for (const cycle of cycles(between)) problems.push(`imports run both ways between ${cycle.map(label).join(' -> ')}`);
  return problems;
}

function label(folder: string): string {
  return folder === '.' ? 'src/' : `src/${folder}/`;
}

function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    path.push(n);
    for (const m of [...(graph.get(n) ?? [])].sort()) {
      if (state.get(m) === 'open') found.push([...path.slice(path.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    path.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(packagePath(dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f).split('\\').join('/'))
    .sort();
}

function edgesOf(files: readonly string[]): ImportEdge[] {
  const root = packagePath();
  return files.flatMap((from) =>
    importSpecifiers(readFileSync(packagePath(from), 'utf8')).map((spec) => ({
      from,
      to: relative(root, resolve(root, dirname(from), spec))
        .split('\\')
        .join('/')
        .replace(/\.js$/, '.ts'),
    })),
  );
}

describe('imports run one way', () => {
  it('src: every import goes down the layer order or along it without a cycle, and never into simulators/', () => {
    const edges = edgesOf(tsFiles('src'));
    expect(edges.length).toBeGreaterThan(300); // the parser found the imports
    expect(violations(edges)).toEqual([]);
  });

  it('the check itself finds an import running back up, a cycle within a tier and an import of simulators/', () => {
    expect(violations([{ from: 'src/model/ports.ts', to: 'src/rules/geo-index.ts' }])).toEqual(['src/model/ports.ts imports src/rules/geo-index.ts: src/model/ is below src/rules/ and may not import it']);
    expect(
      violations([
        { from: 'src/trips/load.ts', to: 'src/geo/ports.ts' },
        { from: 'src/geo/x.ts', to: 'src/trips/schema.ts' },
      ]),
    ).toEqual(['imports run both ways between src/geo/ -> src/trips/ -> src/geo/']);
    expect(violations([{ from: 'src/cli/simulate-cmd.ts', to: 'simulators/fleet.ts' }])).toHaveLength(1);
    expect(violations([{ from: 'src/pipeline/x.ts', to: 'src/newfolder/y.ts' }])).toEqual(['src/newfolder/y.ts: src/newfolder/ has no place in the layer order (add it to TIERS)']);
    expect(
      violations([
        { from: 'simulators/fleet.ts', to: 'src/geo/ports.ts' },
        { from: 'src/cli/run-cmd.ts', to: 'src/pipeline/app.ts' },
      ]),
    ).toEqual([]);
  });

  it('the parser reads static, type-only, re-export, side-effect and literal dynamic imports', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "import './e.js';",
      "const f = await import('../../simulators/f.js');",
      "import {\n  g,\n  h,\n} from './g.js';",
      "import { z } from 'zod';",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js', '../../simulators/f.js', './g.js']);
  });

  it('only src/bus names a bus adapter: no import of kafka.ts or memory.ts and no instanceof of them elsewhere in src', () => {
    const edges = edgesOf(tsFiles('src'));
    expect(edges.filter((e) => /^src\/bus\/(kafka|memory)\.ts$/.test(e.to) && !e.from.startsWith('src/bus/'))).toEqual([]);
    const named = tsFiles('src').filter((f) => !f.startsWith('src/bus/') && /instanceof\s+(KafkaBus|MemoryBus)\b/.test(readFileSync(packagePath(f), 'utf8')));
    expect(named).toEqual([]);
  });

  it('topic names are written only in src/bus/topics.ts', () => {
    const topicLiteral = /(['"`])[^'"`\n]*\bsealwatch\.[a-z-]+\.v\d+\b[^'"`\n]*\1/;
    const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
    expect(topicLiteral.test(withoutComments("const t = 'sealwatch.alerts.v1'; // sealwatch.raw.v1"))).toBe(true);
    expect(topicLiteral.test(withoutComments('/** onto `sealwatch.alerts.v1` */ const x = 1;'))).toBe(false);
    const offenders = tsFiles('src').filter((f) => f !== 'src/bus/topics.ts' && topicLiteral.test(withoutComments(readFileSync(packagePath(f), 'utf8'))));
    expect(offenders).toEqual([]);
  });

  it('simulators build on src (geometry, ports, trip plans) and import nothing else outside simulators/', () => {
    const edges = edgesOf(tsFiles('simulators'));
    expect(edges.filter((e) => e.to.startsWith('src/geo/')).length).toBeGreaterThan(0);
    expect(edges.filter((e) => !e.to.startsWith('src/') && !e.to.startsWith('simulators/'))).toEqual([]);
  });
});
