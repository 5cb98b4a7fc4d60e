import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { SealwatchError } from '../errors.js';
import { AckWindow } from './ack-window.js';
import { mqttTlsOptions } from './auth-tls.js';

export type MessageHandler = (topic: string, payload: Buffer, receivedAt: number) => Promise<void>;

export interface Listener {
  readonly client: MqttClient;
  close(): Promise<void>;
}

/** Messages of the connection on their way to the bus at once (see AckWindow); also the MQTT 5 receive maximum. */
export const DEFAULT_MAX_IN_FLIGHT = 2000;

/**
 * Subscribes to `{root}/#` on any MQTT broker. With QoS 1 a message is
 * acknowledged only once the handler resolved (the bus has it), so a crash
 * before that makes the broker deliver it again. Up to `maxInFlight`
 * messages are handled at once (their PUBACKs held back, sent in order), so
 * the handler can put many on the bus in one write. The arrival time is taken
 * here, from the injected clock, or from the `received-at` user property when
 * configured to trust it (replay through a broker).
 */
export async function startListener(cfg: Config['mqtt'], handler: MessageHandler, opts: { log?: Logger; clock?: () => number; url?: string; maxInFlight?: number } = {}): Promise<Listener> {
  const maxInFlight = Math.min(65_535, Math.max(1, opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT));
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
    // MQTT 5: the broker sends at most receiveMaximum unacknowledged messages (MQTT 3.1.1 brokers have their own limit)
    ...(cfg.protocolVersion < 5 ? {} : { properties: { ...(cfg.cleanSession ? {} : { sessionExpiryInterval: cfg.sessionExpirySeconds }), receiveMaximum: maxInFlight } }),
    ...(cfg.username ? { username: cfg.username } : {}),
    ...(cfg.password ? { password: cfg.password } : {}),
    ...mqttTlsOptions(cfg.caFile),
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  const window = AckWindow.attach(client, maxInFlight);
  let closing = false;
  const failed = (topic: string, err: Error): void => {
    opts.log?.error({ topic, err: err.message }, 'ingest.handler_failed');
    // No PUBACK for it nor for any message after it: reconnecting makes the broker deliver them again.
    window?.reset();
    client.end(true, {}, () => {
      if (!closing) client.reconnect();
    });
  };
  client.handleMessage = (packet, callback) => {
    // Closing: not handled, not acknowledged; the persistent session keeps it for the next start.
    if (closing) return;
    const topic = packet.topic.toString();
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (!window) {
      // mqtt.js sends the PUBACK of a QoS 1 message only after handleMessage's callback: the
      // handler resolving means the bus has the message. It works for MQTT 3.1.1 and 5 alike.
      handler(topic, payload, arrival(packet)).then(
        () => callback(),
        (err: Error) => {
          callback(err);
          failed(topic, err);
        },
      );
      return;
    }
    const ticket = window.open(packet.qos > 0);
    handler(topic, payload, arrival(packet)).then(
      () => window.done(ticket),
      (err: Error) => {
        if (ticket.generation === window.generationNow) failed(topic, err);
      },
    );
    window.pass(ticket, callback);
  };
  // A lost connection loses its held PUBACKs: the broker delivers those messages again.
  client.on('close', () => window?.reset());
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
  // a shared subscription: the broker hands each message to one member of the group
  const filter = cfg.sharedGroup ? `$share/${cfg.sharedGroup}/${cfg.topicRoot}/#` : `${cfg.topicRoot}/#`;
  const granted = await client.subscribeAsync(filter, { qos: cfg.qos });
  // a broker without shared subscriptions refuses the filter (reason code 0x80 and up): say so rather than ingest nothing
  if (cfg.sharedGroup && granted.some((g) => g.qos >= 0x80)) {
    client.end(true);
    throw new SealwatchError('SW_ERR_MQTT_CONNECT', [url, `the broker refused the shared subscription ${filter} (mqtt.sharedGroup; does it support $share?)`]);
  }
  opts.log?.info({ url, topic: filter, qos: cfg.qos, maxInFlight: window ? maxInFlight : 1 }, 'ingest.subscribed');
  if (!window) opts.log?.warn('ingest.ack_window_unavailable: this mqtt.js has no _sendPacket; acknowledging one message at a time');
  return {
    client,
    close: async () => {
      closing = true;
      // what is on its way to the bus gets there and is acknowledged (bounded: a stuck bus must not hang shutdown)
      if (window) await Promise.race([window.idle(), new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (window?.unexpectedAcks) opts.log?.error({ unexpectedAcks: window.unexpectedAcks }, 'ingest.ack_window_bypassed: mqtt.js acknowledged messages before the bus had them');
      await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    },
  };
}
