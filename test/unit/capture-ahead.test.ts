import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type CapturedMessage, parseCaptureLine, readCapture } from '../../src/replay/capture.js';
import { type AheadOptions, readCaptureAhead } from '../../src/replay/capture-ahead.js';
import type { SealwatchError } from '../../src/errors.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');

/** A capture of `n` messages and two more: text payloads of varied sizes, some not UTF-8 (payloadBase64), one far larger than the others, a blank line. */
function captureLines(n: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = new Date(T0 + i * 1234).toISOString();
    if (i % 17 === 5) lines.push(JSON.stringify({ t, topic: `ssd/csv/sat-${i % 7}`, payloadBase64: Buffer.from([0x34, 0xff, i & 0xff]).toString('base64') }));
    else if (i === 40) lines.push(JSON.stringify({ t, topic: 'ssd/batch/gw-1', payload: `{"events":"${'x'.repeat(5000)}"}` }));
    else lines.push(JSON.stringify({ t, topic: `ssd/json/acme-${i % 5}/door`, payload: `{"msgId":"m-${i}","pad":"${'é'.repeat(i % 23)}"}` }));
    if (i === 10) lines.push('');
    // text that does not survive as written: base64 with characters outside it, a lone surrogate
    if (i === 20) lines.push(JSON.stringify({ t, topic: 'ssd/csv/sat-9', payloadBase64: 'ab$$cd==' }), JSON.stringify({ t, topic: 'ssd/csv/sat-9', payload: '\ud800x' }));
  }
  return lines;
}

async function viaReadCapture(file: string): Promise<CapturedMessage[]> {
  const out: CapturedMessage[] = [];
  for await (const m of readCapture(file)) out.push(m);
  return out;
}

async function viaAhead(file: string, opts?: AheadOptions): Promise<{ messages: CapturedMessage[]; batches: number[] }> {
  const messages: CapturedMessage[] = [];
  const batches: number[] = [];
  for await (const b of readCaptureAhead(file, opts)) {
    batches.push(b.length);
    for (let i = 0; i < b.length; i++) messages.push({ t: b.times[i]!, topic: b.topic(i), payload: Buffer.from(b.payload(i)) });
  }
  return { messages, batches };
}

async function failure(run: () => Promise<unknown>): Promise<SealwatchError & { errno?: number }> {
  try {
    await run();
  } catch (err) {
    return err as SealwatchError;
  }
  throw new Error('expected the read to fail');
}

const shape = (ms: CapturedMessage[]) => ms.map((m) => [m.t, m.topic, m.payload.toString('hex')]);

describe('readCaptureAhead: the capture read in a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-ahead-'));
  const lines = captureLines(300);
  writeFileSync(join(dir, 'c.ndjson'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'c.ndjson.gz'), gzipSync(lines.join('\n') + '\n'));

  it('hands over the messages readCapture reads, in order, in batches of any size', async () => {
    for (const f of ['c.ndjson', 'c.ndjson.gz']) {
      const want = await viaReadCapture(join(dir, f));
      expect(want).toHaveLength(302);
      const whole = await viaAhead(join(dir, f));
      expect(shape(whole.messages)).toEqual(shape(want));
      // the first batches small (the reader starts sooner), then doubling
      expect(whole.batches).toEqual([64, 128, 110]);
      // small batches, a byte budget the 5 KB payload exceeds, one batch ahead at most
      const small = await viaAhead(join(dir, f), { batchMessages: 7, batchBytes: 256, credits: 1 });
      expect(shape(small.messages)).toEqual(shape(want));
      expect(small.batches.length).toBeGreaterThan(302 / 7);
      expect(Math.max(...small.batches)).toBeLessThanOrEqual(7);
    }
  });

  it('an empty capture gives no message', async () => {
    writeFileSync(join(dir, 'empty.ndjson'), '');
    expect((await viaAhead(join(dir, 'empty.ndjson'))).messages).toEqual([]);
  });

  it("fails as readCapture does: a bad line's error with its code, file and line; a missing file's system error", async () => {
    writeFileSync(join(dir, 'bad.ndjson'), lines.slice(0, 50).join('\n') + '\n{"t":"2026-06-01T00:00:00Z","topic":"x","payload":"","extra":1}\n');
    const want = await failure(() => viaReadCapture(join(dir, 'bad.ndjson')));
    const got = await failure(() => viaAhead(join(dir, 'bad.ndjson'), { batchMessages: 8 }));
    expect(got.name).toBe('SealwatchError');
    expect(got.code).toBe('SW_ERR_CAPTURE_LINE');
    expect(got.message).toBe(want.message);
    expect(got.message).toMatch(/bad\.ndjson line 51: expected/);
    const missing = await failure(() => viaAhead(join(dir, 'nowhere.ndjson')));
    expect(missing.code).toBe('ENOENT');
    expect(missing.message).toBe((await failure(() => viaReadCapture(join(dir, 'nowhere.ndjson')))).message);
  });

  it('leaving the loop early stops the worker', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
    let seen = 0;
    for await (const b of readCaptureAhead(join(dir, 'c.ndjson.gz'), { batchMessages: 10, credits: 2 })) {
      seen += b.length;
      expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length).toBeGreaterThan(before);
      break;
    }
    expect(seen).toBe(10);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length).toBe(before);
  });
});

describe('capture lines', () => {
  const line = (o: unknown) => () => parseCaptureLine(JSON.stringify(o), 'f.ndjson', 3);
  const t = '2026-06-01T00:00:00.000Z';

  it('are exactly {t, topic, payload} or {t, topic, payloadBase64}, strings, the topic not empty', () => {
    expect(parseCaptureLine(JSON.stringify({ t, topic: 'a', payload: 'hi' }), 'f', 1)).toEqual({ t: Date.parse(t), topic: 'a', payload: Buffer.from('hi') });
    expect(parseCaptureLine(JSON.stringify({ payloadBase64: '/w==', topic: 'a', t }), 'f', 1).payload).toEqual(Buffer.from([0xff]));
    for (const bad of [
      { t, topic: 'a', payload: 'x', extra: 1 },
      { t, topic: 'a', payload: 'x', payloadBase64: 'eA==' },
      { t, topic: '', payload: 'x' },
      { t, topic: 'a', payload: 7 },
      { t: 5, topic: 'a', payload: 'x' },
      { t, topic: 'a' },
      { t, topic: 'a', other: 'x' },
      [t, 'a', 'x'],
      null,
      'text',
    ])
      expect(line(bad), JSON.stringify(bad)).toThrow('capture f.ndjson line 3: expected {"t", "topic", "payload" | "payloadBase64"}');
    expect(line({ t: '2026-06-01 00:00:00', topic: 'a', payload: 'x' })).toThrow('is not an ISO time ending in Z');
  });
});
