// What ingest's Kafka produce costs the producing process per reading: the
// raw copy (MQTT payload, two headers, keyed by MQTT topic) and the reading
// (normalised JSON, keyed by container), in produces of B readings one after
// another, against the local stack's Kafka (scripts/stack.sh up). Two ways,
// alternated over the rounds so a busy moment of the shared machine falls on
// both:
//
//   separate: one kafkajs send per topic, both in flight together, kafkajs's
//             own default partitioner (ingest before 2026-12-07);
//   bus:      KafkaBus.produceAll, as ingest produces now: both topics in one
//             request, keys placed by src/bus/kafka-partitioner.ts.
//
// Prints CPU microseconds per reading (user + system of this process, which
// does nothing else) and readings/s, median and spread per way.
//
//   npm run build && node bench/produce-cost.mjs [rounds=3] [readings=60000] [batch=50]
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus } from '../dist/src/bus/kafka.js';
import { stackConfig } from './lib/local-stack.mjs';
import { summarise } from './lib/measure.mjs';

const [rounds = 3, readings = 60_000, batch = 50] = process.argv.slice(2).map(Number);
const config = stackConfig();
const run = `${process.pid}-${Date.now().toString(36)}`;
const raw = `sealwatch.bench.raw.${run}`;
const telemetry = `sealwatch.bench.telemetry.${run}`;

const bus = new KafkaBus(config.kafka);
await bus.ensureTopics([
  { topic: raw, partitions: 6, retentionMs: 3_600_000 },
  { topic: telemetry, partitions: 6, retentionMs: 3_600_000 },
]);
const kafka = new Kafka({ clientId: `sw-bench-produce-${run}`, brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
const separate = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
await separate.connect();

/** Batch i's messages for both topics: 5,000 devices, payloads of the size json-v1 and the telemetry JSON have. */
function messages(i) {
  const rawMessages = [];
  const readingMessages = [];
  for (let j = 0; j < batch; j++) {
    const n = (i * batch + j) % 5000;
    const device = `dev-${String(n).padStart(5, '0')}`;
    const mqttTopic = `ssd/json/${device}`;
    const at = new Date(Date.UTC(2026, 11, 7) + (i * batch + j) * 1000).toISOString();
    const payload = Buffer.from(JSON.stringify({ deviceId: device, msgId: i * batch + j, ts: at, kind: 'location', lat: 51.9 + j / 1000, lon: 4.1, speedKn: 12.5, hdop: 0.9 }));
    const reading = {
      eventId: `json-v1:${device}:${i * batch + j}`,
      deviceId: device,
      containerId: `MSKU${1_000_000 + n}`,
      tripId: `T-${n}`,
      format: 'json-v1',
      kind: 'location',
      lat: 51.9 + j / 1000,
      lon: 4.1,
      speedKn: 12.5,
      hdop: 0.9,
      measuredAt: at,
      receivedAt: at,
    };
    rawMessages.push({ key: mqttTopic, value: payload, headers: { 'mqtt-topic': mqttTopic, 'received-at': at } });
    readingMessages.push({ key: reading.containerId, value: JSON.stringify(reading) });
  }
  return [rawMessages, readingMessages];
}

const ways = {
  separate: ([r, t]) => Promise.all([separate.send({ topic: raw, acks: -1, messages: r }), separate.send({ topic: telemetry, acks: -1, messages: t })]),
  bus: ([r, t]) =>
    bus.produceAll([
      { topic: raw, messages: r },
      { topic: telemetry, messages: t },
    ]),
};

async function measure(way) {
  const batches = Math.ceil(readings / batch);
  const all = Array.from({ length: batches }, (_, i) => messages(i));
  await ways[way](all[0]); // connects and fetches metadata outside the timing
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 1; i < batches; i++) await ways[way](all[i]);
  const used = process.cpuUsage(cpu);
  const n = (batches - 1) * batch;
  return { usPerReading: (used.user + used.system) / n, perSecond: n / ((performance.now() - t0) / 1000) };
}

const results = { separate: [], bus: [] };
try {
  for (let r = 0; r < rounds; r++)
    for (const way of r % 2 === 0 ? ['separate', 'bus'] : ['bus', 'separate']) {
      const m = await measure(way);
      results[way].push(m);
      process.stderr.write(`[produce-cost] round ${r + 1} ${way}: ${m.usPerReading.toFixed(1)} CPU-us per reading, ${Math.round(m.perSecond)} readings/s\n`);
    }
} finally {
  await separate.disconnect();
  await bus.close();
}
const us = {};
for (const way of ['separate', 'bus']) {
  us[way] = summarise(results[way].map((m) => m.usPerReading));
  const rate = summarise(results[way].map((m) => m.perSecond));
  console.log(
    `${way.padEnd(8)} ${us[way].median.toFixed(1)} CPU-us per reading (${us[way].min.toFixed(1)}-${us[way].max.toFixed(1)}), ${Math.round(rate.median)} readings/s (${Math.round(rate.min)}-${Math.round(rate.max)}); ${readings} readings in produces of ${batch}, ${rounds} rounds`,
  );
}
console.log(`bus / separate: ${(us.bus.median / us.separate.median).toFixed(2)} of the CPU per reading`);
