import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/load.js';
import { loadTripPlans, parseTripPlan } from '../../src/trips/load.js';
import { SealwatchError } from '../../src/errors.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { TripPlanSchema } from '../../src/trips/schema.js';
import { plan } from '../helpers/fixtures.js';

/**
 * The trip-plan and configuration parsers on hostile input: wrong types, huge
 * numbers, deep nesting, prototype keys, near-valid documents with one value
 * changed, arbitrary text as a file. They either accept or throw their own
 * error (SealwatchError with its code) naming where and what; nothing else
 * escapes, and Object.prototype is never touched.
 */

const ports = defaultPorts();
const opts = { defaultZoneRadiusKm: 15, activeAfterEtaMs: 72 * 3_600_000 };
const deepObject = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
};
const deepArray = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};
const hostile = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e308, -1e308, 2 ** 53 + 2, -0, '', '__proto__', 'constructor', null, true, [], {}),
  fc.constantFrom(deepObject(3000), deepArray(3000), JSON.parse('{"__proto__":{"polluted":1}}'), JSON.parse('{"constructor":{"prototype":{"polluted":1}}}')),
  fc.string({ maxLength: 20 }),
  fc.double(),
);

function expectOwnError(fn: () => unknown, codes: string[], mustName: (err: SealwatchError) => void): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SealwatchError);
    expect(codes).toContain((err as SealwatchError).code);
    mustName(err as SealwatchError);
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

