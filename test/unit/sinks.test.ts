import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { WebhookSink } from '../../src/sinks/webhook.js';
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

/** A targeting centre on 127.0.0.1 that takes every POST. */
async function webhookHarness(): Promise<SinkHarness> {
  const got: Alert[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Alert);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const sink = new WebhookSink([{ name: 'centre', url, secret: 'contract' }], { maxAttempts: 3, initialBackoffMs: 20, maxBackoffMs: 100, timeoutMs: 2000 });
  const held = async (written: readonly Alert[]) => {
    const ids = new Set(written.map((a) => a.alertId));
    return got.filter((a) => ids.has(a.alertId)).map((a) => ({ id: a.alertId, alert: a }));
  };
  return { sink, held, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

sinkContract('ndjson-file', async () => ndjsonHarness(), { durableOnWrite: true, timeoutMs: 5000 });
sinkContract('console', async () => consoleHarness(), { durableOnWrite: true, timeoutMs: 5000, idOf: (a) => a.alertId.slice(0, 12) });
sinkContract('bus (memory)', busHarness, { durableOnWrite: true, timeoutMs: 5000 });
sinkContract('webhook', webhookHarness, { durableOnWrite: false, timeoutMs: 5000 });
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
      const { sink, webhooks } = buildSinks(config, { log, bus, extra: [mine], consoleOut: out });
      expect(names(sink.sinks)).toEqual(['bus', 'mine', 'ndjson-file', 'console']);
      expect(webhooks).toBeNull();
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

  it('webhooks from the configured targets (secret from the environment), none when the caller says null', async () => {
    process.env.SEALWATCH_TEST_HOOK_SECRET = 'x';
    try {
      const config = loadConfig({ env: {}, overrides: { webhooks: { targets: [{ name: 'centre', url: 'http://127.0.0.1:9/hook', secretEnv: 'SEALWATCH_TEST_HOOK_SECRET' }] } } });
      const built = buildSinks(config, { log });
      expect(names(built.sink.sinks)).toEqual(['webhook']);
      expect(built.webhooks?.targets.map((t) => t.name)).toEqual(['centre']);
      await built.sink.close();
      expect(names(buildSinks(config, { log, webhooks: null }).sink.sinks)).toEqual([]);
    } finally {
      delete process.env.SEALWATCH_TEST_HOOK_SECRET;
    }
  });

  it('a webhook target without its secret stops the build, naming the variable', () => {
    const config = loadConfig({ env: {}, overrides: { webhooks: { targets: [{ name: 'centre', url: 'http://127.0.0.1:9/hook', secretEnv: 'SEALWATCH_TEST_UNSET_SECRET' }] } } });
    expect(() => buildSinks(config, { log })).toThrow(/SEALWATCH_TEST_UNSET_SECRET/);
  });

  it('nothing configured and nothing passed: no sink (a replay without --alerts-out or --print)', () => {
    expect(names(buildSinks(loadConfig({ env: {} }), { log, webhooks: null }).sink.sinks)).toEqual([]);
  });
});
