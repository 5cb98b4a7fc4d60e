import { describe, expect, it } from 'vitest';
import { WIRE_FORMATS } from '../../src/model/reading.js';
import { WIRE_DECODERS } from '../../src/normalise/registry.js';
import { parseTopic, topicPatterns } from '../../src/normalise/topic.js';

describe('wire formats come from one table', () => {
  it('the table holds every format of the model once, each on its own topic level', () => {
    expect(WIRE_DECODERS.map((d) => d.format).sort()).toEqual([...WIRE_FORMATS].sort());
    expect(new Set(WIRE_DECODERS.map((d) => d.topic.level)).size).toBe(WIRE_DECODERS.length);
  });

  it('each registered format is routed by its topic level', () => {
    for (const d of WIRE_DECODERS) {
      const topic = `ssd/${d.topic.level}/dev-1${d.topic.kind ? '/door' : ''}`;
      expect(parseTopic(topic, 'ssd')).toEqual({ format: d.format, id: 'dev-1', ...(d.topic.kind ? { kind: 'door' } : {}) });
    }
  });

  it("the unknown-topic dead letter lists the formats' topics as it always has", () => {
    expect(topicPatterns('ssd')).toBe('ssd/json/{deviceId}/{kind}, ssd/csv/{deviceId} or ssd/batch/{gatewayId}');
  });
});