describe('trip plan parser', () => {
  const valid = plan({
    reefer: { setpointC: -18, toleranceC: 2 },
    route: [
      [4.48, 51.92],
      [-5.45, 36.14],
    ],
    authorisedZones: [{ name: 'Rotterdam', locode: 'NLRTM', radiusKm: 15 }],
  } as never);
  const paths = [
    ['tripId'],
    ['containerId'],
    ['deviceId'],
    ['origin'],
    ['destination'],
    ['transshipments'],
    ['transshipments', '0'],
    ['departure'],
    ['eta'],
    ['reefer'],
    ['reefer', 'setpointC'],
    ['reefer', 'toleranceC'],
    ['route'],
    ['route', '0'],
    ['route', '0', '1'],
    ['authorisedZones'],
    ['authorisedZones', '0'],
    ['authorisedZones', '0', 'radiusKm'],
    ['authorisedZones', '0', 'locode'],
    ['__proto__'],
    ['constructor'],
  ];
  const mutated = fc.tuple(fc.constantFrom(...paths), hostile).map(([path, value]) => {
    const doc = structuredClone(valid) as unknown as Record<string, unknown>;
    let node: Record<string, unknown> = doc;
    for (const k of path.slice(0, -1)) node = (node[k] ?? (node[k] = {})) as Record<string, unknown>;
    Object.defineProperty(node, path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
    return doc;
  });

  it('accepts or throws SW_ERR_TRIP_* naming the source and the field', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, hostile), (doc) => {
        expectOwnError(
          () => parseTripPlan(doc, 'source-under-test', ports, opts),
          ['SW_ERR_TRIP_INVALID', 'SW_ERR_TRIP_UNKNOWN_PORT'],
          (err) => {
            if (err.code === 'SW_ERR_TRIP_INVALID') expect(err.message).toMatch(/source-under-test: \S+: /); // "source: field.path: what is wrong"
          },
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps prototype keys out of the plan it returns', () => {
    const doc = JSON.parse(JSON.stringify(plan()).slice(0, -1) + ',"__proto__":{"tripId":"EVIL","polluted":1}}');
    const p = parseTripPlan(doc, 'x', ports, opts);
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(p.tripId).toBe('T-2026-000123');
    expect((p as Record<string, unknown>).polluted).toBeUndefined();
    expect(TripPlanSchema.safeParse(JSON.parse('{"__proto__":{"tripId":"T"}}')).success).toBe(false);
  });

  it('loads arbitrary file text as a clear error, never a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-trip-props-'));
    fc.assert(
      fc.property(
        fc.constantFrom('a.json', 'a.yaml'),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          mutated.map((d) => JSON.stringify(d) ?? 'null'),
          fc.constantFrom('a: &x [*x]', 'a: &x {b: *x}', '['.repeat(5000), `${'- '.repeat(2000)}1`, `${' '.repeat(400)}a: 1`, '{"a":'.repeat(3000) + '1' + '}'.repeat(3000)),
        ),
        (name, text) => {
          writeFileSync(join(dir, name), text);
          expectOwnError(
            () => loadTripPlans(join(dir, name), ports, opts),
            ['SW_ERR_TRIP_INVALID', 'SW_ERR_TRIP_UNKNOWN_PORT'],
            (err) => {
              if (err.code === 'SW_ERR_TRIP_INVALID') expect(err.message).toContain(name);
            },
          );
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('configuration parser', () => {
  const keys = [
    ['ingest', 'maxBatchEvents'],
    ['ingest', 'maxPayloadBytes', 'json-v1'],
    ['ingest', 'maxFutureSkewMs'],
    ['mqtt', 'topicRoot'],
    ['mqtt', 'qos'],
    ['kafka', 'brokers'],
    ['rules', 'enabled'],
    ['rules', 'doorOpen', 'movingSpeedKn'],
    ['api', 'tokens'],
    ['ingest'],
    ['nope'],
    ['ingest', 'nope'],
    ['__proto__'],
    ['ingest', '__proto__'],
    ['constructor'],
    ['rules', 'constructor', 'prototype'],
  ];
  const override = fc.tuple(fc.constantFrom(...keys), hostile).map(([path, value]) => {
    const o: Record<string, unknown> = {};
    let node = o;
    for (const k of path.slice(0, -1)) Object.defineProperty(node, k, { value: (node = {}), enumerable: true, writable: true, configurable: true });
    Object.defineProperty(node, path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
    return { path, o };
  });

  it('overrides: accepts or throws SW_ERR_CONFIG_INVALID naming the key', () => {
    fc.assert(
      fc.property(override, ({ path, o }) => {
        expectOwnError(
          () => loadConfig({ env: {}, overrides: o }),
          ['SW_ERR_CONFIG_INVALID'],
          (err) => expect(err.message).toContain(path[0]!),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('--set and environment strings: accepts or throws naming the key', () => {
    const setKey = fc.oneof(fc.constantFrom(...keys.map((k) => k.join('.'))), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(setKey, fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('1e999', 'NaN', '-0', '[1,2', '["a"]', '99999999999999999999', 'true')), (key, value) => {
        expectOwnError(
          () => loadConfig({ env: {}, sets: [`${key}=${value}`] }),
          ['SW_ERR_CONFIG_INVALID'],
          (err) => {
            // names the key path, or says the --set itself is malformed
            const first = key.split('.')[0]!;
            if (key === '' || key.includes('=')) expect(err.message).toMatch(/--set|unknown key|:/);
            else expect(err.message.includes(`${first}`) || err.message.includes(JSON.stringify(first))).toBe(true);
          },
        );
        expectOwnError(
          () => loadConfig({ env: { SEALWATCH_INGEST_MAX_BATCH_EVENTS: value, SEALWATCH_MQTT_TOPIC_ROOT: value } }),
          ['SW_ERR_CONFIG_INVALID'],
          (err) => expect(err.message).toMatch(/ingest\.maxBatchEvents|mqtt\.topicRoot/),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('files: arbitrary text, alias cycles and deep nesting are SW_ERR_CONFIG_*, never a stack overflow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-config-props-'));
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      override.map(({ o }) => JSON.stringify(o) ?? 'null'),
      fc.constantFrom(
        'rules:\n  enabled: &x [1, *x]\n',
        'ingest: &y\n  a: *y\n',
        '__proto__:\n  polluted: 1\n',
        'a: ' + '['.repeat(3000),
        '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000),
        'ingest:\n  maxBatchEvents: 1e999\n',
        'mqtt: [1, 2]\n',
        '- 1\n- 2\n',
      ),
    );
    fc.assert(
      fc.property(fc.constantFrom('c.json', 'c.yaml'), text, (name, body) => {
        writeFileSync(join(dir, name), body);
        expectOwnError(
          () => loadConfig({ env: {}, files: [join(dir, name)] }),
          ['SW_ERR_CONFIG_INVALID', 'SW_ERR_CONFIG_FILE'],
          (err) => expect(err.message.length).toBeGreaterThan(10),
        );
      }),
      { numRuns: 400 },
    );
    writeFileSync(join(dir, 'p.json'), '{"__proto__":{"polluted":1}}');
    expect(() => loadConfig({ env: {}, files: [join(dir, 'p.json')] })).toThrow(/__proto__.*not a setting/);
    writeFileSync(join(dir, 'cycle.yaml'), 'ingest: &y\n  a: *y\n');
    expect(() => loadConfig({ env: {}, files: [join(dir, 'cycle.yaml')] })).toThrow(/ingest\.a\.a.*nested deeper than 8 levels/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
