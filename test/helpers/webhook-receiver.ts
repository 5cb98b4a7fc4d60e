import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, with what its own Standard Webhooks check found. */
export interface Received {
  webhookId: string;
  timestamp: number;
  signature: string;
  body: string;
  alertId: string;
  /** `x-sealwatch-attempt`: the attempt of the process that sent it. */
  attempt: number;
  /** The signature verified (key, id, timestamp within 5 minutes, raw body). */
  ok: boolean;
  /** What the receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  port: number;
  got: Received[];
  /** Requests that were answered 2xx. */
  accepted(): Received[];
  close(): Promise<void>;
}

/**
 * The key of a secret as docs/api.md ("Webhooks") says, written out here
 * apart from src/ so that a mistake there fails the tests.
 */
export function keyOf(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * A targeting centre's receiver on 127.0.0.1 that checks every request the
 * Standard Webhooks way (an invalid signature gets 401) and otherwise answers
 * what `answer` says for the n-th valid request (1-based).
 */
export async function startReceiver(secret: string, answer: (n: number, r: Omit<Received, 'status'>) => number, port = 0): Promise<Receiver> {
  const key = keyOf(secret);
  const got: Received[] = [];
  let n = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const webhookId = String(req.headers['webhook-id'] ?? '');
      const ts = String(req.headers['webhook-timestamp'] ?? '');
      const signature = String(req.headers['webhook-signature'] ?? '');
      const expected = createHmac('sha256', key).update(`${webhookId}.${ts}.${body}`).digest();
      const fresh = /^\d+$/.test(ts) && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
      const ok =
        webhookId !== '' &&
        fresh &&
        signature.split(' ').some((s) => {
          const given = Buffer.from(s.startsWith('v1,') ? s.slice(3) : '', 'base64');
          return given.length === expected.length && timingSafeEqual(given, expected);
        });
      let alertId = '';
      try {
        alertId = String((JSON.parse(body) as { alertId?: string }).alertId ?? '');
      } catch {
        // not JSON: recorded with an empty alert id
      }
      const r = { webhookId, timestamp: Number(ts), signature, body, alertId, attempt: Number(req.headers['x-sealwatch-attempt']), ok };
      const status = ok ? answer(++n, r) : 401;
      got.push({ ...r, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/sealwatch`,
    port: bound,
    got,
    accepted: () => got.filter((g) => g.status >= 200 && g.status < 300),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
