import mqtt from 'mqtt';
import { CaptureWriter } from '../replay/capture.js';
import { context, type GlobalOptions } from './common.js';
import { SealwatchError } from '../errors.js';

/** Subscribes to `{root}/#` and writes every message with its arrival time (WIRE section 4). */
export async function recordCommand(opts: { broker: string; out: string; duration?: string; username?: string; password?: string }, g: GlobalOptions): Promise<void> {
  const ctx = context(g);
  const writer = new CaptureWriter(opts.out);
  const password = opts.password ?? process.env.SEALWATCH_RECORD_PASSWORD;
  const client = mqtt.connect(opts.broker, { clientId: `sealwatch-record-${process.pid}`, clean: true, ...(opts.username ? { username: opts.username } : {}), ...(password ? { password } : {}), reconnectPeriod: 1000 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err) => reject(new SealwatchError('SW_ERR_MQTT_CONNECT', [opts.broker, err.message])));
  });
  client.on('message', (topic, payload) => writer.write({ t: Date.now(), topic, payload }));
  await client.subscribeAsync(`${ctx.config.mqtt.topicRoot}/#`, { qos: 1 });
  ctx.log.info({ broker: opts.broker, out: opts.out }, 'replay.recording');
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (opts.duration) setTimeout(resolve, Number(opts.duration) * 1000).unref();
  });
  const ticker = setInterval(() => process.stderr.isTTY && process.stderr.write(`\r\x1b[2Krecorded ${writer.count} messages`), 500);
  await stop;
  clearInterval(ticker);
  await client.endAsync();
  await writer.close();
  process.stdout.write(JSON.stringify({ recorded: writer.count, out: opts.out }) + '\n');
}
