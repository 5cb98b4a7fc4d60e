import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAlert, publishAlerts, startApiOnly, waitFor } from './harness.js';
import { SseClient } from './sse-client.js';

describe('GET /api/alerts/stream: Server-Sent Events with resume', () => {
  let s: Awaited<ReturnType<typeof startApiOnly>>;
  const clients: SseClient[] = [];
  const open = async (headers: Record<string, string> = {}, query = '') => {
    const c = await SseClient.open(`${s.api.url}/api/alerts/stream${query}`, headers);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    s = await startApiOnly({ sets: ['api.streamBufferSize=10'] });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await s?.stop();
  });

  it('delivers live alerts with increasing ids; a reconnect with Last-Event-ID misses nothing and repeats nothing', async () => {
    const first = await open();
    expect(first.status).toBe(200);
    const batch1 = [makeAlert(), makeAlert(), makeAlert()];
    await publishAlerts(s.bus, batch1);
    const got = await first.waitForEvents(3);
    expect(got.map((e) => e.event)).toEqual(['alert', 'alert', 'alert']);
    const ids = got.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(3);
    expect(got.map((e) => JSON.parse(e.data).alertId)).toEqual(batch1.map((a) => a.alertId));
    const lastSeen = got[1]!.id!; // the client dropped after the second event
    first.close();
    // alerts raised while the client is away
    const batch2 = [makeAlert(), makeAlert()];
    await publishAlerts(s.bus, batch2);
    await waitFor(() => s.api.context.alerts.size === 5);
    const again = await open({ 'last-event-id': lastSeen });
    const resumed = await again.waitForEvents(3);
    expect(resumed.map((e) => JSON.parse(e.data).alertId)).toEqual([batch1[2]!.alertId, ...batch2.map((a) => a.alertId)]);
    // and it goes on live
    const live = makeAlert();
    await publishAlerts(s.bus, [live]);
    await again.waitForEvents(4);
    expect(JSON.parse(again.events[3]!.data).alertId).toBe(live.alertId);
    expect(Number(again.events[3]!.id)).toBe(Number(again.events[2]!.id) + 1);
  });

  it('a status change is a stream event too', async () => {
    const c = await open({ 'last-event-id': String(s.api.context.alerts.stream.lastSeq) });
    const target = makeAlert();
    await publishAlerts(s.bus, [target]);
    await c.waitForEvents(1);
    await s.api.context.lifecycle.act(target.alertId, { action: 'acknowledge', by: 'test', at: new Date().toISOString() });
    await c.waitForEvents(2);
    expect(c.events[1]!.event).toBe('status');
    expect(JSON.parse(c.events[1]!.data)).toMatchObject({ alertId: target.alertId, status: 'acknowledged' });
  });

  it('when the missed events fell out of the ring buffer it sends a reset telling the client to refetch', async () => {
    await publishAlerts(
      s.bus,
      Array.from({ length: 15 }, () => makeAlert()),
    );
    await waitFor(() => s.api.context.alerts.stream.lastSeq >= 23);
    const c = await open({ 'last-event-id': '1' });
    const [reset] = await c.waitForEvents(1);
    expect(reset!.event).toBe('reset');
    expect(Number(reset!.id)).toBe(s.api.context.alerts.stream.lastSeq);
    expect(JSON.parse(reset!.data).reason).toMatch(/refetch/);
    // an id from the future (a previous run of the server) is a gap as well
    const d = await open({}, '?lastEventId=999999');
    expect((await d.waitForEvents(1))[0]!.event).toBe('reset');
    // within the buffer: exactly the events after the id
    const last = s.api.context.alerts.stream.lastSeq;
    const e = await open({ 'last-event-id': String(last - 3) });
    const evs = await e.waitForEvents(3);
    expect(evs.map((x) => Number(x.id))).toEqual([last - 2, last - 1, last]);
  });

  it('refuses a malformed Last-Event-ID', async () => {
    const c = await open({ 'last-event-id': 'abc' });
    expect(c.status).toBe(400);
  });
});
