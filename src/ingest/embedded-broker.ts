import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { swError } from '../errors.js';
import { Acl, builtinAclText } from './auth-acl.js';
import { CredentialStore } from './auth-passwords.js';

export interface EmbeddedBroker {
  /** The plain listener's port and URL (null when only TLS listens). */
  readonly port: number | null;
  readonly host: string;
  readonly url: string | null;
  readonly tlsPort: number | null;
  readonly tlsUrl: string | null;
  /** Refusals so far, for metrics and tests. */
  readonly denied: { connect: number; publish: number; subscribe: number };
  close(): Promise<void>;
}

/** Who may connect, and what each may publish and subscribe to. */
export interface BrokerAuth {
  credentials: CredentialStore;
  acl: Acl;
  /** Clients without a username are let in, with the ACL's anonymous lines. */
  allowAnonymous: boolean;
}

export interface EmbeddedBrokerOptions {
  host: string;
  /** Plain MQTT port (0: a free one); null: no plain listener. */
  port: number | null;
  /** Accounts and ACL; without it, only `allowAnonymous: true` (an open broker under `topicRoot`) is accepted. */
  auth?: BrokerAuth;
  allowAnonymous?: boolean;
  topicRoot?: string;
  /** A TLS listener (PEM certificate chain and key). */
  tls?: { port: number; cert: string | Buffer; key: string | Buffer } | null;
  log?: Logger;
}

/**
 * The authentication and ACL of the embedded broker from configuration: the
 * password file (Mosquitto's format) plus `extra` accounts (the demo's per-run
 * ones), and the ACL file or the built-in policy. Deny by default: with no
 * account at all and anonymous clients refused, nobody could connect, which is
 * a configuration error.
 */
export function brokerAuthFromConfig(cfg: Config['embeddedBroker'], topicRoot: string, extra?: CredentialStore): BrokerAuth {
  const credentials = cfg.passwordFile ? CredentialStore.fromFile(cfg.passwordFile) : new CredentialStore();
  if (extra) credentials.merge(extra);
  if (credentials.size === 0 && !cfg.allowAnonymous) {
    throw swError(
      'SW_ERR_CONFIG_INVALID',
      `embeddedBroker.passwordFile = ${JSON.stringify(cfg.passwordFile)}: expected a Mosquitto password file with at least one account (mosquitto_passwd -c FILE USER), since embeddedBroker.allowAnonymous is false`,
    );
  }
  const acl = cfg.aclFile ? Acl.fromFile(cfg.aclFile) : Acl.parse(builtinAclText(topicRoot, cfg.serviceAccounts, cfg.fleetAccounts, cfg.allowAnonymous), 'built-in ACL');
  return { credentials, acl, allowAnonymous: cfg.allowAnonymous };
}

/** The TLS listener of the configuration, its files read. */
export function brokerTlsFromConfig(cfg: Config['embeddedBroker']): EmbeddedBrokerOptions['tls'] {
  if (!cfg.tls) return null;
  const read = (key: 'certFile' | 'keyFile') => {
    try {
      return readFileSync(cfg.tls![key]);
    } catch (err) {
      throw swError('SW_ERR_CONFIG_INVALID', `embeddedBroker.tls.${key} = ${JSON.stringify(cfg.tls![key])}: expected a readable PEM file (${(err as Error).message})`);
    }
  };
  return { port: cfg.tls.port, cert: read('certFile'), key: read('keyFile') };
}

