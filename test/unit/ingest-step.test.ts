import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/bus/memory.js';
import { TOPICS } from '../../src/bus/topics.js';
import { IngestStep } from '../../src/ingest/ingest-step.js';
import { IngestStage } from '../../src/pipeline/ingest-stage.js';
import { DirectProcessor } from '../../src/pipeline/processor.js';
import { defaultPorts } from '../../src/geo/ports.js';
import type { Alert } from '../../src/model/alert.js';
import type { AlertSink } from '../../src/sinks/sink.js';
import { TripDirectory } from '../../src/trips/directory.js';
import { plan, testConfig } from '../helpers/fixtures.js';

const config = testConfig();
const window = { bindBeforeDepartureMs: config.trips.bindBeforeDepartureMs, activeAfterEtaMs: config.trips.activeAfterEtaMs };
const trips = () => new TripDirectory(window, [plan(), plan({ tripId: 'T-B', deviceId: 'acme-00077', containerId: 'TGHU7654320' })]);
const AT = Date.parse('2026-01-07T10:06:00Z');
const door = (msgId: string, containerId: string) => Buffer.from(JSON.stringify({ msgId, containerId, ts: '2026-01-07T10:00:00Z', state: 'open' }));
/** A device reporting for its own box, garbage, and the same device claiming the other planned box (twice). */
const MESSAGES: Array<[string, Buffer]> = [
  ['ssd/json/acme-00042/door', door('m1', 'MSCU1234566')],
  ['ssd/json/acme-00042/door', Buffer.from('{not json')],
  ['ssd/json/acme-00042/door', door('m2', 'TGHU7654320')],
  ['ssd/json/acme-00042/door', door('m3', 'TGHU7654320')],
  ['ssd/json/acme-00042/door', door('m1', 'MSCU1234566')],
];

describe('one ingest step for the live pipeline and for replay', () => {
  it('the live stage and replay count the same and raise the same DEVICE_CONTAINER_MISMATCH alert, once', async () => {
    const raised: Alert[] = [];
    const sink: AlertSink = { name: 'collect', write: async (a) => void raised.push(...a), close: async () => {} };
    const bus = new MemoryBus();
    const stage = new IngestStage(bus, IngestStep.fromConfig(config, trips(), { deferRecord: true }), null, undefined, true, sink);
    for (const [i, [t, p]] of MESSAGES.entries()) await stage.handle(t, p, AT + i);
    const replay = new DirectProcessor(config, trips(), defaultPorts());
    const replayed = MESSAGES.flatMap(([t, p], i) => replay.message(t, p, AT + i).alerts);
    expect(stage.counts).toEqual({ messages: 5, readings: 1, duplicates: 1, deadLetters: { 'invalid-json': 1, 'device-container-mismatch': 2 }, alerts: 1 });
    expect(replay.counts).toMatchObject({ messages: 5, readings: 1, duplicates: 1, deadLetters: { 'invalid-json': 1, 'device-container-mismatch': 2 }, alerts: { DEVICE_CONTAINER_MISMATCH: 1 } });
    expect(raised.map((a) => a.rule)).toEqual(['DEVICE_CONTAINER_MISMATCH']);
    expect(replayed).toEqual(raised);
    expect(bus.read(TOPICS.deadletter).map((m) => JSON.parse(m.value.toString()).reason)).toEqual(['invalid-json', 'device-container-mismatch', 'device-container-mismatch']);
  });

  it('an alert the sink did not take is raised again when the message comes again', async () => {
    let fail = true;
    const raised: Alert[] = [];
    const sink: AlertSink = {
      name: 'flaky',
      write: async (a) => {
        if (fail) throw new Error('sink down');
        raised.push(...a);
      },
      close: async () => {},
    };
    const stage = new IngestStage(new MemoryBus(), IngestStep.fromConfig(config, trips(), { deferRecord: true }), null, undefined, true, sink);
    await expect(stage.handle('ssd/json/acme-00042/door', door('m2', 'TGHU7654320'), AT)).rejects.toThrow(/sink down/);
    fail = false;
    await stage.handle('ssd/json/acme-00042/door', door('m2', 'TGHU7654320'), AT + 1000);
    expect(raised.map((a) => a.rule)).toEqual(['DEVICE_CONTAINER_MISMATCH']);
  });
});
