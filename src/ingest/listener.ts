import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { SealwatchError } from '../errors.js';
import { mqttTlsOptions } from './auth-tls.js';

export type MessageHandler = (topic: string, payload: Buffer, receivedAt: number) => Promise<void>;

export interface Listener {
  readonly client: MqttClient;
  close(): Promise<void>;
}

/**
 * Subscribes to `{root}/#` on any MQTT broker. With QoS 1 a message is
 * acknowledged only once the handler resolved (the bus has it), so a crash
 * before that makes the broker deliver it again. The arrival time is taken
 * here, from the injected clock, or from the `received-at` user property when
 * configured to trust it (replay through a broker).
 */
export async function startListener(cfg: Config['mqtt'], handler: MessageHandler, opts: { log?: Logger; clock?: () => number; url?: string } = {}): Promise<Listener> {
  const clock = opts.clock ?? Date.now;
  const url = opts.url ?? cfg.url;
  const arrival = (packet: { properties?: { userProperties?: Record<string, string | string[]> } }): number => {
    if (cfg.trustReceivedAtProperty) {
      const v = packet.properties?.userProperties?.['received-at'];
      const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
      if (!Number.isNaN(t)) return t;
    }
    return clock();
  };
  const client = mqtt.connect(url, {
    clientId: cfg.clientId,
    clean: cfg.cleanSession,
    protocolVersion: cfg.protocolVersion,
    ...(cfg.cleanSession || cfg.protocolVersion < 5 ? {} : { properties: { sessionExpiryInterval: 7 * 24 * 3600 } }),
    ...(cfg.username ? { username: cfg.username } : {}),
    ...(cfg.password ? { password: cfg.password } : {}),
    ...mqttTlsOptions(cfg.caFile),
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  // mqtt.js sends the PUBACK of a QoS 1 message only after handleMessage's callback: the
  // handler resolving means the bus has the message. It works for MQTT 3.1.1 and 5 alike.
  client.handleMessage = (packet, callback) => {
    const topic = packet.topic.toString();
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    handler(topic, payload, arrival(packet)).then(
      () => callback(),
      (err: Error) => {
        opts.log?.error({ topic, err: err.message }, 'ingest.handler_failed');
        // No PUBACK: reconnecting makes the broker deliver the message again.
        callback(err);
        client.end(true, {}, () => client.reconnect());
      },
    );
  };
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      client.end(true);
      reject(new SealwatchError('SW_ERR_MQTT_CONNECT', [url, err.message], { cause: err }));
    };
    client.once('error', onError);
    client.once('connect', () => {
      client.off('error', onError);
      resolve();
    });
  });
  client.on('error', (err) => opts.log?.warn({ err: err.message }, 'ingest.mqtt_error'));
  client.on('reconnect', () => opts.log?.info({ url }, 'ingest.mqtt_reconnecting'));
  await client.subscribeAsync(`${cfg.topicRoot}/#`, { qos: cfg.qos });
  opts.log?.info({ url, topic: `${cfg.topicRoot}/#`, qos: cfg.qos }, 'ingest.subscribed');
  return {
    client,
    close: () => new Promise<void>((resolve) => client.end(false, {}, () => resolve())),
  };
}
