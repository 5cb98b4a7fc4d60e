import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import { defaultPorts } from '../../src/geo/ports.js';
import { newTripDirectory } from '../../src/pipeline/app.js';
import { readCapture } from '../../src/replay/capture.js';
import { replayCapture } from '../../src/replay/replay.js';
import type { AlertSink } from '../../src/sinks/sink.js';
import type { SealwatchError } from '../../src/errors.js';
import { simulateFleet } from '../../simulators/fleet.js';
import { writeCorpus } from '../../simulators/corpus.js';
import { testConfig } from '../helpers/fixtures.js';

const collect = (): AlertSink & { alerts: Alert[] } => {
  const alerts: Alert[] = [];
  return { name: 'collect', alerts, write: async (a) => void alerts.push(...a), close: async () => {} };
};

describe('replay', () => {
  it('gives the same alerts, with the same ids, as fast as possible and at a finite speed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-replay-'));
    const sim = simulateFleet({ seed: 404, containers: 12, start: Date.parse('2026-05-04T00:00:00Z'), breachShare: 1, voyageHours: 48 });
    await writeCorpus(dir, sim);
    const config = testConfig();
    const run = async (speed: 'max' | number) => {
      const trips = newTripDirectory(config);
      for (const p of sim.trips) trips.upsert(p);
      const sink = collect();
      const summary = await replayCapture(join(dir, 'capture.ndjson.gz'), config, trips, defaultPorts(), sink, { speed });
      return { sink, summary };
    };
    const fast = await run('max');
    // 48 h of recorded arrivals at 200,000x real time: under a second of waiting, in many small sleeps
    const paced = await run(200_000);
    expect(fast.sink.alerts.length).toBeGreaterThanOrEqual(5);
    expect(paced.sink.alerts.map((a) => a.alertId)).toEqual(fast.sink.alerts.map((a) => a.alertId));
    expect(paced.sink.alerts).toEqual(fast.sink.alerts);
    expect(fast.summary.messages).toBe(sim.messages.length);
    expect(paced.summary).toMatchObject({ messages: fast.summary.messages, readings: fast.summary.readings, deadLetters: fast.summary.deadLetters, alerts: fast.summary.alerts });
  });

  it('reads plain and gzipped captures, payload or payloadBase64, and names a bad line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-capture-'));
    const lines = [
      JSON.stringify({ t: '2026-01-07T10:00:01.020Z', topic: 'ssd/json/acme-00042/door', payload: '{"msgId":"x"}' }),
      JSON.stringify({ t: '2026-01-07T10:00:02.500Z', topic: 'ssd/csv/sat-0091', payloadBase64: Buffer.from([0x34, 0xff]).toString('base64') }),
    ];
    writeFileSync(join(dir, 'a.ndjson'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'a.ndjson.gz'), gzipSync(lines.join('\n') + '\n'));
    for (const f of ['a.ndjson', 'a.ndjson.gz']) {
      const got = [];
      for await (const m of readCapture(join(dir, f))) got.push(m);
      expect(got.map((m) => [m.t, m.topic, m.payload.toString('hex')])).toEqual([
        [Date.parse('2026-01-07T10:00:01.020Z'), 'ssd/json/acme-00042/door', Buffer.from('{"msgId":"x"}').toString('hex')],
        [Date.parse('2026-01-07T10:00:02.500Z'), 'ssd/csv/sat-0091', '34ff'],
      ]);
    }
    writeFileSync(join(dir, 'bad.ndjson'), lines[0] + '\n{"t":"yesterday","topic":"x","payload":""}\n');
    const err = await (async () => {
      try {
        for await (const _ of readCapture(join(dir, 'bad.ndjson'))) void _;
      } catch (e) {
        return e as SealwatchError;
      }
      return null;
    })();
    expect(err?.code).toBe('SW_ERR_CAPTURE_LINE');
    expect(err?.message).toMatch(/bad\.ndjson line 2: t "yesterday"/);
    expect(readFileSync(join(dir, 'a.ndjson'), 'utf8')).toContain('payloadBase64');
  });
});
