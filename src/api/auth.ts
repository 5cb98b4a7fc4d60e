import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';

export type Scope = 'read' | 'write';

export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
}

export interface TokenEntry {
  name: string;
  /** sha256 hex of the token. */
  sha256: string;
  scopes: readonly Scope[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The sha256 hex of a token: what the configuration stores (`api.tokens[].sha256`). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (LOOPBACK.has(address) || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

/**
 * Bearer tokens with `read` and `write` scopes. Only hashes are held; a
 * presented token is hashed and compared in constant time against each.
 * With no token configured at all, reads need no token from loopback
 * clients (the embedded demo on 127.0.0.1); writes always need a token.
 */
export class TokenTable {
  private readonly entries: Array<{ name: string; hash: Buffer; scopes: ReadonlySet<Scope> }>;
  readonly anonymousLoopbackRead: boolean;

  constructor(configured: readonly TokenEntry[], extra: readonly TokenEntry[] = []) {
    this.anonymousLoopbackRead = configured.length === 0;
    this.entries = [...configured, ...extra].map((t) => ({ name: t.name, hash: Buffer.from(t.sha256, 'hex'), scopes: new Set(t.scopes) }));
  }

  lookup(token: string): Principal | null {
    const h = Buffer.from(hashToken(token), 'hex');
    let found: Principal | null = null;
    for (const e of this.entries) if (e.hash.length === h.length && timingSafeEqual(e.hash, h) && !found) found = { name: e.name, scopes: e.scopes };
    return found;
  }

  /** An onRequest hook that lets the request through only with the scope. */
  require(scope: Scope): onRequestHookHandler {
    return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      const header = request.headers.authorization;
      const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (header && !m) return deny(reply, 401, 'malformed Authorization header: expected "Bearer <token>"');
      if (m) {
        const p = this.lookup(m[1]!);
        if (!p) return deny(reply, 401, 'unknown token');
        request.principal = p;
        if (!p.scopes.has(scope)) return deny(reply, 403, `token "${p.name}" lacks the ${scope} scope`);
        return done();
      }
      if (scope === 'read' && this.anonymousLoopbackRead && isLoopback(request.socket.remoteAddress)) {
        request.principal = { name: 'anonymous', scopes: new Set(['read']) };
        return done();
      }
      return deny(reply, 401, `a bearer token with the ${scope} scope is required`);
    };
  }
}

function deny(reply: FastifyReply, status: 401 | 403, message: string): void {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="sealwatch"');
  void reply.code(status).send({ statusCode: status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message });
}
