import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { ERRORS } from '../../src/errors.js';
import { DEAD_LETTER_REASONS } from '../../src/normalise/dead-letter.js';

/*
 * The docs name every setting, error code and dead-letter reason the code
 * defines (as fastify checks its error codes): a key added to the schema, a
 * code added to the registry or a reason added to the dead-letter table fails
 * here, by name, until docs/ mentions it. The other way round, a document
 * that names a key or code the code does not have (renamed, retired, a typo)
 * fails too. And every relative link of the README and docs/ must lead to a
 * file, and its #anchor to a heading there.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCS = join(ROOT, 'docs');

interface Doc {
  file: string;
  text: string;
}

function docsFiles(): Doc[] {
  return readdirSync(DOCS)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => ({ file: join(DOCS, f), text: readFileSync(join(DOCS, f), 'utf8') }));
}

/* ---------- the names the code defines ---------- */

/** The part of a zod 4 schema's definition the walk needs. */
interface SchemaDef {
  type: string;
  innerType?: unknown;
  shape?: Record<string, unknown>;
  in?: unknown;
}
const defOf = (schema: unknown): SchemaDef => (schema as { _zod: { def: SchemaDef } })._zod.def;

/** Wrappers whose inner schema is the setting itself. */
const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'nonoptional', 'catch']);

/**
 * Every leaf key path of a zod object schema, e.g. `rules.doorOpen.movingSpeedKn`.
 * Objects are walked into (also when nullable, as `api.tls`, whose fields are
 * the settings); anything else, arrays included, is a leaf.
 */
function configKeyPaths(schema: unknown, path: string[] = []): string[] {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type)) return configKeyPaths(def.innerType, path);
  if (def.type === 'pipe') return configKeyPaths(def.in, path);
  if (def.type === 'object' && def.shape) return Object.entries(def.shape).flatMap(([k, v]) => configKeyPaths(v, [...path, k]));
  return [path.join('.')];
}

/** Inner nodes and leaves: what a document may name as a setting. */
function configPaths(keys: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const k of keys) {
    const parts = k.split('.');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('.'));
  }
  return out;
}

/* ---------- finding names in text ---------- */

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * True when `name` occurs in `text` as a whole name: not inside a longer
 * name (`api.port` is not mentioned by `api.portX` or `x.api.port`), and not
 * as the head of a longer key path (`api.tls` is not mentioned by
 * `api.tls.keyFile`); a full stop ending a sentence is fine.
 */
function mentions(text: string, name: string): boolean {
  return new RegExp(`(?<![\\w.-])${escapeRegExp(name)}(?![\\w-])(?!\\.[\\w])`).test(text);
}

function missingFrom(text: string, names: readonly string[]): string[] {
  return names.filter((n) => !mentions(text, n));
}

/** Inline code spans (outside fenced blocks, which hold examples), where documents name settings. */
function codeSpans(text: string): string[] {
  return [...stripFences(text).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

/**
 * Code spans that look like a key path under one of the schema's sections
 * but are none of its paths. Key segments are camelCase or kebab-case, so
 * most log event names (`rules.recovery_done`) and file names are not taken
 * for keys; a span the source spells as a string (a log event such as
 * `ingest.subscribed`) is a name the code has, so it passes too.
 */
function unknownKeyMentions(text: string, sections: ReadonlySet<string>, known: ReadonlySet<string>, source = ''): string[] {
  return codeSpans(text).filter(
    (s) => /^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9-]+)+$/.test(s) && sections.has(s.split('.')[0]!) && !known.has(s) && !/\.(js|ts|md|json|ya?ml)$/.test(s) && !new RegExp(`['"\`]${escapeRegExp(s)}['"\`:]`).test(source),
  );
}

/** Every TypeScript file under a directory, concatenated. */
function sourceText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? sourceText(join(dir, e.name)) : e.name.endsWith('.ts') ? readFileSync(join(dir, e.name), 'utf8') : ''))
    .join('\n');
}

/* ---------- links ---------- */

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of stripFences(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const text = m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function stripFences(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, '');
}