/**
 * The embedded MQTT broker (aedes) on real TCP ports, for the single-process
 * mode. It listens on the configured host only (loopback by default), checks
 * every CONNECT against the password file and every PUBLISH and SUBSCRIBE
 * against the ACL.
 *
 * aedes speaks MQTT 3.1.1, which has no negative PUBACK: a publish the ACL
 * denies closes the client's connection (MQTT-3.3.5-2 allows acknowledging and
 * dropping or closing; closing tells the device something is wrong), and the
 * message reaches no subscriber. A subscription the ACL denies gets SUBACK
 * 0x80. A refused CONNECT gets CONNACK 4 (bad username or password) or 5 (not
 * authorised: no username while anonymous clients are refused).
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { log } = opts;
  if (!opts.auth && !opts.allowAnonymous) throw swError('SW_ERR_CONFIG_INVALID', 'embedded broker: no accounts and anonymous clients refused: nobody could connect (give auth, or allowAnonymous: true)');
  const auth: BrokerAuth = opts.auth ?? { credentials: new CredentialStore(), acl: Acl.parse(builtinAclText(opts.topicRoot ?? 'ssd', [], [], true), 'open ACL'), allowAnonymous: true };
  const usernames = new WeakMap<Client, string | null>();
  const denied = { connect: 0, publish: 0, subscribe: 0 };
  const refuse = (returnCode: 4 | 5, message: string): AuthenticateError => Object.assign(new Error(message), { returnCode }) as AuthenticateError;
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      if (username === undefined || username === '') {
        if (auth.allowAnonymous) {
          usernames.set(client, null);
          return done(null, true);
        }
        denied.connect++;
        log?.warn({ clientId: client.id }, 'ingest.broker_auth_refused: anonymous client');
        return done(refuse(5, 'anonymous clients are not allowed'), false);
      }
      auth.credentials.verify(username, password ?? Buffer.alloc(0)).then(
        (ok) => {
          if (ok) {
            usernames.set(client, username);
            return done(null, true);
          }
          denied.connect++;
          log?.warn({ clientId: client.id, username }, 'ingest.broker_auth_refused: wrong username or password');
          done(refuse(4, 'bad username or password'), false);
        },
        (err: Error) => done(Object.assign(err, { returnCode: 3 }) as AuthenticateError, false),
      );
    },
    authorizePublish: (client, packet, done) => {
      // client is null only for a will left by another broker instance (clustered persistence): nobody to check it against.
      if (!client) return done(new Error('a will without its client is not published'));
      if (packet.topic.startsWith('$SYS')) return done(new Error('$SYS topics are reserved'));
      if (auth.acl.canPublish(usernames.get(client) ?? null, client.id, packet.topic)) return done(null);
      denied.publish++;
      log?.warn({ clientId: client.id, username: usernames.get(client) ?? null, topic: packet.topic }, 'ingest.broker_publish_denied');
      done(new Error(`publish to ${packet.topic} denied by the ACL`));
    },
    authorizeSubscribe: (client, sub, done) => {
      if (auth.acl.canSubscribe(usernames.get(client) ?? null, client.id, sub.topic)) return done(null, sub);
      denied.subscribe++;
      log?.warn({ clientId: client.id, username: usernames.get(client) ?? null, topic: sub.topic }, 'ingest.broker_subscribe_denied');
      done(null, null); // SUBACK 0x80 for this filter; the connection stays
    },
  });
  aedes.on('clientError', (client, err) => log?.debug({ clientId: client?.id, err: err.message }, 'ingest.broker_client_error'));
  const servers: Server[] = [];
  const listen = async (server: Server, port: number): Promise<number> => {
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  };
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  try {
    const port = opts.port === null ? null : await listen(createServer(aedes.handle), opts.port);
    const tlsPort = opts.tls ? await listen(createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, aedes.handle), opts.tls.port) : null;
    log?.info({ host: opts.host, port, tlsPort, accounts: auth.credentials.size, allowAnonymous: auth.allowAnonymous }, 'ingest.broker_listening');
    return {
      port,
      host: opts.host,
      url: port === null ? null : `mqtt://${hostPart}:${port}`,
      tlsPort,
      tlsUrl: tlsPort === null ? null : `mqtts://${hostPart}:${tlsPort}`,
      denied,
      close: async () => {
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      },
    };
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const s of servers) s.close();
    throw err;
  }
}
