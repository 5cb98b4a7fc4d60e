// Where the engine's bytes per container go: loads N containers (default
// 2,000) for 27 h as the engine bench does (every rule on, plans with a route),
// takes a V8 heap snapshot before the engine exists and after loading, and
// prints the difference per container by kind of object (constructor name for
// objects, V8's node type otherwise), largest first, with the typed arrays'
// backing stores (outside the heap) on a line of their own.
//
//   npm run build && node --expose-gc bench/heap-breakdown.mjs [containers] [hours] [--bytes-only] [--without RULE_ID]
//
// --without RULE_ID (repeatable) leaves a rule out of the engine: the
// difference from a run with every rule is that rule's bytes per container.
import { getHeapSnapshot } from 'node:v8';
import { loadConfig } from '../dist/src/config/load.js';
import { defaultPorts } from '../dist/src/geo/ports.js';
import { newTripDirectory } from '../dist/src/pipeline/app.js';
import { RuleEngine } from '../dist/src/rules/engine.js';
import { ALL_RULES } from '../dist/src/rules/index.js';
import { slabBytes } from '../dist/src/rules/rolling-baseline.js';
import { makePlans } from './lib/fleet.mjs';
import { cycle } from './suites/engine.mjs';

const argv = process.argv.slice(2);
/** Rules left out (--without RULE_ID). */
const without = new Set();
for (let i = argv.indexOf('--without'); i !== -1; i = argv.indexOf('--without')) {
  const id = argv[i + 1];
  if (!ALL_RULES.some((r) => r.id === id)) throw new Error(`--without: no rule ${id} (rules: ${ALL_RULES.map((r) => r.id).join(', ')})`);
  without.add(id);
  argv.splice(i, 2);
}
const args = argv.filter((a) => a !== '--bytes-only');
/** --bytes-only: the bytes per container alone, without heap snapshots (quicker, and nothing of the snapshots' own allocation in the figure). */
const bytesOnly = process.argv.includes('--bytes-only');
const n = Number(args[0] ?? 2000);
const hours = Number(args[1] ?? 27);
if (!(n > 0) || !(hours > 0)) throw new Error('usage: heap-breakdown.mjs [containers > 0] [hours > 0]');
if (typeof globalThis.gc !== 'function') throw new Error('run node with --expose-gc');