/** Relative links of a Markdown file that lead nowhere: `file: target (why)`. */
function brokenLinks(file: string, markdown: string, read: (path: string) => string | null = readIfExists): string[] {
  const out: string[] = [];
  const body = stripFences(markdown).replace(/`[^`\n]*`/g, '');
  for (const m of body.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const hash = target.indexOf('#');
    const pathPart = hash >= 0 ? target.slice(0, hash) : target;
    const anchor = hash >= 0 ? decodeURIComponent(target.slice(hash + 1)) : null;
    const dest = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
    const where = `${relative(ROOT, file)}: ${target}`;
    if (!dest.startsWith(ROOT)) {
      out.push(`${where} (leaves the repository)`);
      continue;
    }
    const content = dest === file ? markdown : read(dest);
    if (content === null) {
      out.push(`${where} (no such file)`);
      continue;
    }
    if (anchor !== null) {
      if (!dest.endsWith('.md')) out.push(`${where} (an anchor into a file that is not Markdown)`);
      else if (!anchorsOf(content).has(anchor)) out.push(`${where} (no heading with that anchor)`);
    }
  }
  return out;
}

function readIfExists(path: string): string | null {
  if (!existsSync(path)) return null;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // a directory: the link is fine, it has no headings
  }
}

/* ---------- the checks ---------- */

const KEYS = configKeyPaths(ConfigSchema);
const CODES = Object.keys(ERRORS);
const REASONS = Object.keys(DEAD_LETTER_REASONS);

describe('docs cover the code', () => {
  const docs = docsFiles();
  const all = docs.map((d) => d.text).join('\n');

  it('the schema walk lists leaf key paths (and only leaves)', () => {
    expect(KEYS).toContain('rules.doorOpen.movingSpeedKn');
    expect(KEYS).toContain('ingest.maxPayloadBytes.csv-v1');
    expect(KEYS).toContain('embeddedBroker.tls.certFile');
    expect(KEYS).toContain('kafka.brokers');
    expect(KEYS).not.toContain('rules.doorOpen');
    expect(KEYS).not.toContain('');
    expect(KEYS.length).toBeGreaterThan(100);
    expect(new Set(KEYS).size).toBe(KEYS.length);
  });

  it('every configuration key of src/config/schema.ts is mentioned in docs/', () => {
    expect(missingFrom(all, KEYS), 'configuration keys that no docs/*.md file mentions (document them in docs/configuration.md)').toEqual([]);
  });

  it('every error code of src/errors.ts is mentioned in docs/', () => {
    expect(missingFrom(all, CODES), 'error codes that no docs/*.md file mentions (document them in docs/errors.md)').toEqual([]);
  });

  it('every dead-letter reason of src/normalise/dead-letter.ts is mentioned in docs/', () => {
    expect(missingFrom(all, REASONS), 'dead-letter reasons that no docs/*.md file mentions (document them in docs/errors.md and docs/wire.md section 6.3)').toEqual([]);
  });

  it('the docs and the README name no configuration key and no error code the code lacks', () => {
    const sections = new Set(KEYS.map((k) => k.split('.')[0]!));
    const known = configPaths(KEYS);
    const readme = { file: join(ROOT, 'README.md'), text: readFileSync(join(ROOT, 'README.md'), 'utf8') };
    const source = sourceText(join(ROOT, 'src'));
    const stale = [...docs, readme].flatMap((d) => unknownKeyMentions(d.text, sections, known, source).map((s) => `${relative(ROOT, d.file)}: ${s}`));
    expect(stale, 'key paths in docs that src/config/schema.ts does not define').toEqual([]);
    const codes = [...docs, readme].flatMap((d) =>
      [...d.text.matchAll(/SW_ERR_[A-Z0-9_]*[A-Z0-9]/g)]
        .map((m) => m[0])
        .filter((c) => !CODES.includes(c))
        .map((c) => `${relative(ROOT, d.file)}: ${c}`),
    );
    expect(codes, 'error codes in docs that src/errors.ts does not define').toEqual([]);
  });

  it('fails, naming it, when a name is not in the docs', () => {
    // the real docs with every mention of one name removed: that name, and only it, is newly missing
    const newly = (text: string, names: readonly string[]) => {
      const before = new Set(missingFrom(all, names));
      return missingFrom(text, names).filter((n) => !before.has(n));
    };
    expect(newly(all.split('rules.doorOpen.movingSpeedKn').join('rules.doorOpen.removed'), KEYS)).toEqual(['rules.doorOpen.movingSpeedKn']);
    expect(newly(all.split('clock-skew').join('clock skew'), REASONS)).toEqual(['clock-skew']);
    expect(newly(all.split('SW_ERR_ACL_FILE').join('SW_ERR_ACL'), CODES)).toEqual(['SW_ERR_ACL_FILE']);
    // whole names only: a longer name or a deeper path does not count
    expect(mentions('see `api.portX` and `x.api.port`', 'api.port')).toBe(false);
    expect(mentions('`api.tls.keyFile` only', 'api.tls')).toBe(false);
    expect(mentions('set `api.port`.', 'api.port')).toBe(true);
    expect(mentions('`SW_ERR_USAGE_X`', 'SW_ERR_USAGE')).toBe(false);
    expect(unknownKeyMentions('`mqtt.urll`, `mqtt.url`, `api.tls`, `api.listening_x`, `mqtt.js`', new Set(['mqtt', 'api']), configPaths(['mqtt.url', 'api.tls.keyFile']))).toEqual(['mqtt.urll']);
    expect(unknownKeyMentions('`api.listening` `api.listen`', new Set(['api']), configPaths(['api.port']), "log.info({}, 'api.listening')")).toEqual(['api.listen']);
  });
});

describe('links of the README and docs/', () => {
  const files = [join(ROOT, 'README.md'), ...docsFiles().map((d) => d.file)];

  it('every relative link leads to a file, and every #anchor to a heading in it', () => {
    const broken = files.flatMap((f) => brokenLinks(f, readFileSync(f, 'utf8')));
    expect(broken).toEqual([]);
  });

  it('the README stays a front page: under 200 lines (the rest belongs in docs/)', () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThan(200);
  });

  it('the README links every document in docs/', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const linked = new Set([...readme.matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]));
    const unlinked = docsFiles()
      .map((d) => relative(ROOT, d.file))
      .filter((f) => !linked.has(f));
    expect(unlinked).toEqual([]);
  });

  it('reports a link to a missing file or heading, and accepts good ones', () => {
    const file = join(DOCS, 'example.md');
    const target = '# Title\n\n## 6.1 Kafka topics\n\n## Time, order and determinism\n\n## Notes\n\n## Notes\n';
    const read = (p: string) => (p === join(DOCS, 'target.md') ? target : null);
    const md = [
      '[ok](target.md) [ok](target.md#61-kafka-topics) [ok](target.md#time-order-and-determinism) [ok](target.md#notes-1)',
      '[ok](#local) [ok](https://example.org/x)',
      '[bad](nope.md) [bad](target.md#no-such-heading) [bad](#nowhere)',
      '`[in code](nope.md)`',
      '```\n[in a fence](nope.md)\n```',
      '## Local',
    ].join('\n\n');
    expect(brokenLinks(file, md, read)).toEqual(['docs/example.md: nope.md (no such file)', 'docs/example.md: target.md#no-such-heading (no heading with that anchor)', 'docs/example.md: #nowhere (no heading with that anchor)']);
  });
});
