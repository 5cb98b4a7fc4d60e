#!/usr/bin/env node
// Readiness probes for scripts/stack.sh. Each speaks the service's own protocol over a real
// socket, with no npm dependency, so the stack can be checked before `npm ci` has run.
//
//   node probe.mjs kafka HOST PORT            ApiVersions v0 answered without error
//   node probe.mjs mqtt HOST PORT USER PASS   MQTT 3.1.1 CONNECT answered by CONNACK 0
//   node probe.mjs http URL [STATUS]          GET answered with STATUS (default: any 2xx)
//
// Exit 0: ready. Exit 1: not ready (reason on stderr). Every probe gives up after 3 s.
import net from 'node:net';

const TIMEOUT_MS = 3000;

function exchange(host, port, request, isComplete) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port) });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer from ${host}:${port} within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (isComplete(received)) {
        clearTimeout(timer);
        socket.end();
        resolve(received);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`${host}:${port} closed the connection`));
    });
  });
}

function kafkaString(s) {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

async function probeKafka(host, port) {
  const correlationId = 4242;
  const header = Buffer.alloc(8);
  header.writeInt16BE(18, 0); // ApiVersions
  header.writeInt16BE(0, 2); // version 0: every broker, old or new, answers it
  header.writeInt32BE(correlationId, 4);
  const body = Buffer.concat([header, kafkaString('sealwatch-stack-probe')]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  const answer = await exchange(host, port, Buffer.concat([size, body]), (buf) => buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0));
  if (answer.readInt32BE(4) !== correlationId) throw new Error('ApiVersions: wrong correlation id');
  const errorCode = answer.readInt16BE(8);
  if (errorCode !== 0) throw new Error(`ApiVersions: error code ${errorCode}`);
  return `ApiVersions lists ${answer.readInt32BE(10)} APIs`;
}

function mqttString(s) {
  return kafkaString(s); // same encoding: 16-bit big-endian length, then UTF-8 bytes
}

function mqttRemainingLength(n) {
  const out = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

async function probeMqtt(host, port, username, password) {
  const variableHeader = Buffer.concat([
    mqttString('MQTT'),
    Buffer.from([4, 0xc2, 0, 10]), // level 3.1.1; username, password, clean session; keepalive 10 s
  ]);
  const payload = Buffer.concat([mqttString(`sealwatch-stack-probe-${process.pid}`), mqttString(username), mqttString(password)]);
  const rest = Buffer.concat([variableHeader, payload]);
  const connect = Buffer.concat([Buffer.from([0x10]), mqttRemainingLength(rest.length), rest]);
  const answer = await exchange(host, port, connect, (buf) => buf.length >= 4);
  if (answer[0] !== 0x20) throw new Error(`expected CONNACK, got packet type 0x${answer[0].toString(16)}`);
  if (answer[3] !== 0) throw new Error(`CONNACK return code ${answer[3]} (4: bad user name or password, 5: not authorised)`);
  return 'CONNACK 0 (accepted)';
}

async function probeHttp(url, expected) {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const ok = expected ? response.status === Number(expected) : response.ok;
  if (!ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return `HTTP ${response.status}`;
}

const [kind, ...args] = process.argv.slice(2);
const probes = { kafka: probeKafka, mqtt: probeMqtt, http: probeHttp };
if (!probes[kind]) {
  process.stderr.write('usage: probe.mjs kafka HOST PORT | mqtt HOST PORT USER PASS | http URL [STATUS]\n');
  process.exit(2);
}
try {
  const detail = await probes[kind](...args);
  if (process.env.SEALWATCH_PROBE_VERBOSE) process.stderr.write(`${detail}\n`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`${kind} probe: ${err.message}\n`);
  process.exit(1);
}
