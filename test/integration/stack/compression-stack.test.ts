import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { TOPICS, topicSpecs } from '../../../src/bus/topics.js';
import { packagePath } from '../../../src/paths.js';
import { stackConfig } from '../../helpers/stack.js';

/**
 * Issue 14: `bus.compression: gzip` compresses the telemetry produce batches
 * on the broker (Kafka's record-batch codec), and a consumer reads the same
 * messages back. The broker's log segments show it: a batch produced
 * uncompressed holds its JSON in clear, a compressed one does not.
 */
describe('bus.compression (real Kafka)', () => {
  const segments = (): string[] => {
    const dir = join(process.env.SEALWATCH_STACK_DIR ?? packagePath('.stack'), 'data', 'kafka');
    return readdirSync(dir)
      .filter((d) => d.startsWith(`${TOPICS.telemetry}-`))
      .flatMap((d) =>
        readdirSync(join(dir, d))
          .filter((f) => f.endsWith('.log'))
          .map((f) => join(dir, d, f)),
      );
  };
  const inClear = (marker: string) => segments().some((f) => readFileSync(f).includes(marker));

  it('gzip: the same messages come back, and the broker stores them compressed; none: in clear', { timeout: 60_000 }, async () => {
    const config = stackConfig();
    const run = randomUUID().slice(0, 8);
    const values = (marker: string) => Array.from({ length: 500 }, (_, i) => ({ key: `ZZCU${run}${i % 20}`, value: JSON.stringify({ eventId: `${marker}-${i}`, kind: 'temperature', celsius: 4.5, note: 'x'.repeat(50) }) }));
    for (const compression of ['gzip', 'none'] as const) {
      const bus = new KafkaBus(config.kafka, undefined, {}, { compression });
      try {
        await bus.ensureTopics(topicSpecs(config));
        const from = await bus.endOffsets(TOPICS.telemetry);
        const marker = `sw-compress-${compression}-${run}`;
        const sent = values(marker);
        await bus.produce(TOPICS.telemetry, sent);
        const back = (await bus.readAll(TOPICS.telemetry, from)).filter((m) => m.value.toString('utf8').includes(marker));
        expect(back.map((m) => m.value.toString('utf8')).sort()).toEqual(sent.map((m) => m.value).sort());
        expect(back.map((m) => m.key).sort()).toEqual(sent.map((m) => m.key).sort());
        // the segment files are written as the broker appends (the page cache serves the read)
        expect(inClear(`"eventId":"${marker}-1"`), `compression ${compression}`).toBe(compression === 'none');
      } finally {
        await bus.close();
      }
    }
  });
});
