import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

export interface EmbeddedBroker {
  readonly port: number;
  readonly host: string;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The embedded MQTT broker (aedes) on a real TCP port, for the single-process
 * mode. It listens on the configured host only (loopback by default).
 */
export async function startEmbeddedBroker(opts: { host: string; port: number; log?: Logger }): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  aedes.on('clientError', (client, err) => opts.log?.debug({ clientId: client?.id, err: err.message }, 'ingest.broker_client_error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  opts.log?.info({ host: opts.host, port }, 'ingest.broker_listening');
  return {
    port,
    host: opts.host,
    url: `mqtt://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
