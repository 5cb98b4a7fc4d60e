import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/bus/memory.js';
import { TOPICS } from '../../src/bus/topics.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import type { Alert } from '../../src/model/alert.js';
import { BusAlertSink } from '../../src/sinks/bus-alerts.js';
import { buildSinks } from '../../src/sinks/build.js';
import { ConsoleAlertSink } from '../../src/sinks/console.js';
import { NdjsonAlertSink } from '../../src/sinks/ndjson-file.js';
import { FanOutSink, type AlertSink } from '../../src/sinks/sink.js';
import { createWebhookDispatcher } from '../../src/sinks/webhook.js';
import { contractAlerts, sinkContract, type SinkHarness } from '../contract/sink-contract.js';

const readNdjson = (file: string, written: readonly Alert[]) => {
  const ids = new Set(written.map((a) => a.alertId));
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert)
    .filter((a) => ids.has(a.alertId))
    .map((a) => ({ id: a.alertId, alert: a }));
};

function ndjsonHarness(): SinkHarness {
  const dir = mkdtempSync(join(tmpdir(), 'sealwatch-sink-'));
  const file = join(dir, 'nested', 'alerts.ndjson');
  return { sink: new NdjsonAlertSink(file), held: async (w) => readNdjson(file, w), stop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** The console prints one readable line pair per alert, naming the first 12 characters of its id. */
function consoleHarness(): SinkHarness {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const held = async (written: readonly Alert[]) => {
    const shown = new Set(written.map((a) => a.alertId.slice(0, 12)));
    return [...text.matchAll(/\[alert ([0-9a-f]{12}), evidence \d+\]/g)].map((m) => ({ id: m[1]! })).filter((g) => shown.has(g.id));
  };
  return { sink: new ConsoleAlertSink(out, false), held };
}

async function busHarness(): Promise<SinkHarness> {
  const bus = new MemoryBus();
  await bus.ensureTopics([{ topic: TOPICS.alerts, partitions: 3 }]);
  const held = async (written: readonly Alert[]) => {
    const ids = new Set(written.map((a) => a.alertId));
    return (await bus.readAll(TOPICS.alerts))
      .map((m) => JSON.parse(m.value.toString('utf8')) as Alert)
      .filter((a) => ids.has(a.alertId))
      .map((a) => ({ id: a.alertId, alert: a }));
  };
  return { sink: new BusAlertSink(bus), held, stop: () => bus.close() };
}

sinkContract('ndjson-file', async () => ndjsonHarness(), { durableOnWrite: true, timeoutMs: 5000 });
sinkContract('console', async () => consoleHarness(), { durableOnWrite: true, timeoutMs: 5000, idOf: (a) => a.alertId.slice(0, 12) });
sinkContract('bus (memory)', busHarness, { durableOnWrite: true, timeoutMs: 5000 });
sinkContract(
  'fan-out (bus and ndjson-file)',
  async () => {
    const bus = await busHarness();
    const file = ndjsonHarness();
    // held only where every member holds it: a fan-out's write resolves when all have written
    const held = async (w: readonly Alert[]) => {
      const [a, b] = [await bus.held(w), await file.held(w)];
      const inFile = new Set(b.map((x) => x.id));
      return a.filter((x) => inFile.has(x.id));
    };
    const stop = async () => {
      await bus.stop!();
      await file.stop!();
    };
    return { sink: new FanOutSink([bus.sink, file.sink]), held, stop };
  },
  { durableOnWrite: true, timeoutMs: 5000 },
);

describe('the NDJSON alert file', () => {
  it('exists, empty, when nothing is raised, and keeps what an earlier run wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwatch-sink-'));
    try {
      const file = join(dir, 'out', 'alerts.ndjson');
      const quiet = new NdjsonAlertSink(file);
      await quiet.close();
      expect(readFileSync(file, 'utf8')).toBe('');
      const [a] = contractAlerts(1);
      await new NdjsonAlertSink(file).write([a!]);
      new NdjsonAlertSink(file);
      expect(readNdjson(file, [a!]).map((x) => x.id)).toEqual([a!.alertId]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('buildSinks: the alert sinks of every command, from the configuration', () => {
  const log = createLogger('silent');
  const names = (s: AlertSink[]) => s.map((x) => x.name);

  it("the pipeline: bus first, then the caller's own, the file and the console as configured", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealwatch-build-'));
    try {
      const config = loadConfig({ env: {}, overrides: { sinks: { alertsFile: join(dir, 'a.ndjson'), console: true } } });
      const mine: AlertSink = { name: 'mine', write: async () => {}, close: async () => {} };
      const bus = new MemoryBus();
      const out = new PassThrough();
      const { sink } = buildSinks(config, { log, bus, extra: [mine], consoleOut: out });
      expect(names(sink.sinks)).toEqual(['bus', 'mine', 'ndjson-file', 'console']);
      const [a] = contractAlerts(1);
      await sink.write([a!]);
      expect(readNdjson(join(dir, 'a.ndjson'), [a!])).toHaveLength(1);
      expect((await bus.readAll(TOPICS.alerts)).map((m) => JSON.parse(m.value.toString()).alertId)).toEqual([a!.alertId]);
      expect(String(out.read())).toContain(a!.alertId.slice(0, 12));
      await sink.close();
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('webhooks are no sink: with targets configured, the sinks are the same (the targets read the alerts topic in groups of their own)', async () => {
    const config = loadConfig({ env: {}, overrides: { webhooks: { targets: [{ name: 'centre', url: 'http://127.0.0.1:9/hook', secretEnv: 'SEALWATCH_TEST_HOOK_SECRET' }] } } });
    const bus = new MemoryBus();
    expect(names(buildSinks(config, { log, bus }).sink.sinks)).toEqual(['bus']);
    const dispatcher = createWebhookDispatcher(config, bus, log, { SEALWATCH_TEST_HOOK_SECRET: 'x' });
    expect(dispatcher?.targets.map((t) => t.name)).toEqual(['centre']);
    expect(dispatcher?.groupId('centre')).toBe('sealwatch-rules-webhook-centre');
    expect(createWebhookDispatcher(loadConfig({ env: {} }), bus, log, {})).toBeNull();
    await bus.close();
  });

  it('a replay marks the alerts it puts on the bus', async () => {
    const bus = new MemoryBus();
    const { sink } = buildSinks(loadConfig({ env: {} }), { log, bus, alertHeaders: { 'sealwatch-replay': 'r1' } });
    await sink.write(contractAlerts(1));
    expect((await bus.readAll(TOPICS.alerts)).map((m) => m.headers)).toEqual([{ 'sealwatch-replay': 'r1' }]);
    await bus.close();
  });

  it('a webhook target without its secret stops start-up, naming the variable', () => {
    const config = loadConfig({ env: {}, overrides: { webhooks: { targets: [{ name: 'centre', url: 'http://127.0.0.1:9/hook', secretEnv: 'SEALWATCH_TEST_UNSET_SECRET' }] } } });
    expect(() => createWebhookDispatcher(config, new MemoryBus(), log, {})).toThrow(/SEALWATCH_TEST_UNSET_SECRET/);
  });

  it('nothing configured and nothing passed: no sink (a replay without --alerts-out or --print)', () => {
    expect(names(buildSinks(loadConfig({ env: {} }), { log }).sink.sinks)).toEqual([]);
  });
});
