// Device publishers in a worker thread (own event loop, so on a 2-core box the
// publishers do not steal the pipeline's thread): `clients` mqtt.js clients,
// container i always on client i % clients (per-device order kept), QoS as
// given, at most `window` unacknowledged publishes per client. Commands come
// by postMessage; each run replies with its breach messages' publish times.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import { messageOf as message } from './load.mjs';

const { url, clients: nClients, qos, protocolVersion, username, password, spec, clientIdPrefix, window: windowSize = 100 } = workerData;
const now = () => performance.timeOrigin + performance.now();
const clients = [];

async function connect() {
  for (let c = 0; c < nClients; c++) {
    const client = await mqtt.connectAsync(url, { clientId: `${clientIdPrefix}-${c}`, clean: true, protocolVersion, reconnectPeriod: 0, ...(username ? { username, password } : {}) });
    clients.push(client);
  }
}

/** Publishes messages [from, to) at `rate` messages/s (0: as fast as the acks allow). */
async function run({ from, to, rate }) {
  const marks = [];
  const inflight = new Array(nClients).fill(0);
  const waiters = new Array(nClients).fill(null);
  let pending = 0;
  let failure = null;
  let allAcked;
  const acked = new Promise((resolve) => (allAcked = resolve));
  const start = now();
  const publish = (msg) => {
    const c = msg.container % nClients;
    inflight[c]++;
    pending++;
    if (msg.breach) marks.push([msg.eventId, now()]);
    clients[c].publish(msg.topic, msg.payload, { qos }, (err) => {
      if (err) failure ??= err;
      inflight[c]--;
      pending--;
      const w = waiters[c];
      if (w) {
        waiters[c] = null;
        w();
      }
      if (pending === 0 && done) allAcked();
    });
  };
  let done = false;
  for (let m = from; m < to; m++) {
    const msg = message(spec, m);
    const c = msg.container % nClients;
    if (inflight[c] >= windowSize) await new Promise((resolve) => (waiters[c] = resolve));
    if (rate > 0) {
      const due = start + ((m - from) * 1000) / rate;
      const wait = due - now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    } else if ((m - from) % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve));
    publish(msg);
  }
  done = true;
  if (pending > 0) await acked;
  if (failure) throw failure;
  return { marks, publishMs: now() - start, start };
}

parentPort.on('message', async (cmd) => {
  try {
    if (cmd.type === 'connect') {
      await connect();
      parentPort.postMessage({ type: 'connected' });
    } else if (cmd.type === 'run') {
      parentPort.postMessage({ type: 'ran', ...(await run(cmd)) });
    } else if (cmd.type === 'close') {
      await Promise.all(clients.map((c) => c.endAsync()));
      parentPort.postMessage({ type: 'closed' });
    }
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: err.message });
  }
});
