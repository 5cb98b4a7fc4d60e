// The embedded aedes broker for the benchmarks, on a free loopback port, with
// the same authentication a deployment has: the pipeline connects as the
// service account, the publishers as the fleet (simulator) account. Works with
// a broker without authentication as well (older builds).
import { randomBytes } from 'node:crypto';
import * as embedded from '../../dist/src/ingest/embedded-broker.js';

export async function benchBroker(config) {
  if (typeof embedded.brokerAuthFromConfig !== 'function') {
    const b = await embedded.startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
    return { broker: b, pipeline: {}, devices: {} };
  }
  const { CredentialStore } = await import('../../dist/src/ingest/auth-passwords.js');
  const service = config.embeddedBroker.serviceAccounts[0] ?? 'sealwatch';
  const fleet = config.embeddedBroker.fleetAccounts[0] ?? 'simulator';
  const pw = { service: randomBytes(12).toString('hex'), fleet: randomBytes(12).toString('hex') };
  const extra = new CredentialStore().add(service, pw.service).add(fleet, pw.fleet);
  const auth = embedded.brokerAuthFromConfig({ ...config.embeddedBroker, passwordFile: null }, config.mqtt.topicRoot, extra);
  const b = await embedded.startEmbeddedBroker({ host: '127.0.0.1', port: 0, auth });
  return { broker: b, pipeline: { username: service, password: pw.service }, devices: { username: fleet, password: pw.fleet } };
}
