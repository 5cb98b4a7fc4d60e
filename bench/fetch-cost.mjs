// What consuming the telemetry topic costs the Kafka broker: readings
// produced at a steady rate (default 5,000/s, 25 per produce, 300-byte
// values keyed by 5,000 containers) into a 6-partition topic that two
// consumer groups read through KafkaBus.subscribe, as the rules and telemetry
// stages do (a commit per batch). The broker's CPU (user + system from
// /proc, pid from scripts/stack.sh's pid file) per 100,000 readings, with no
// consumer at all, with consumers fetching as soon as anything is there
// (kafka.fetchMinBytes 1), and with the configured fetchMinBytes (default
// 64 KiB), alternated over the rounds. Also the batches the groups got and
// this process's own CPU per reading.
//
//   npm run build && node bench/fetch-cost.mjs [rounds=2] [readings=40000] [rate=5000]
import { KafkaBus } from '../dist/src/bus/kafka.js';
import { cpuTicks, servicePids, stackConfig } from './lib/local-stack.mjs';
import { summarise } from './lib/measure.mjs';

const [rounds = 2, readings = 40_000, rate = 5000] = process.argv.slice(2).map(Number);
const config = stackConfig();
const brokerPid = servicePids().kafka;
if (brokerPid === undefined) throw new Error('fetch-cost: no Kafka pid file in .stack/run (scripts/stack.sh up first)');

/** Clock ticks (100 a second) of user + system time the broker has used so far. */
function brokerTicks() {
  const ticks = cpuTicks(brokerPid);
  if (Number.isNaN(ticks)) throw new Error(`fetch-cost: cannot read the CPU time of the Kafka broker (pid ${brokerPid})`);
  return ticks;
}

const PER_PRODUCE = 25;
const value = 'x'.repeat(300);

async function measure(label, groups, fetchMinBytes) {
  const bus = new KafkaBus({ ...config.kafka, fetchMinBytes });
  const topic = `sealwatch.bench.fetch.${process.pid}.${Date.now().toString(36)}`;
  let got = 0;
  let batches = 0;
  const subs = [];
  try {
    await bus.ensureTopics([{ topic, partitions: 6, retentionMs: 3_600_000 }]);
    for (let g = 0; g < groups; g++)
      subs.push(
        await bus.subscribe({
          groupId: `${topic}.g${g}`,
          topics: [topic],
          bulk: true,
          fromBeginning: true,
          handler: async (b) => {
            got += b.length;
            batches++;
          },
        }),
      );
    await new Promise((r) => setTimeout(r, 3000)); // the groups settle before the timing
    const ticks = brokerTicks();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < readings; i += PER_PRODUCE) {
      const wait = t0 + (i / rate) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await bus.produce(
        topic,
        Array.from({ length: PER_PRODUCE }, (_, j) => ({ key: `MSKU${1_000_000 + ((i + j) % 5000)}`, value })),
      );
    }
    for (const deadline = Date.now() + 60_000; got < readings * groups && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    if (got < readings * groups) throw new Error(`${label}: the groups got ${got} of ${readings * groups} messages within a minute`);
    const used = process.cpuUsage(cpu);
    return { label, brokerCpuSPer100k: ((brokerTicks() - ticks) / 100 / readings) * 100_000, batches, clientUsPerReading: (used.user + used.system) / readings };
  } finally {
    for (const s of subs) await s.stop();
    await bus.close();
  }
}

const ways = [
  ['no consumer', 0, 1],
  ['fetchMinBytes 1', 2, 1],
  [`fetchMinBytes ${config.kafka.fetchMinBytes}`, 2, config.kafka.fetchMinBytes],
];
const results = new Map(ways.map(([label]) => [label, []]));
for (let r = 0; r < rounds; r++)
  for (const [label, groups, minBytes] of r % 2 === 0 ? ways : [...ways].reverse()) {
    const m = await measure(label, groups, minBytes);
    results.get(label).push(m);
    process.stderr.write(`[fetch-cost] round ${r + 1} ${label}: broker ${m.brokerCpuSPer100k.toFixed(2)} CPU-s per 100,000 readings, ${m.batches} batches, this process ${m.clientUsPerReading.toFixed(1)} CPU-us per reading\n`);
  }
for (const [label, ms] of results) {
  const cpu = summarise(ms.map((m) => m.brokerCpuSPer100k));
  console.log(
    `${label.padEnd(22)} broker ${cpu.median.toFixed(2)} CPU-s per 100,000 readings (${cpu.min.toFixed(2)}-${cpu.max.toFixed(2)}), ${Math.round(summarise(ms.map((m) => m.batches)).median)} batches, this process ${summarise(ms.map((m) => m.clientUsPerReading)).median.toFixed(1)} CPU-us per reading`,
  );
}
console.log(`${readings} readings at ${rate}/s into 6 partitions, ${ways[1][1]} consumer groups, ${rounds} rounds`);
