#!/usr/bin/env node
// `npm run fuzz`: hostile payloads through the compiled normaliser (dist/),
// 1,000,000 cases per wire format by default, from three generators: random
// bytes, structured near-valid payloads (valid shape, one value swapped for a
// wrong type, a huge number, deep nesting or a prototype key), and byte-level
// mutations of valid corpus payloads (WIRE examples and generated ones).
//
// A crash is: the normaliser throws; it returns something other than readings
// and dead letters; a dead letter says "decoder error" (the normaliser caught
// a decoder throwing), has an unknown reason or no detail, or does not keep
// the payload; or a reading fails the model's wire schema. Each crash is
// reported with the case seed that regenerates it and its payload; the
// summary goes to .cache/fuzz/summary.json (or --out); exit code 1 on any.
//
//   node scripts/fuzz.mjs [--cases N] [--seed S] [--formats json-v1,csv-v1,batch-v1] [--out FILE] [--no-build]
//   node scripts/fuzz.mjs --replay FORMAT:CASESEED     (prints one case and what it gave)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FORMATS = ['json-v1', 'csv-v1', 'batch-v1'];
const MAX_REPORTED = 50;

function usage(msg) {
  if (msg) process.stderr.write(`fuzz: ${msg}\n`);
  process.stderr.write('usage: node scripts/fuzz.mjs [--cases N] [--seed S] [--formats json-v1,csv-v1,batch-v1] [--out FILE] [--no-build] | --replay FORMAT:CASESEED\n');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { cases: 1_000_000, seed: 1, formats: FORMATS, out: join(root, '.cache', 'fuzz', 'summary.json'), build: true, replay: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => (arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i]) ?? usage(`${arg}: missing value`);
    if (arg.startsWith('--cases')) a.cases = Number(value());
    else if (arg.startsWith('--seed')) a.seed = Number(value());
    else if (arg.startsWith('--formats')) a.formats = value().split(',');
    else if (arg.startsWith('--out')) a.out = value();
    else if (arg.startsWith('--replay')) a.replay = value();
    else if (arg === '--no-build') a.build = false;
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown option ${arg}`);
  }
  if (!Number.isInteger(a.cases) || a.cases < 1) usage('--cases: expected a whole number >= 1');
  if (!Number.isInteger(a.seed) || a.seed < 0) usage('--seed: expected a whole number >= 0');
  for (const f of a.formats) if (!FORMATS.includes(f)) usage(`--formats: unknown format ${f}; expected some of ${FORMATS.join(', ')}`);
  return a;
}

// ---- deterministic randomness: one splitmix32 stream per case ----

function mix(x) {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    return mix(s) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (arr) => arr[int(arr.length)], chance: (p) => next() < p };
}
export const caseSeed = (seed, format, i) => mix(mix(seed + 0x51ed27) ^ mix(FORMATS.indexOf(format) + 1) ^ mix(i + 0x2545f491));

// ---- the world the payloads live in ----

const RECEIVED = Date.parse('2026-01-10T00:00:00Z');
export { PLANS as FUZZ_PLANS, RECEIVED as FUZZ_RECEIVED };
const PLANS = [
  { tripId: 'T-FUZZ-1', containerId: 'MSCU1234566', deviceId: 'acme-00042', origin: 'NLRTM', destination: 'BRSSZ', transshipments: [], departure: '2026-01-07T10:00:00Z', eta: '2026-01-24T06:00:00Z' },
  { tripId: 'T-FUZZ-2', containerId: 'CSQU3054383', deviceId: 'sat-0091', origin: 'NLRTM', destination: 'BRSSZ', transshipments: [], departure: '2026-01-07T10:00:00Z', eta: '2026-01-24T06:00:00Z' },
  { tripId: 'T-FUZZ-3', containerId: 'TGHU7654320', deviceId: 'acme-00077', origin: 'NLRTM', destination: 'BRSSZ', transshipments: [], departure: '2026-01-07T10:00:00Z', eta: '2026-01-24T06:00:00Z' },
];
const CONTAINERS = ['MSCU1234566', 'CSQU3054383', 'TGHU7654320', 'MSCU1234567', 'ABCD1234560', 'mscu1234566', ''];
const DEVICES = ['acme-00042', 'sat-0091', 'acme-00077', 'dev-unbound'];
/** Mostly a device with the container its plan binds it to, so near-valid payloads reach the readings path. */
const pair = (r) => (r.chance(0.85) ? (({ deviceId, containerId }) => ({ deviceId, containerId }))(r.pick(PLANS)) : { deviceId: r.pick(DEVICES), containerId: r.pick(CONTAINERS) });
const KINDS = ['door', 'gps', 'light', 'temp'];
const EVENT_TYPES = ['DOOR_OPENED', 'DOOR_CLOSED', 'LOCATION', 'LIGHT', 'TEMPERATURE'];
const HOSTILE = [null, true, false, '', 'open', '__proto__', 'constructor', [], {}, -0, 0, 1e308, -1e308, 2 ** 53 + 1, 1e-320, 91, -181, 361, 1001, 1e6 + 1, 'NaN', '1', ['1'], { a: 1 }];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const TOKENS = ['"__proto__"', '"constructor"', '1e999', '-1e999', '9'.repeat(400), '{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', '\ud800', ';', '\n', '\r\n', '-', '.', 'null', 'true', '0', 'NaN', 'Infinity', '"', '{"a":'.repeat(50)];

function isoTime(r) {
  // mostly plausible, sometimes far off (clock skew) or malformed
  const offset = r.pick([0, -60_000, -3_600_000 * 5, 3_599_000, 3_601_000, -31 * 86_400_000, 400 * 86_400_000, -86_400_000 * 20_000]);
  const t = RECEIVED + offset - r.int(600_000);
  const s = new Date(t).toISOString();
  if (r.chance(0.1)) return r.pick([s.replace('Z', ''), s.replace('T', ' '), s.slice(0, 19) + '.' + '1'.repeat(1 + r.int(12)) + 'Z', '2026-02-30T00:00:00Z', '2026-01-07T24:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '']);
  return r.chance(0.3) ? s.replace('.000Z', 'Z') : s;
}
const num = (r, lo, hi) => (r.chance(0.05) ? r.pick(HOSTILE) : lo + r.next() * (hi - lo));
const deep = (n, leaf) => {
  let v = leaf;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

/** Swaps one value (or adds a prototype key) in an object built by a generator. */
function corrupt(r, obj) {
  const keys = Object.keys(obj);
  const roll = r.int(6);
  if (roll === 0 && keys.length) delete obj[r.pick(keys)];
  else if (roll === 1) Object.defineProperty(obj, r.pick(HOSTILE_KEYS), { value: r.chance(0.5) ? { polluted: 1, ...obj } : r.pick(HOSTILE), enumerable: true, writable: true, configurable: true });
  else if (roll === 2 && keys.length) obj[r.pick(keys)] = deep(1 + r.int(r.chance(0.02) ? 4000 : 40), r.pick(HOSTILE));
  else if (keys.length) obj[r.pick(keys)] = r.pick(HOSTILE);
  return obj;
}

function jsonReading(r, kind, containerId) {
  const o = { msgId: r.chance(0.02) ? r.pick(['', 'x'.repeat(201), 7]) : `m-${r.int(50_000)}`, containerId, ts: isoTime(r) };
  if (kind === 'door') o.state = r.chance(0.95) ? r.pick(['open', 'closed']) : r.pick(['OPEN', 1, null]);
  else if (kind === 'gps') {
    o.lat = num(r, -90, 90);
    o.lon = num(r, -180, 180);
    if (r.chance(0.5)) o.speedKn = num(r, 0, 30);
    if (r.chance(0.5)) o.headingDeg = num(r, 0, 360);
    if (r.chance(0.3)) o.hdop = num(r, 0.1, 5);
  } else if (kind === 'light') o.lux = num(r, 0, 1000);
  else {
    o.celsius = num(r, -60, 80);
    if (r.chance(0.5)) o.setpointC = num(r, -30, 30);
  }
  return o;
}

function batchEvent(r, i) {
  const type = r.chance(0.97) ? r.pick(EVENT_TYPES) : r.pick(['HUMIDITY', '', null, 'constructor', '__proto__']);
  const { deviceId, containerId } = pair(r);
  const e = { eventId: `e-${i}-${r.int(50_000)}`, equipmentReference: containerId, deviceId, eventDateTime: isoTime(r), eventType: type };
  if (type === 'LOCATION') {
    e.latitude = num(r, -90, 90);
    e.longitude = num(r, -180, 180);
    if (r.chance(0.5)) e.speedKnots = num(r, 0, 30);
    if (r.chance(0.3)) e.headingDegrees = num(r, 0, 360);
  } else if (type === 'LIGHT') e.lux = num(r, 0, 1000);
  else if (type === 'TEMPERATURE') {
    e.temperatureCelsius = num(r, -60, 80);
    if (r.chance(0.5)) e.setpointCelsius = num(r, -30, 30);
  }
  return r.chance(0.1) ? corrupt(r, e) : e;
}

function csvLine(r) {
  const seq = r.chance(0.95) ? String(r.int(65536)) : r.pick(['65536', '-1', '', 'x', '0'.repeat(30), '1.5']);
  const ts = Date.parse(isoTime(r));
  const epoch = Number.isNaN(ts) || r.chance(0.03) ? r.pick(['', '-5', '1e9', '9'.repeat(13), 'x']) : String(Math.floor(ts / 1000));
  const type = r.chance(0.95) ? r.pick(['D', 'G', 'L', 'T']) : r.pick(['X', '', 'GG', 'd']);
  const dec = (lo, hi) => (r.chance(0.05) ? String(r.pick(HOSTILE)) : (lo + r.next() * (hi - lo)).toFixed(r.int(7)));
  let values;
  if (type === 'D') values = [r.chance(0.95) ? r.pick(['0', '1']) : r.pick(['2', '', 'open'])];
  else if (type === 'G') values = [dec(-90, 90), dec(-180, 180), r.chance(0.7) ? dec(0, 30) : '', r.chance(0.7) ? dec(0, 360) : ''].slice(0, 2 + r.int(3));
  else if (type === 'L') values = [String(r.int(r.chance(0.9) ? 5000 : 1e9))];
  else values = [String(r.int(1400) - 600), ...(r.chance(0.5) ? [String(r.int(600) - 300)] : [])];
  if (r.chance(0.05)) values.push(r.pick(['', 'x', '1']));
  return [seq, type, epoch, ...values].join(';') + r.pick(['', '', '', '\n', '\r\n']);
}

/** A valid-looking payload of the format (the corpus and the near-valid generator both start here). */
function structured(r, format, corruptP) {
  if (format === 'json-v1') {
    const kind = r.chance(0.97) ? r.pick(KINDS) : r.pick(['humidity', '__proto__', 'constructor']);
    const { deviceId, containerId } = pair(r);
    const doc = jsonReading(r, KINDS.includes(kind) ? kind : 'door', containerId);
    return { topic: `ssd/json/${deviceId}/${kind}`, text: JSON.stringify(r.chance(corruptP) ? corrupt(r, doc) : doc) };
  }
  if (format === 'csv-v1') return { topic: `ssd/csv/${pair(r).deviceId}`, text: csvLine(r) };
  const gatewayId = r.chance(0.97) ? 'VSL-9876543' : r.pick(['VSL-1', '', '__proto__']);
  // now and then one over WIRE's limit of 10,000 events (the same event repeated: cheap to build)
  const events = r.chance(0.002) ? new Array(10_001).fill(batchEvent(r, 0)) : Array.from({ length: r.int(r.chance(0.95) ? 12 : 200) }, (_, i) => batchEvent(r, i));
  const env = { gatewayId, sentAt: isoTime(r), events };
  return { topic: `ssd/batch/VSL-9876543`, text: JSON.stringify(r.chance(corruptP) ? corrupt(r, env) : env) };
}

const WIRE_EXAMPLES = {
  'json-v1': [
    ['ssd/json/acme-00042/door', '{"msgId":"a1b2-000017","containerId":"MSCU1234566","ts":"2026-01-09T23:59:00Z","state":"open"}'],
    ['ssd/json/acme-00042/gps', '{"msgId":"a1b2-000018","containerId":"MSCU1234566","ts":"2026-01-09T23:59:30Z","lat":51.9213,"lon":4.4811,"speedKn":0.2,"headingDeg":181,"hdop":0.9}'],
  ],
  'csv-v1': [
    ['ssd/csv/sat-0091', `4711;G;${RECEIVED / 1000 - 60};51.92130;4.48110;0.2;181`],
    ['ssd/csv/sat-0091', `4712;D;${RECEIVED / 1000 - 30};1`],
    ['ssd/csv/sat-0091', `4713;T;${RECEIVED / 1000 - 10};-182;-180`],
  ],
  'batch-v1': [
    [
      'ssd/batch/VSL-9876543',
      JSON.stringify({
        gatewayId: 'VSL-9876543',
        sentAt: '2026-01-09T23:59:00Z',
        events: [
          { eventId: 'e-1', equipmentReference: 'MSCU1234566', deviceId: 'acme-00042', eventDateTime: '2026-01-09T23:58:00Z', eventType: 'DOOR_OPENED' },
          { eventId: 'e-2', equipmentReference: 'MSCU1234566', deviceId: 'acme-00042', eventDateTime: '2026-01-09T23:58:30Z', eventType: 'LOCATION', latitude: 51.9213, longitude: 4.4811, speedKnots: 0.2 },
        ],
      }),
    ],
  ],
};

function mutate(r, bytes) {
  let b = Buffer.from(bytes);
  const rounds = 1 + r.int(4);
  for (let k = 0; k < rounds; k++) {
    const at = r.int(b.length + 1);
    switch (r.int(6)) {
      case 0: // flip bits
        if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << r.int(8);
        break;
      case 1: // random byte
        if (b.length) b[Math.min(at, b.length - 1)] = r.int(256);
        break;
      case 2: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + r.int(8)))]);
        break;
      case 3: // insert a token
        b = Buffer.concat([b.subarray(0, at), Buffer.from(r.pick(TOKENS)), b.subarray(at)]);
        break;
      case 4: // truncate
        b = b.subarray(0, at);
        break;
      default: // duplicate a chunk
        b = Buffer.concat([b.subarray(0, at), b.subarray(r.int(b.length + 1)), b.subarray(at)]);
    }
  }
  return b;
}

const GENERATORS = ['random-bytes', 'near-valid', 'corpus-mutation'];

/** Case number i of a format: its generator, topic and payload, from its seed alone (also the malformed corpus of test/unit/decode-identity.test.ts). */
export function makeCase(format, seed) {
  return { format, ...makeCaseOf(format, seed) };
}

function makeCaseOf(format, seed) {
  const r = rng(seed);
  const generator = GENERATORS[r.int(GENERATORS.length)];
  if (generator === 'random-bytes') {
    const len = r.chance(0.01) ? r.int(40_000) : r.int(300);
    const bytes = Buffer.alloc(len);
    for (let i = 0; i < len; i++) bytes[i] = r.chance(0.7) ? 32 + r.int(95) : r.int(256);
    const topics = { 'json-v1': `ssd/json/${r.pick(DEVICES)}/${r.pick(KINDS)}`, 'csv-v1': `ssd/csv/${r.pick(DEVICES)}`, 'batch-v1': 'ssd/batch/VSL-9876543' };
    return { generator, topic: topics[format], payload: bytes };
  }
  if (generator === 'near-valid') {
    const { topic, text } = structured(r, format, 0.5);
    return { generator, topic, payload: Buffer.from(text) };
  }
  const [topic, text] = r.chance(0.3) ? r.pick(WIRE_EXAMPLES[format]) : (({ topic: t, text: x }) => [t, x])(structured(r, format, 0));
  return { generator, topic, payload: mutate(r, Buffer.from(text)) };
}

// ---- checking ----

function check(lib, result, payload, format) {
  if (!result || typeof result !== 'object' || !Array.isArray(result.readings) || !Array.isArray(result.deadLetters) || typeof result.duplicates !== 'number') return 'result is not {readings, deadLetters, duplicates}';
  for (const r of result.readings) {
    let wire;
    try {
      wire = lib.readingToWire(r);
    } catch (err) {
      return `reading cannot be put on the wire: ${err.message}`;
    }
    const v = lib.WireReadingSchema.safeParse(wire);
    if (!v.success) return `reading fails the wire schema: ${lib.describeZodError(v.error)}: ${JSON.stringify(wire).slice(0, 300)}`;
  }
  for (const d of result.deadLetters) {
    if (!(d.reason in lib.DEAD_LETTER_REASONS)) return `dead letter with unknown reason ${JSON.stringify(d.reason)}`;
    if (typeof d.detail !== 'string' || d.detail.length < 5) return `dead letter ${d.reason} without a detail`;
    if (d.detail.startsWith('decoder error')) return `decoder threw (caught by the normaliser): ${d.detail}`;
    if (d.payload === undefined && d.payloadBase64 === undefined) return `dead letter ${d.reason} lost its payload`;
    if (format !== 'batch-v1') {
      // a batch's events are dead-lettered one by one, each with its own JSON
      const kept = d.payload !== undefined ? Buffer.from(d.payload) : Buffer.from(d.payloadBase64, 'base64');
      if (!kept.equals(payload)) return `dead letter ${d.reason} kept a different payload`;
    }
  }
  return null;
}

async function loadLib() {
  const dist = (p) => import(join(root, 'dist', 'src', p));
  const [{ loadConfig }, { TripDirectory }, { buildNormaliser }, reading, deadLetter, tripPlan] = await Promise.all([
    dist('config/load.js'),
    dist('trips/directory.js'),
    dist('normalise/normaliser.js'),
    dist('model/reading.js'),
    dist('normalise/dead-letter.js'),
    dist('trips/schema.js'),
  ]);
  const config = loadConfig({ env: {} });
  const newNormaliser = () => buildNormaliser(config, new TripDirectory({ bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs }, PLANS));
  return { newNormaliser, readingToWire: reading.readingToWire, WireReadingSchema: reading.WireReadingSchema, DEAD_LETTER_REASONS: deadLetter.DEAD_LETTER_REASONS, describeZodError: tripPlan.describeZodError, config };
}

function runOne(lib, n, c) {
  let result;
  try {
    result = n.normalise(c.topic, c.payload, RECEIVED);
  } catch (err) {
    return { problem: `threw ${err?.name ?? typeof err}: ${err?.message ?? String(err)}`, result: null };
  }
  return { problem: check(lib, result, c.payload, c.format), result };
}

function describeCase(format, seed, c) {
  const text = c.payload.toString('utf8');
  return {
    format,
    caseSeed: seed,
    generator: c.generator,
    topic: c.topic,
    bytes: c.payload.length,
    payload: text.length <= 2000 ? text : `${text.slice(0, 2000)}...`,
    payloadBase64: c.payload.length <= 4000 ? c.payload.toString('base64') : undefined,
    replay: `node scripts/fuzz.mjs --replay ${format}:${seed}`,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.build) execFileSync(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const lib = await loadLib();
  if (args.replay) {
    const [format, s] = args.replay.split(':');
    if (!FORMATS.includes(format) || !/^\d+$/.test(s ?? '')) usage('--replay: expected FORMAT:CASESEED');
    const c = makeCase(format, Number(s));
    const { problem, result } = runOne(lib, lib.newNormaliser(), c);
    process.stdout.write(`${JSON.stringify({ ...describeCase(format, Number(s), c), problem, result }, null, 2)}\n`);
    process.exit(problem ? 1 : 0);
  }
  const started = Date.now();
  const summary = { date: new Date().toISOString(), node: process.version, seed: args.seed, casesPerFormat: args.cases, formats: {}, crashes: 0 };
  for (const format of args.formats) {
    const t0 = Date.now();
    let lastReport = t0;
    const s = { cases: 0, readings: 0, duplicates: 0, deadLetters: {}, generators: Object.fromEntries(GENERATORS.map((g) => [g, 0])), crashes: 0, crashCases: [] };
    let n = lib.newNormaliser();
    for (let i = 0; i < args.cases; i++) {
      if (i % 100_000 === 0) n = lib.newNormaliser(); // duplicates stay possible, memory stays small
      const seed = caseSeed(args.seed, format, i);
      const c = makeCase(format, seed);
      const { problem, result } = runOne(lib, n, c);
      s.cases++;
      s.generators[c.generator]++;
      if (result) {
        s.readings += result.readings?.length ?? 0;
        s.duplicates += result.duplicates ?? 0;
        for (const d of result.deadLetters ?? []) s.deadLetters[d.reason] = (s.deadLetters[d.reason] ?? 0) + 1;
      }
      if (problem) {
        s.crashes++;
        if (s.crashCases.length < MAX_REPORTED) {
          const info = { ...describeCase(format, seed, c), problem };
          s.crashCases.push(info);
          process.stderr.write(`[fuzz] CRASH ${format} case ${i} (seed ${seed}, ${c.generator}): ${problem}\n        payload: ${JSON.stringify(info.payload).slice(0, 300)}\n        replay:  ${info.replay}\n`);
        }
      }
      const now = Date.now();
      if (now - lastReport >= 2000 || i + 1 === args.cases) {
        process.stderr.write(`[fuzz] ${format}: ${(i + 1).toLocaleString('en')}/${args.cases.toLocaleString('en')} cases, ${Math.round(((i + 1) * 1000) / Math.max(1, now - t0)).toLocaleString('en')} cases/s, ${s.crashes} crash(es)\n`);
        lastReport = now;
      }
    }
    s.durationMs = Date.now() - t0;
    s.casesPerSecond = Math.round((s.cases * 1000) / Math.max(1, s.durationMs));
    summary.formats[format] = s;
    summary.crashes += s.crashes;
  }
  summary.durationMs = Date.now() - started;
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(summary, null, 2)}\n`);
  const line = args.formats.map((f) => `${f} ${summary.formats[f].cases.toLocaleString('en')} cases, ${summary.formats[f].crashes} crash(es)`).join('; ');
  process.stdout.write(`fuzz: ${line}; summary ${relative(process.cwd(), args.out) || args.out}\n`);
  process.exit(summary.crashes ? 1 : 0);
}

// imported for its case generator (makeCase, FUZZ_PLANS, FUZZ_RECEIVED): no run
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`fuzz: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