/** Self sizes summed by kind: a Map of kind -> [bytes, count]. */
async function census() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  globalThis.gc();
  const { heapUsed } = process.memoryUsage();
  // (the baselines' slab is a resizable ArrayBuffer, which memoryUsage's arrayBuffers does not count)
  const arrayBuffers = process.memoryUsage().arrayBuffers + slabBytes();
  if (bytesOnly) return { kinds: new Map(), arrayBuffers, heapUsed };
  const chunks = [];
  for await (const c of getHeapSnapshot()) chunks.push(c);
  const snap = JSON.parse(Buffer.concat(chunks).toString());
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((k) => f.indexOf(k));
  const ef = snap.snapshot.meta.edge_fields;
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const [eType, eName] = ['type', 'name_or_index'].map((k) => ef.indexOf(k));
  const out = new Map();
  const nodes = snap.nodes;
  const [eTo] = ['to_node'].map((k) => ef.indexOf(k));
  // each node's first retainer and the name of the edge from it, to name an array by where it is held
  const retainer = new Int32Array(nodes.length / f.length).fill(-1);
  const retainedAs = new Array(nodes.length / f.length);
  for (let i = 0, e = 0; i < nodes.length; i += f.length) {
    for (let k = 0; k < nodes[i + iEdges]; k++, e += ef.length) {
      const to = snap.edges[e + eTo] / f.length;
      const et = edgeTypes[snap.edges[e + eType]];
      if (retainer[to] !== -1 || et === 'weak' || et === 'shortcut') continue;
      retainer[to] = i / f.length;
      retainedAs[to] = et === 'element' || et === 'hidden' ? `[${snap.edges[e + eName]}]` : snap.strings[snap.edges[e + eName]];
    }
  }
  const nodeName = (j) => snap.strings[nodes[j * f.length + iName]];
  let edge = 0;
  for (let i = 0; i < nodes.length; i += f.length) {
    const type = types[nodes[i + iType]];
    const name = snap.strings[nodes[i + iName]];
    const edgeCount = nodes[i + iEdges];
    let kind = type === 'object' || type === 'closure' || type === 'hidden' || type === 'array' ? `${type} ${name.slice(0, 60)}` : type;
    if (kind === 'array (object elements)' || kind === 'object Array' || kind === 'array ') {
      // an array named by the property that holds it (the elements store by its array's holder)
      let j = i / f.length;
      if (kind === 'array (object elements)' && retainer[j] !== -1) j = retainer[j];
      const holder = retainer[j];
      kind += ` of ${holder === -1 ? '?' : nodeName(holder).slice(0, 30)}.${retainedAs[j] ?? '?'}`;
    }
    if (kind === 'number' || kind === 'string' || kind === 'concatenated string' || kind === 'hidden system / PropertyArray') {
      // boxed doubles and strings named by the property that holds them
      // a rope's pieces by the holder of the rope
      let j = i / f.length;
      while (retainer[j] !== -1 && types[nodes[retainer[j] * f.length + iType]] === 'concatenated string') j = retainer[j];
      const holder = retainer[j];
      kind += ` of ${holder === -1 ? '?' : nodeName(holder).slice(0, 30)}.${retainedAs[j] ?? '?'}`;
    }
    if (kind === 'object Object') {
      // plain objects told apart by their property names (rule states, timer states, ...)
      const props = [];
      for (let e = edge; e < edge + edgeCount * ef.length; e += ef.length) if (edgeTypes[snap.edges[e + eType]] === 'property') props.push(snap.strings[snap.edges[e + eName]]);
      kind += ` {${props.join(',').slice(0, 90)}}`;
    }
    edge += edgeCount * ef.length;
    const e = out.get(kind) ?? [0, 0];
    e[0] += nodes[i + iSize];
    e[1]++;
    out.set(kind, e);
  }
  return { kinds: out, arrayBuffers, heapUsed };
}

const config = loadConfig({ env: {} });
const ports = defaultPorts();
const plans = makePlans(n, { devicePrefix: 'eng', withRoute: true });
const trips = newTripDirectory(config);
for (const p of plans) trips.upsert(p);
const before = await census();
const engine = new RuleEngine({ config, trips, ports, rules: ALL_RULES.filter((r) => !without.has(r.id)), output: { alert: () => {}, late: () => {} } });
const cycles = Math.round((hours * 3_600_000) / (15 * 60_000));
for (let k = 0; k < cycles; k++) for (const r of cycle(plans, k)) engine.ingest(r);
const after = await census();
const rows = [];
let total = 0;
for (const [kind, [bytes, count]] of after.kinds) {
  const [b0, c0] = before.kinds.get(kind) ?? [0, 0];
  const d = (bytes - b0) / n;
  total += d;
  if (Math.abs(d) >= 4) rows.push([kind, d, (count - c0) / n]);
}
rows.sort((a, b) => b[1] - a[1]);
const buffers = (after.arrayBuffers - before.arrayBuffers) / n;
const used = (after.heapUsed - before.heapUsed) / n;
process.stdout.write(
  `${without.size ? `without ${[...without].join(', ')}: ` : ''}${n} containers after ${hours} h (${engine.stats.processed} readings): ${(used + buffers).toFixed(0)} bytes per container in use after collections (heap ${used.toFixed(0)} + array buffers ${buffers.toFixed(0)}, as the engine bench counts); the snapshot's objects below sum to ${total.toFixed(0)} (it may count garbage the collector had not yet taken)\n`,
);
process.stdout.write('bytes/container  objects/container  kind\n');
for (const [kind, d, c] of rows) process.stdout.write(`${d.toFixed(1).padStart(15)}  ${c.toFixed(2).padStart(17)}  ${kind}\n`);
process.stdout.write(`${buffers.toFixed(1).padStart(15)}  ${''.padStart(17)}  (typed-array backing stores and the baselines' slab, outside the heap)\n`);
