import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { startApi, type Api } from '../../../src/api/server.js';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { createLogger } from '../../../src/log.js';
import { defaultPorts } from '../../../src/geo/ports.js';
import { newTripDirectory, startPipeline, type Pipeline } from '../../../src/pipeline/app.js';
import { plan } from '../../helpers/fixtures.js';
import { addDevice, stackConfig, waitFor } from '../../helpers/stack.js';

/**
 * The targeting-centre API on the real stack: the alert comes from Kafka,
 * the analyst's acknowledgement survives a restart of the API (compacted
 * status topic), and the track is read from InfluxDB.
 */
describe('API on the stack', () => {
  const run = randomUUID().slice(0, 8);
  const device = `apidev-${run}`;
  const containerId = 'TGHU7654320';
  const tripId = `T-API-${run}`;
  const config = stackConfig([`kafka.groupId=sw-api-${run}`, `mqtt.clientId=sw-api-ingest-${run}`, 'mqtt.cleanSession=true', 'engine.reorderWindowMs=500', 'engine.idleFlushMs=100', 'influx.flushIntervalMs=200', 'api.port=0']);
  const log = createLogger('warn');
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  let pipeline: Pipeline;
  let api: Api;
  let client: MqttClient;
  const trips = newTripDirectory(config);

  beforeAll(async () => {
    trips.upsert(plan({ tripId, containerId, deviceId: device, departure: iso(48 * 3_600_000), eta: new Date(now + 10 * 86_400_000).toISOString() }));
    pipeline = await startPipeline({ config, ports: defaultPorts(), trips, log, rulesFromNow: true });
    api = await startApi({ config, bus: pipeline.bus, trips, ports: defaultPorts(), log, pipeline, demoWriteToken: true });
    addDevice(device, `pw-${run}`);
    client = await mqtt.connectAsync(config.mqtt.url, { clientId: device, username: device, password: `pw-${run}` });
  });

  afterAll(async () => {
    await client?.endAsync();
    await api?.close();
    await pipeline?.stop();
  });

  it('an acknowledgement survives a restart of the API, and the track comes from InfluxDB', async () => {
    for (const [i, ago] of [30, 20, 10].entries()) {
      await client.publishAsync(`ssd/json/${device}/gps`, JSON.stringify({ msgId: `g${i}`, containerId, ts: iso(ago * 60_000), lat: 36.0 - i * 0.05, lon: -12 - i * 0.05, speedKn: 17 }), { qos: 1 });
    }
    await client.publishAsync(`ssd/json/${device}/door`, JSON.stringify({ msgId: 'd1', containerId, ts: iso(15 * 60_000), state: 'open' }), { qos: 1 });
    const get = async (base: string, path: string, token?: string) => {
      const r = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const alert = await waitFor(
      'the alert in the API',
      60_000,
      async () => {
        const r = await get(api.url, `/api/alerts?tripId=${tripId}`);
        const items = (r.body.items ?? r.body.alerts) as Array<{ alertId: string; rule: string }> | undefined;
        return items?.length ? items[0] : undefined;
      },
      250,
    );
    expect(alert.rule).toBe('DOOR_OPEN_IN_TRANSIT');
    const ack = await fetch(`${api.url}/api/alerts/${alert.alertId}/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.demoWriteToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'acknowledge', note: 'vessel contacted' }),
    });
    expect(ack.status).toBe(200);
    await api.close();

    // a new API process: its own bus client, nothing in memory
    const bus2 = new KafkaBus(config.kafka);
    const api2 = await startApi({ config, bus: bus2, trips, ports: defaultPorts(), log, demoWriteToken: false });
    try {
      const again = await waitFor(
        'the alert after restart',
        60_000,
        async () => {
          const r = await get(api2.url, `/api/alerts/${alert.alertId}`);
          return r.status === 200 ? r.body : undefined;
        },
        250,
      );
      expect(again.status).toBe('acknowledged');
      expect(JSON.stringify(again.history)).toContain('vessel contacted');
      const track = await waitFor(
        'the track from InfluxDB',
        60_000,
        async () => {
          const r = await get(api2.url, `/api/containers/${containerId}/track?from=${encodeURIComponent(iso(3_600_000))}&to=${encodeURIComponent(iso(0))}`);
          const points = (r.body.points ?? r.body.track) as unknown[] | undefined;
          return points && points.length >= 3 ? points : undefined;
        },
        500,
      );
      expect(track.length).toBe(3);
    } finally {
      await api2.close();
      await bus2.close();
    }
  });
});
