import { request, type ClientRequest } from 'node:http';

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** A minimal Server-Sent Events reader over node:http, as a browser's EventSource parses the stream. */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  private req: ClientRequest | null = null;

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const c = new SseClient();
    return new Promise((resolve, reject) => {
      c.req = request(url, { headers: { accept: 'text/event-stream', ...headers }, timeout: 10_000 }, (res) => {
        c.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev: SseEvent = { id: null, event: 'message', data: '' };
            let any = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const [field, ...rest] = line.split(':');
              const value = rest.join(':').replace(/^ /, '');
              if (field === 'id') ev.id = value;
              else if (field === 'event') ev.event = value;
              else if (field === 'data') ev.data += (ev.data ? '\n' : '') + value;
              else continue;
              any = true;
            }
            if (any && (ev.data || ev.event !== 'message')) c.events.push(ev);
          }
        });
        res.on('error', () => undefined);
        resolve(c);
      });
      c.req.on('error', reject);
      c.req.end();
    });
  }

  async waitForEvents(n: number, ms = 10_000): Promise<SseEvent[]> {
    const deadline = Date.now() + ms;
    while (this.events.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.events.length} of ${n} stream events within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.events;
  }

  close(): void {
    this.req?.destroy();
  }
}
