import { authHeaders } from './api.js';

// Server-Sent Events read with fetch (EventSource cannot send an
// Authorization header). Reconnects with Last-Event-ID so nothing is missed.
export function follow(url, lastEventId, handlers) {
  let last = lastEventId;
  let stopped = false;
  let controller = null;

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers = { accept: 'text/event-stream', ...authHeaders() };
        if (last !== null && last !== undefined) headers['last-event-id'] = String(last);
        const res = await fetch(url, { headers, signal: controller.signal, cache: 'no-store' });
        if (!res.ok || !res.body) throw new Error(`stream HTTP ${res.status}`);
        handlers.state('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev = { id: null, event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (!line || line.startsWith(':')) continue;
              const c = line.indexOf(':');
              const field = c < 0 ? line : line.slice(0, c);
              const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
              if (field === 'id') ev.id = v;
              else if (field === 'event') ev.event = v;
              else if (field === 'data') ev.data += (ev.data ? '\n' : '') + v;
            }
            if (ev.id !== null) last = Number(ev.id);
            if (ev.data) handlers.event(ev.event, JSON.parse(ev.data), last);
          }
        }
      } catch {
        if (stopped) return;
      }
      handlers.state('reconnecting');
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  connect();
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
