import fc from 'fast-check';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, murmur2 } from '../../src/bus/kafka-partitioner.js';

// Keyed messages must land where kafkajs's DefaultPartitioner (and the Java
// client) put them, or a container's readings would change partition across
// an upgrade and lose their order.
const partitions = (n: number, leaderless: number[] = []): PartitionMetadata[] => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: leaderless.includes(i) ? -1 : 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

describe('keyPartitioner', () => {
  const key = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 24 }), fc.constantFrom('', 'a', 'MSKU1234565', 'sealwatch/json/dev-0001', 'TGHU0000000', 'conteneur-é', '集装箱-01', '\u{1F4E6}box'));

  it('puts every key on the partition kafkajs does, ASCII or not, for any partition count', () => {
    const theirs = Partitioners.DefaultPartitioner();
    const ours = keyPartitioner();
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: 64 }), (k, n) => {
        const args = { topic: 't', partitionMetadata: partitions(n), message: { key: k, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
      }),
      { numRuns: 3000 },
    );
  });

  it('hashes Buffer keys as their bytes', () => {
    const theirs = Partitioners.DefaultPartitioner();
    const ours = keyPartitioner();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), fc.integer({ min: 1, max: 64 }), (bytes, n) => {
        const args = { topic: 't', partitionMetadata: partitions(n), message: { key: Buffer.from(bytes), value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
      }),
      { numRuns: 1000 },
    );
  });

  it("gives the Java client's murmur2 values (the vectors of Kafka's own utility tests)", () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [k, h] of vectors) expect(murmur2(k)).toBe(h);
  });

  it("answers a message's own partition, and sends unkeyed messages round robin over the partitions with a leader", () => {
    const ours = keyPartitioner();
    expect(ours({ topic: 't', partitionMetadata: partitions(6), message: { key: 'k', partition: 4, value: 'v' } })).toBe(4);
    const meta = partitions(6, [1, 4]);
    const seen = Array.from({ length: 8 }, () => ours({ topic: 'u', partitionMetadata: meta, message: { value: 'v' } }));
    expect(new Set(seen)).toEqual(new Set([0, 2, 3, 5]));
    // consecutive picks walk the available list in order, wrapping round
    const order = [0, 2, 3, 5];
    for (let i = 1; i < seen.length; i++) expect(order.indexOf(seen[i]!)).toBe((order.indexOf(seen[i - 1]!) + 1) % order.length);
    // with no partition led, a partition by number all the same
    expect(ours({ topic: 'w', partitionMetadata: partitions(3, [0, 1, 2]), message: { value: 'v' } })).toBeLessThan(3);
  });
});
